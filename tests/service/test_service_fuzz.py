"""Hypothesis fuzzing of the endpoints: no input a client can send gives a 5xx."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_support import TestClient

from shopperlens.service.app import INGEST_PATHS

PATHS = list(INGEST_PATHS)
FIELDS = [
    "type",
    "messageId",
    "userId",
    "anonymousId",
    "previousId",
    "event",
    "name",
    "properties",
    "traits",
    "context",
    "timestamp",
    "batch",
]
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
names = st.sampled_from(
    ["Order Completed", "Order Refunded", "Product Reviewed", "Product Added", "x", ""]
)
products = st.lists(
    st.dictionaries(
        st.sampled_from(["price", "quantity", "amount", "discount", "category"]), values, max_size=5
    ),
    max_size=3,
)
props = st.fixed_dictionaries(
    {},
    optional={
        "products": products | values,
        "order_id": values,
        "rating": values,
        "discount": values,
        "behavioural": values,
    },
)
message = st.fixed_dictionaries(
    {},
    optional={
        **{f: values for f in FIELDS},
        "event": names | values,
        "properties": props | values,
        "timestamp": st.sampled_from(
            ["2025-01-01T00:00:00Z", "2025-01-01", "nope", "9999-12-31T23:59:59+14:00"]
        )
        | values,
        "userId": st.sampled_from(["C1", "C2", ""]) | values,
    },
)
bodies = message | st.fixed_dictionaries({"batch": st.lists(message | values, max_size=5)}) | values


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(PATHS), body=bodies, raw=st.booleans(), junk=st.binary(max_size=30))
def test_ingestion_never_5xx(
    make_client: Callable[..., TestClient], path: str, body: Any, raw: bool, junk: bytes
) -> None:
    client = _client(make_client)
    content = junk if raw else json.dumps(body, allow_nan=True).encode()
    response = client.post(path, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text
    assert response.status_code != 422, "ingestion answers 400, not 422, for malformed input"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    segment=st.integers(-5, 10) | st.text(max_size=5),
    cursor=st.text(max_size=12),
    limit=st.integers(-3, 2000) | st.text(max_size=4),
    customer=st.text(min_size=1, max_size=12),
)
def test_reads_never_5xx(
    make_client: Callable[..., TestClient], segment: Any, cursor: str, limit: Any, customer: str
) -> None:
    client = _client(make_client)
    for response in (
        client.get(
            f"/v1/segments/{quote(str(segment), safe='')}/members",
            params={"cursor": cursor, "limit": limit},
        ),
        client.get("/v1/profiles/" + quote(customer, safe="")),
        client.post("/v1/models", content=json.dumps({"path": customer}).encode()),
        client.get("/v1/webhooks", params={"status": cursor, "limit": limit}),
    ):
        assert response.status_code < 500, response.text


_CLIENTS: dict[int, TestClient] = {}


def _client(make_client: Callable[..., TestClient]) -> TestClient:
    # one app per test function (hypothesis calls the body many times)
    key = id(make_client)
    if key not in _CLIENTS:
        _CLIENTS.clear()
        _CLIENTS[key] = make_client()
    return _CLIENTS[key]
