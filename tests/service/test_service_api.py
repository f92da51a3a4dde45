"""HTTP behaviour of the service: statuses, limits, idempotency, reading, reacting."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from service_support import KEY, Fitted, TestClient, order

from shopperlens.errors import StoreError
from shopperlens.service.deps import get_clock, get_store
from shopperlens.service.store import MemoryStore
from shopperlens.service.webhooks import SIGNATURE_HEADER, sign

Make = Callable[..., TestClient]


def test_auth_statuses(make_client: Make) -> None:
    client = make_client()
    body = {"userId": "C1", "event": "Product Viewed"}
    assert client.post("/v1/track", json=body, headers={"Authorization": ""}).status_code == 401
    wrong = client.post("/v1/track", json=body, headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()["reason"]) == (403, "invalid_write_key")
    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    assert (
        client.post("/v1/track", json=body, headers={"Authorization": f"Basic {basic}"}).status_code
        == 200
    )
    garbled = client.post("/v1/track", json=body, headers={"Authorization": "Basic %%%"})
    assert garbled.status_code == 403


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "not_an_object"),
        (b'{"event": "x"}', "missing_identity"),
        (b'{"userId": "C1"}', "missing_field:event"),
        (b'{"userId": "C1", "event": "e", "timestamp": "yesterday"}', "invalid_field:timestamp"),
        (b'{"userId": "C1", "event": "e", "properties": []}', "invalid_field:properties"),
        (
            b'{"userId": "C1", "event": "Order Completed", '
            b'"properties": {"products": [{"sku": 1}]}}',
            "missing_field:properties.products.0.price",
        ),
        (b'{"userId": "C1", "event": "e", "type": "alias"}', "invalid_field:type"),
    ],
)
def test_malformed_is_400_with_reason(make_client: Make, body: bytes, reason: str) -> None:
    response = make_client().post(
        "/v1/track", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["reason"] == reason


def test_size_limits_are_413(make_client: Make) -> None:
    client = make_client()
    big = {"userId": "C1", "event": "e", "properties": {"x": "a" * 40_000}}
    assert client.post("/v1/track", json=big).json()["reason"] == "body_too_large"
    assert client.post("/v1/track", json=big).status_code == 413
    batch = {
        "batch": [
            {"type": "track", "userId": "C1", "event": "e", "properties": {"x": "a" * 30_000}}
        ]
        * 20
    }
    assert client.post("/v1/batch", json=batch).status_code == 413
    one_big = {
        "batch": [
            {"type": "track", "userId": "C1", "event": "e", "messageId": "ok"},
            {"type": "track", "userId": "C1", "event": "e", "properties": {"x": "a" * 40_000}},
        ]
    }
    answer = client.post("/v1/batch", json=one_big).json()
    assert answer["stored"] == 1 and answer["rejected"][0]["reason"] == "event_too_large"


def test_overload_is_429_with_retry_after(make_client: Make) -> None:
    response = make_client(max_inflight=0).post("/v1/track", json={"userId": "C1", "event": "e"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"


def test_store_failure_is_503(make_client: Make) -> None:
    client = make_client()

    class Broken(MemoryStore):
        def transaction(self):  # type: ignore[no-untyped-def]
            raise StoreError("memory://: a write failed (disk I/O error).")

    client.app.dependency_overrides[get_store] = Broken  # type: ignore[attr-defined]
    response = client.post("/v1/track", json={"userId": "C1", "event": "e"})
    assert (response.status_code, response.json()["reason"]) == (503, "store_unavailable")


def test_batch_partial_and_idempotent_counters(make_client: Make) -> None:
    client = make_client()
    batch = {
        "batch": [
            order("a"),
            order("b"),
            {"type": "track", "event": "no id"},
            order("a"),
            "not an object",
        ]
    }
    answer = client.post("/v1/batch", json=batch).json()
    assert (answer["stored"], answer["duplicates"]) == (2, 1)
    assert [r["index"] for r in answer["rejected"]] == [2, 4]
    again = client.post("/v1/batch", json={"batch": [order("a"), order("b")]}).json()
    assert (again["stored"], again["duplicates"]) == (0, 2)
    counters = client.get("/healthz").json()["counters"]
    assert counters == {"received": 7, "stored": 2, "duplicates": 3, "rejected": 2}
    assert (
        counters["received"] == counters["stored"] + counters["rejected"] + counters["duplicates"]
    )
    profile = client.get("/v1/profiles/C0000001").json()
    assert profile["features"]["frequency"] == 2  # a, b once each
    metrics = client.get("/metrics").text
    assert 'shopperlens_events_total{outcome="duplicates"} 3' in metrics


def test_profile_segment_history_and_identity(make_client: Make) -> None:
    client = make_client()
    anon = {
        "type": "track",
        "anonymousId": "dev-1",
        "event": "Product Viewed",
        "timestamp": "2025-11-01T00:00:00Z",
    }
    client.post("/v1/batch", json={"batch": [anon, order("o1", user="NEW1")]})
    assert (
        client.post(
            "/v1/identify",
            json={
                "userId": "NEW1",
                "anonymousId": "dev-1",
                "traits": {"region": "Wales", "email": "x@y.z"},
            },
        ).status_code
        == 200
    )
    profile = client.get("/v1/profiles/NEW1").json()
    assert profile["features"]["product_views"] == 1  # anonymous browsing merged at login
    assert profile["traits"] == {"region": "Wales"}  # no e-mail kept
    assert profile["segment_id"] is not None and profile["segment_id"] >= 0
    assert profile["history"][0]["from_segment"] is None
    assert profile["reasons"]
    assert client.get("/v1/profiles/nobody").status_code == 404


def test_segments_members_pagination(make_client: Make) -> None:
    client = make_client()
    client.post("/v1/batch", json={"batch": [order(f"m{i}", user=f"U{i:03d}") for i in range(25)]})
    sizes = client.get("/v1/segments").json()
    assert sum(s["size"] for s in sizes["segments"]) == 25
    seg = max(sizes["segments"], key=lambda s: s["size"])
    seen, cursor = [], None
    while True:
        page = client.get(
            f"/v1/segments/{seg['segment_id']}/members",
            params={"limit": 4, **({"cursor": cursor} if cursor else {})},
        ).json()
        seen += page["customer_ids"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == seg["size"] == len(set(seen)) and seen == sorted(seen)
    assert client.get("/v1/segments/999/members").status_code == 404
    assert client.get("/v1/segments/0/members", params={"cursor": "!!"}).status_code == 400
    assert client.get("/v1/segments/0/members", params={"limit": 0}).status_code == 422


def test_stream_replays_changes(make_client: Make) -> None:
    client = make_client()
    client.post("/v1/batch", json={"batch": [order("s1", user="S1"), order("s2", user="S2")]})
    with client.stream("GET", "/v1/stream", params={"after": 0, "limit": 2}) as response:
        text = "".join(response.iter_text())
    assert response.headers["content-type"].startswith("text/event-stream")
    data = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    assert [d["customer_id"] for d in data] == ["S1", "S2"]


def test_webhooks_signed_retried_replayed(make_client: Make, fitted: Fitted) -> None:
    calls: list[httpx.Request] = []
    fail = {"on": True}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500 if fail["on"] else 204)

    client = make_client(
        webhook_urls=["http://hooks.test/x"],
        webhook_secret="s3",
        webhook_max_attempts=2,
        webhook_backoff_s=0.001,
        _app={"transport": httpx.MockTransport(handler), "start_worker": False},
    )
    worker = client.app.state.webhooks  # type: ignore[attr-defined]
    client.post("/v1/track", json=order("w1", user="W1"))
    assert worker.run_once() == 1  # entry: fails, retried later
    worker.rt.clock = lambda: fitted.as_of.replace(year=2026)
    assert worker.run_once() == 1  # second failure: kept as failed
    failed = client.get("/v1/webhooks").json()
    assert [(f["kind"], f["status"], f["attempts"]) for f in failed] == [("entry", "failed", 2)]
    body = calls[0].content
    stamp = calls[0].headers[SIGNATURE_HEADER].split(",")[0][2:]
    assert calls[0].headers[SIGNATURE_HEADER] == sign(body, secret="s3", timestamp=int(stamp))
    fail["on"] = False
    assert client.post(f"/v1/webhooks/{failed[0]['id']}/replay").status_code == 200
    assert worker.run_once() == 1
    assert (
        client.get("/v1/webhooks", params={"status": "delivered"}).json()[0]["customer_id"] == "W1"
    )
    assert client.post("/v1/webhooks/12345/replay").status_code == 404


def test_model_hot_swap(make_client: Make, fitted: Fitted, tmp_path: Any) -> None:
    client = make_client()
    client.post("/v1/batch", json={"batch": [order(f"h{i}", user=f"H{i}") for i in range(5)]})
    answer = client.post("/v1/models", json={"path": str(fitted.out)})
    assert answer.status_code == 200
    assert answer.json()["reassigned"] == 5 and answer.json()["changed"] == 0
    bad = client.post("/v1/models", json={"path": str(tmp_path)})
    assert (bad.status_code, bad.json()["reason"]) == (422, "model_error")


def test_clock_override_and_openapi(make_client: Make, fitted: Fitted) -> None:
    client = make_client()
    client.post("/v1/track", json=order("c1", user="K1"))
    later = fitted.as_of.replace(year=2027)
    client.app.dependency_overrides[get_clock] = lambda: lambda: later  # type: ignore[attr-defined]
    assert client.get("/v1/profiles/K1").json()["features"]["recency_days"] > 365
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/v1/track"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"] == "#/components/schemas/Message"
    assert "messageId" in schema["components"]["schemas"]["Message"]["properties"]
    assert client.get("/docs").status_code == 200
