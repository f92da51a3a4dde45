"""The events' ``step`` (the funnel step a retailer names): a column of its own, a
flattened ``properties.step`` column, or the ``step`` key of the JSON ``properties``."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest import load_folder

TX = "customer_id,order_id,timestamp,amount\nc1,o1,2024-01-01,1"


def kept_steps(engine: DuckDBEngine) -> list[str | None]:
    return [row[0] for row in engine.rows(
        "SELECT step FROM events ORDER BY timestamp, event")]


def test_the_step_is_read_from_the_json_properties(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    events = """
message_id,customer_id,timestamp,event,properties
m1,c1,2024-01-01 10:00,Page Viewed,"{""step"": ""shipping"", ""path"": ""/ship""}"
m2,c1,2024-01-01 10:01,Page Viewed,"{""step"": 3}"
m3,c1,2024-01-01 10:02,Page Viewed,"{""path"": ""/"", ""steps"": 2}"
m4,c1,2024-01-01 10:03,Page Viewed,"{""step"": {""name"": ""cart""}}"
m5,c1,2024-01-01 10:04,Page Viewed,"{""step"": [1, 2]}"
m6,c1,2024-01-01 10:05,Page Viewed,"{""step"": true}"
m7,c1,2024-01-01 10:06,Page Viewed,"{""step"": null}"
m8,c1,2024-01-01 10:07,Page Viewed,"{""step"": ""  ""}"
m9,c1,2024-01-01 10:08,Page Viewed,
"""
    load_folder(engine, write_folder(transactions=TX, events=events))
    assert kept_steps(engine) == ["shipping", "3", None, None, None, None]
    reasons = dict(engine.rows("SELECT row, reason FROM rejected_events ORDER BY row"))
    assert reasons == {
        4: "bad string in properties.step: {\"name\":\"cart\"} (expected text)",
        5: "bad string in properties.step: [1,2] (expected text)",
        6: "bad string in properties.step: true (expected text)",
    }


def test_a_json_step_too_long_is_rejected_with_its_start_shown(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    events = f"""
message_id,customer_id,timestamp,event,properties
m1,c1,2024-01-01 10:00,Page Viewed,"{{""step"": ""{'y' * 205}""}}"
"""
    load_folder(engine, write_folder(transactions=TX, events=events))
    assert dict(engine.rows("SELECT row, reason FROM rejected_events")) == {
        1: f"properties.step out of range: {'y' * 40}... "
           "(expected a step name of at most 200 characters)"}


@pytest.mark.parametrize("header", ["step", "properties.step"])
def test_the_step_is_read_from_a_column(
    engine: DuckDBEngine, write_folder: Callable[..., Path], header: str
) -> None:
    long = "x" * 201
    events = f"""
message_id,customer_id,timestamp,event,{header},properties
m1,c1,2024-01-01 10:00,Page Viewed,shipping,"{{""step"": ""ignored""}}"
m2,c1,2024-01-01 10:01,Page Viewed,,
m3,c1,2024-01-01 10:02,Page Viewed,{long},
"""
    load_folder(engine, write_folder(transactions=TX, events=events))
    # the column wins over the JSON key (an export that flattened it is read as given)
    assert kept_steps(engine) == ["shipping", None]
    reasons = dict(engine.rows("SELECT row, reason FROM rejected_events ORDER BY row"))
    assert list(reasons) == [3]
    assert reasons[3].startswith("step out of range: xxx")
    assert reasons[3].endswith("(expected a step name of at most 200 characters)")


def test_events_without_properties_have_no_step(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    events = "message_id,customer_id,timestamp,event\nm1,c1,2024-01-01,Page Viewed"
    load_folder(engine, write_folder(transactions=TX, events=events))
    assert "step" not in engine.columns("events")


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30))
@example("\xa0")  # a no-break space alone: blank, so no step
@example("\u3000cart\u2003")  # ideographic and em spaces around a name
@example("\u2028cart")  # a line separator is not a space: kept
def test_any_text_step_comes_back_as_written(
    tmp_path_factory: pytest.TempPathFactory, step: str
) -> None:
    folder = tmp_path_factory.mktemp("data")
    (folder / "transactions.csv").write_text(TX + "\n")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["message_id", "customer_id", "timestamp", "event", "properties"])
    writer.writerow(["m1", "c1", "2024-01-01", "Page Viewed",
                     json.dumps({"path": "/", "step": step})])
    (folder / "events.csv").write_text(out.getvalue(), encoding="utf-8")
    with DuckDBEngine(threads=1) as engine:
        load_folder(engine, folder)
        assert kept_steps(engine) == [_strip_spaces(step) or None]


def _strip_spaces(text: str) -> str:
    """``text`` without leading and trailing space separators (Unicode category Zs:
    the space, the no-break space, the ideographic space, ...), as the ingest trims."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(text[end - 1]) == "Zs":
        end -= 1
    return text[start:end]
