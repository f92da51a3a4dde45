"""Sessions without a session id: events grouped by 30 minutes of inactivity, the same
rule in the batch (features/browsing.py) and the service (realtime/state.py) (issue #34).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from service_support import TestClient

from shopperlens import schema as s
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import compute_features
from shopperlens.features.catalog import SESSION_GAP_MINUTES
from shopperlens.ingest import load_folder
from shopperlens.realtime import CustomerState, to_days
from shopperlens.service.replay import messages_from_tables
from shopperlens.timewindow import parse_cutoff

AS_OF = "2025-12-01"
ONSITE = ("Product Viewed", "Product Added", "Page Viewed", "Checkout Started",
          "Order Completed")
GAPS_MIN = (0, 1, 10, 29, 30, 31, 45, 240, 60 * 24)  # 30 exactly: the same session


def _events(seed: int, customers: int = 40) -> pd.DataFrame:
    """Segment-like traffic without session ids: on-site events at gaps around the
    threshold, ties, e-mail opens in between, and visitors who log in later."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for k in range(customers):
        cid, anon = f"C{k:03d}", f"anon-{k:03d}"
        when = datetime(2025, 11, 1) + timedelta(hours=rng.randrange(0, 500))
        login_at = rng.randrange(0, 12)
        for i in range(rng.randrange(3, 25)):
            when += timedelta(minutes=rng.choice(GAPS_MIN))
            event = rng.choice(ONSITE) if rng.random() > 0.15 else "Email Opened"
            row = {s.MESSAGE_ID: f"{cid}-{i}", s.TIMESTAMP: when, s.EVENT: event,
                   s.CUSTOMER_ID: cid if i >= login_at else None, s.ANONYMOUS_ID: anon}
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame[s.CHANNEL] = "web"
    frame[s.PROPERTIES] = "{}"
    return frame


def _transactions(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({s.CUSTOMER_ID: ids, s.ORDER_ID: [f"O-{c}" for c in ids],
                         s.TIMESTAMP: datetime(2025, 10, 1), s.AMOUNT: 20.0})


def _batch(folder: Path) -> pd.DataFrame:
    with DuckDBEngine(threads=1) as engine:
        load_folder(engine, folder)
        return compute_features(engine, as_of=parse_cutoff(AS_OF))


@pytest.mark.parametrize("seed", [1, 2])
def test_batch_and_service_make_the_same_sessions_without_session_ids(
    seed: int, tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    events = _events(seed)
    ids = sorted(events[s.CUSTOMER_ID].dropna().unique())
    tables = {s.TRANSACTIONS.name: _transactions(ids), s.EVENTS.name: events}
    for name, frame in tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    batch = _batch(tmp_path)
    client = make_client()
    ack = client.post("/v1/batch", json={"batch": messages_from_tables(
        tables, as_of=parse_cutoff(AS_OF))}).json()
    assert ack["rejected"] == []
    got = {c: client.get(f"/v1/profiles/{c}").json()["features"] for c in ids}
    for name in ("sessions", "cart_abandonment", "product_views"):
        service = pd.Series({c: got[c][name] for c in ids}, dtype=float)
        expected = batch.loc[ids, name].astype(float)
        same = np.isclose(service, expected, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert same.all(), (name, service[~same].head(3), expected[~same].head(3))
    assert batch["sessions"].sum() > len(ids)  # several sessions each, not one per customer


def test_the_gap_is_thirty_minutes_and_offsite_events_open_no_session() -> None:
    assert SESSION_GAP_MINUTES == 30
    start = datetime(2025, 1, 1, 12)
    state = CustomerState()
    for minutes, event in ((0, "Product Viewed"), (30, "Product Viewed"),  # same session
                           (61, "Product Added"),  # 31 minutes later: a new one
                           (300, "Email Opened")):  # off-site: none
        state.update({"type": "event", "event": event,
                      "t": to_days(start + timedelta(minutes=minutes))})
    assert state.get(to_days(start + timedelta(days=1)))["sessions"] == 2


def test_segments_own_client_sends_sessionless_traffic_that_gets_sessions(
    fitted: Any, tmp_path: Path
) -> None:
    """segment-analytics-python (host set to the service) sends track calls without a
    session id, as Segment's libraries do: the service still counts their sessions."""
    import httpx
    import segment.analytics as analytics  # a dev dependency: never skipped
    from service_support import KEY, live_server

    from shopperlens.service import ServiceSettings, create_app, hash_key
    from shopperlens.service.store import SQLiteStore

    app = create_app(ServiceSettings(model_dir=fitted.out, write_key_hashes=[hash_key(KEY)]),
                     store=SQLiteStore(tmp_path / "segment.sqlite3"),
                     clock=lambda: fitted.as_of + timedelta(days=1))
    start = fitted.as_of - timedelta(days=3)
    visits = [0, 5, 20, 49, 50 + 31, 200, 200 + 30, 2000]  # minutes: 4 sessions
    with live_server(app) as url:
        errors: list[Any] = []
        client = analytics.Client(KEY, host=url, sync_mode=True, max_retries=1,
                                  on_error=lambda exc, batch: errors.append(exc))
        client.identify("SEG-1", {"region": "London"}, timestamp=start)
        for i, minute in enumerate(visits):
            client.track("SEG-1", "Product Viewed", {"product_id": f"P{i}"},
                         timestamp=start + timedelta(minutes=minute))
        client.track("SEG-1", "Product Added", {"product_id": "P7"},
                     timestamp=start + timedelta(minutes=2001))
        profile = httpx.get(f"{url}/v1/profiles/SEG-1", auth=(KEY, "")).json()
    assert errors == []
    assert profile["features"]["product_views"] == len(visits)
    assert profile["features"]["sessions"] == 4
    assert profile["features"]["cart_abandonment"] == 1.0  # the last session's cart
