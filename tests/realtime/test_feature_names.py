"""Feature names come from one place, features/catalog.py (issue #26)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import catalog, compute_features
from shopperlens.ingest import load_folder
from shopperlens.realtime import CustomerState
from shopperlens.realtime.state import FEATURE_NAMES

SRC = Path(catalog.__file__).parents[1]


def test_every_catalogue_feature_has_its_constant() -> None:
    for feature in catalog.CATALOG:
        assert getattr(catalog, feature.name.upper()) == feature.name
    assert FEATURE_NAMES == catalog.STATE_FEATURES


def test_batch_and_stream_compute_the_catalogue_features(tmp_path: Path) -> None:
    pd.DataFrame({"customer_id": ["C1", "C1", "C2"], "order_id": ["O1", "O2", "O3"],
                  "timestamp": ["2024-01-02", "2024-02-03", "2024-03-04"],
                  "amount": [10.0, 20.0, 5.0]}).to_csv(tmp_path / "transactions.csv", index=False)
    with DuckDBEngine(threads=1) as engine:
        load_folder(engine, tmp_path)
        batch = compute_features(engine, as_of=pd.Timestamp("2024-06-01").to_pydatetime())
    # a transactions-only folder gives the order features; the replay test covers the rest
    assert set(batch.columns) <= set(catalog.STATE_FEATURES)
    assert {catalog.RECENCY_DAYS, catalog.FREQUENCY, catalog.MONETARY} <= set(batch.columns)
    state = CustomerState()
    assert tuple(state.get(1.0)) == catalog.STATE_FEATURES
    state.update({"type": "transaction", "order_id": "O1", "t": 0.5, "channel": "store",
                  "lines": [{"amount": 3.0, "category": "toys"}]})
    assert tuple(state.get(1.0)) == catalog.STATE_FEATURES


def test_no_feature_name_is_spelled_in_the_realtime_state_or_report_data() -> None:
    names = "|".join(f.name for f in catalog.CATALOG)
    literal = re.compile(rf"""["']({names})["']""")
    for path in ("realtime/state.py", "realtime/assign.py", "report/_data.py"):
        code = [line for line in (SRC / path).read_text().splitlines()
                if not line.lstrip().startswith((">>>", "..."))]
        found = [line.strip() for line in code if literal.search(line)]
        # CustomerState.__slots__ names an attribute called sessions, not the feature
        assert [f for f in found if not f.startswith("__slots__")] == [], path
