"""Scrubbing at the door: only the texts that may hold personal data go through Python."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.text.test_scrub import PII_LIKE_TEXTS

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest.privacy import MAY_HOLD_PII, protect_table, register_privacy_functions
from shopperlens.privacy import pseudonymise_frame
from shopperlens.text import scrub_one
from shopperlens.text.scrub import _TRIGGER


@pytest.mark.slow  # 150 examples through DuckDB and Python
@settings(max_examples=150, deadline=None)
@given(st.lists(PII_LIKE_TEXTS, min_size=1, max_size=20))
def test_filter_lets_through_every_text_python_would_scrub(values: list[str]) -> None:
    with DuckDBEngine() as engine:
        passed = [row[0] for row in engine.con.execute(
            f"SELECT regexp_matches(t, '{MAY_HOLD_PII}') FROM unnest(?) AS u(t)", [values]
        ).fetchall()]
    for value, through in zip(values, passed, strict=True):
        if _TRIGGER.search(value):  # RE2 lets through as much as Python's trigger
            assert through, value


def test_protect_table_scrubs_candidates_and_leaves_the_rest_as_they_were() -> None:
    values = ["Call me on 07700 900123", "lovely fit, no complaints", None,
              "mail jo.bloggs@example.co.uk", "see www.example.com/x?token=abc", "size ٣"]
    with DuckDBEngine() as engine:
        register_privacy_functions(engine, b"k" * 32, "GB")
        engine.con.execute("CREATE TABLE interactions (text VARCHAR, k INTEGER)")
        engine.con.executemany("INSERT INTO interactions VALUES (?, ?)",
                               [[v, k] for k, v in enumerate(values)])
        engine.con.execute("CREATE TABLE rejected_interactions (raw_line VARCHAR)")
        protect_table(engine, "interactions")
        stored = [row[0] for row in engine.rows("SELECT text FROM interactions ORDER BY k")]
    assert stored == [None if v is None else scrub_one(v) for v in values]
    assert stored[0] == "Call me on <PHONE>" and stored[1] == values[1]


def test_protect_table_pseudonymises_identifiers_as_the_frame_function_does() -> None:
    identities = pd.DataFrame({
        "customer_id": ["c1", "c1", "c2", "c2", "c3", "c3", "c4"],
        "id_type": ["email", " Phone", "loyalty_id", "device_id", "email", "anonymous_id",
                    "phone"],
        "id_value": ["A@x.com ", "07700 900123", "LOY 1", "A@x.com ", "a@x.com", None, " - "],
    })
    with DuckDBEngine() as engine:
        engine.register("identities", identities)
        engine.register("rejected_identities", identities.head(1))
        register_privacy_functions(engine, b"k" * 32, "GB")
        protect_table(engine, "identities")
        stored = engine.fetch_df("SELECT * FROM identities")
        rejected = engine.fetch_df("SELECT * FROM rejected_identities")
    expected = pseudonymise_frame(identities, "identities", b"k" * 32)
    assert _values(stored) == _values(expected)
    assert _values(rejected) == _values(expected.head(1))
    assert stored["id_value"][0] == stored["id_value"][4] != stored["id_value"][3]
    assert pd.isna(stored["id_value"][6])  # no digits: no phone number


def _values(frame: pd.DataFrame) -> list[str | None]:
    return [None if pd.isna(v) else v for v in frame["id_value"]]
