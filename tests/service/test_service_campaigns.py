"""Campaigns in the service: decisions and outcomes, off-policy evaluation, and the
audience less the persistent hold-out and those who refused marketing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service_support import TestClient, order

from shopperlens.campaigns import held_out

Make = Callable[..., TestClient]
IDS = [f"U{i:03d}" for i in range(24)]


def ingest(client: TestClient, refused: set[str]) -> None:
    batch: list[dict[str, Any]] = [
        {"type": "identify", "messageId": f"i-{c}", "userId": c,
         "timestamp": "2025-11-30T10:00:00Z", "traits": {"consent_marketing": False}}
        for c in sorted(refused)]
    batch += [order(f"o-{c}", user=c) for c in IDS]
    assert client.post("/v1/batch", json={"batch": batch}).status_code == 200


def test_decide_then_outcome_then_evaluate(make_client: Make) -> None:
    client = make_client()
    ingest(client, set())
    body = {"campaign_id": "spring", "offers": ["a", "b"], "control_share": 0.25}
    decisions = [client.post("/v1/decide", json={**body, "customer_id": c}).json() for c in IDS]
    for d, c in zip(decisions, IDS, strict=True):
        if held_out([c], 0.25, "spring")[0]:  # held out: control, whatever was learnt
            assert d["variant"] == "control"  # (the others may get control too: no send)
        assert 0 < d["propensity"] <= 1
    for d in decisions:
        reward = 1.0 if d["variant"] == "b" else 0.0
        answer = client.post("/v1/outcome", json={"decision_id": d["decision_id"],
                                                 "reward": reward})
        assert answer.status_code == 200
    again = client.post("/v1/outcome", json={"decision_id": decisions[0]["decision_id"],
                                             "reward": 1.0})
    assert again.status_code == 404  # an outcome is recorded once
    segments = {str(d["segment_id"]) for d in decisions}
    policy = {g: {"b": 1.0} for g in segments}
    value = client.post("/v1/policies/evaluate",
                        json={"campaign_id": "spring", "policy": policy}).json()
    assert value["ipw_low"] <= value["ipw"] <= value["ipw_high"]
    assert value["dr"] > value["logged"]  # always "b" earns more than what was logged


def test_decide_needs_a_known_segment(make_client: Make) -> None:
    client = make_client()
    answer = client.post("/v1/decide", json={"campaign_id": "x", "offers": ["a"],
                                             "customer_id": "nobody"})
    assert answer.status_code == 404 and "segment" in answer.json()["detail"]
    given = [client.post("/v1/decide", json={"campaign_id": "x", "offers": ["a"],
                                             "segment_id": 0, "control_share": 0.0})
             for _ in range(10)]
    assert "a" in {d.json()["variant"] for d in given} <= {"a", "control"}


def test_the_audience_leaves_out_the_held_out_and_the_refusals(make_client: Make) -> None:
    client = make_client()
    refused = set(IDS[::5])
    ingest(client, refused)
    hold = {c for c, h in zip(IDS, held_out(IDS, 0.3, "spring"), strict=True) if h}
    listed: list[str] = []
    for seg in client.get("/v1/segments").json()["segments"]:
        cursor = None
        while True:
            params: dict[str, Any] = {"campaign_id": "spring", "control_share": 0.3,
                                      "limit": 3, **({"cursor": cursor} if cursor else {})}
            page = client.get(f"/v1/audiences/{seg['segment_id']}", params=params).json()
            listed += page["customer_ids"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert sorted(listed) == sorted(set(IDS) - refused - hold)


def test_a_costly_offer_loses_to_sending_nothing(make_client: Make) -> None:
    client = make_client()
    body = {"campaign_id": "dear", "offers": ["a"], "segment_id": 0, "control_share": 0.0,
            "costs": {"a": 0.9}}  # a send must lift the reward by 0.9 to pay
    chosen = [client.post("/v1/decide", json=body).json()["variant"] for _ in range(10)]
    assert chosen.count("control") >= 8
    wrong = client.post("/v1/decide", json={**body, "campaign_id": "x", "costs": {"b": 0.1}})
    assert wrong.status_code in (400, 422) and "not among the offers" in wrong.text
