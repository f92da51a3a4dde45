"""``context.device.type`` (Segment's spec) is an event's device and ``properties.step``
its funnel step, as the batch's ``device`` and ``step`` columns; a malformed one rejects
the message with its reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from service_support import TestClient

from shopperlens.service.replay import messages_from_tables
from shopperlens.service.spec import MalformedEvent, parse_message, to_events

Make = Callable[..., TestClient]


def event_of(**fields: Any) -> dict[str, Any]:
    msg = parse_message({"type": "track", "userId": "C1", "event": "Checkout Started",
                         "timestamp": "2024-05-01T10:00:00Z", **fields})
    return to_events(msg)[0]


def test_the_device_and_step_are_read() -> None:
    event = event_of(context={"device": {"type": " ios ", "model": "x"}, "sessionId": "s1"},
                     properties={"step": "shipping"})
    assert (event["device"], event["step"], event["session_id"]) == ("ios", "shipping", "s1")
    assert event_of(properties={"step": 3})["step"] == "3"


@given(st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30)
         | st.sampled_from(["\tcart", "cart\n", "\u2028cart", "\x85cart\x1c"]))
@example("\u3000cart\xa0")
def test_a_name_is_trimmed_as_the_batch_trims_it(name: str) -> None:
    """The batch reads a step or device with DuckDB's ``trim`` (space separators only):
    a live event names the step its batch row would, tabs and line breaks kept."""
    batch = duckdb.execute("SELECT NULLIF(trim(?), '')", [name]).fetchone()[0]
    event = event_of(context={"device": {"type": name}}, properties={"step": name})
    assert event.get("step") == batch and event.get("device") == batch


@pytest.mark.parametrize("fields", [{}, {"context": {"device": {"id": "d1"}}},
                                    {"properties": {"step": ""}},
                                    {"context": {"device": {"type": None}}}])
def test_without_them_the_event_has_none(fields: dict[str, Any]) -> None:
    event = event_of(**fields)
    assert "device" not in event and "step" not in event


@pytest.mark.parametrize(("fields", "reason"), [
    ({"context": {"device": "ios"}}, "invalid_field:context.device"),
    ({"context": {"device": {"type": ["ios"]}}}, "invalid_field:context.device.type"),
    ({"context": {"device": {"type": True}}}, "invalid_field:context.device.type"),
    ({"properties": {"step": {"name": "cart"}}}, "invalid_field:properties.step"),
    ({"properties": {"step": "x" * 201}}, "invalid_field:properties.step"),
])
def test_a_malformed_one_is_refused_with_its_reason(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(MalformedEvent) as caught:
        event_of(**fields)
    assert caught.value.reason == reason


def test_a_malformed_device_rejects_only_its_message(make_client: Make) -> None:
    base = {"type": "track", "userId": "C1", "event": "Product Viewed"}
    ack = make_client().post("/v1/batch", json={"batch": [
        {**base, "messageId": "m1", "context": {"device": {"type": "android"}}},
        {**base, "messageId": "m2", "context": {"device": {"type": {"os": "x"}}}},
        {**base, "messageId": "m3", "properties": {"step": ["a"]}}]}).json()
    assert [(r["messageId"], r["reason"]) for r in ack["rejected"]] == [
        ("m2", "invalid_field:context.device.type"), ("m3", "invalid_field:properties.step")]
    assert ack["stored"] == 1


def test_replay_sends_the_batch_columns_back_as_the_spec_has_them() -> None:
    events = pd.DataFrame({"message_id": ["m1", "m2"], "customer_id": ["C1", "C1"],
                           "anonymous_id": [None, None], "session_id": ["s1", "s1"],
                           "timestamp": pd.to_datetime(["2024-05-01 10:00", "2024-05-01 10:01"]),
                           "event": ["Page Viewed", "Page Viewed"], "channel": ["web", "web"],
                           "device": ["mobile", None], "step": ["shipping", None],
                           "properties": ['{"path": "/ship"}', None]})
    transactions = pd.DataFrame(columns=["customer_id", "order_id", "timestamp", "amount"])
    messages = [m for m in messages_from_tables({"transactions": transactions,
                                                 "events": events}) if m["type"] == "track"]
    assert [to_events(parse_message(m))[0].get("device") for m in messages] == ["mobile", None]
    assert [to_events(parse_message(m))[0].get("step") for m in messages] == ["shipping", None]
    assert messages[0]["properties"] == {"path": "/ship", "step": "shipping"}
