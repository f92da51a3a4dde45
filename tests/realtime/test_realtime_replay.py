"""Batch and real time agree: replaying the demo's events gives the batch features."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopperlens import demo
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import compute_features
from shopperlens.features.catalog import STATE_FEATURES
from shopperlens.ingest import load_folder
from shopperlens.realtime import Profiles, to_days
from shopperlens.service.replay import messages_from_tables
from shopperlens.service.spec import parse_message, to_events
from shopperlens.testing import check_same_features as assert_same_features
from shopperlens.timewindow import parse_cutoff


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, demo.DemoData]:
    data = demo.generate(300, seed=11)
    folder = tmp_path_factory.mktemp("replay") / "data"
    demo.write(data, folder)
    return folder, data


@pytest.mark.parametrize("cutoff", ["2025-09-30", "2025-12-31"])
def test_replay_equals_batch(demo_folder: tuple[Path, demo.DemoData], cutoff: str) -> None:
    folder, data = demo_folder
    as_of = parse_cutoff(cutoff)
    with DuckDBEngine(threads=2) as engine:
        load_folder(engine, folder)
        batch = compute_features(engine, as_of=as_of)
    profiles, seen = Profiles(), set()
    for raw in messages_from_tables(data.tables, as_of=as_of):
        message = parse_message(raw)
        if message.messageId in seen:  # the store's idempotency, here by hand
            continue
        seen.add(message.messageId)
        for event in to_events(message):
            profiles.learn_one(event)
    stream = profiles.frame(batch.index, as_of=to_days(as_of))
    assert batch["frequency"].gt(0).sum() > 200
    assert set(batch.columns) == set(STATE_FEATURES)  # both name them from the catalogue
    assert_same_features(batch, stream)
