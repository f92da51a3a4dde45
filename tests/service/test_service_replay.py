"""The replay test through the API: demo events in, batch features and segments out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from service_support import Fitted, TestClient, assert_same_features

from shopperlens.realtime import FEATURE_NAMES
from shopperlens.service.replay import messages_from_tables
from shopperlens.service.store import SQLiteStore


def _for_customers(messages: list[dict[str, Any]], sample: set[str]) -> list[dict[str, Any]]:
    """The messages that touch ``sample``: theirs, and their devices' anonymous ones."""
    anon = {
        m.get("previousId") or m.get("anonymousId") for m in messages if m.get("userId") in sample
    }
    return [
        m
        for m in messages
        if m.get("userId") in sample or (not m.get("userId") and m.get("anonymousId") in anon)
    ]


def test_api_replay_equals_batch(
    make_client: Callable[..., TestClient], fitted: Fitted, tmp_path: Path
) -> None:
    sample = set(fitted.features.index[::6])  # 50 customers
    messages = _for_customers(
        messages_from_tables(fitted.data.tables, as_of=fitted.naive_as_of), sample
    )
    client = make_client(store=SQLiteStore(tmp_path / "replay.sqlite3"))
    for start in range(0, len(messages), 250):
        answer = client.post("/v1/batch", json={"batch": messages[start : start + 250]}).json()
        assert answer["rejected"] == []
    profiles = {cid: client.get(f"/v1/profiles/{cid}").json() for cid in sorted(sample)}
    stream = pd.DataFrame.from_dict({c: p["features"] for c, p in profiles.items()}, orient="index")
    columns = [c for c in fitted.features.columns if c in FEATURE_NAMES]
    batch = fitted.features.loc[sorted(sample), columns]
    assert_same_features(
        batch, stream.astype({c: float for c in columns if c not in ("top_category", "region")})
    )
    segments = {c: p["segment_id"] for c, p in profiles.items()}
    assert segments == fitted.segments.loc[sorted(sample), "segment_id"].to_dict()
    counters = client.get("/healthz").json()["counters"]
    assert (
        counters["received"] == counters["stored"] + counters["duplicates"] + counters["rejected"]
    )
