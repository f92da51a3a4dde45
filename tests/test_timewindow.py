"""The one time window: parsing, UTC, the half-open rule, and the window checks."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.errors import InputError
from shopperlens.features import compute_features
from shopperlens.ingest import load_folder
from shopperlens.service.replay import messages_from_tables
from shopperlens.text.features import customer_text_features
from shopperlens.timewindow import (
    SECONDS_PER_DAY,
    before,
    check_window,
    day_after,
    epoch_days,
    is_before,
    parse_cutoff,
    resolve_end,
    sql_before,
)

DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
NAIVE = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30))
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)


# --- parsing -----------------------------------------------------------------------


@given(DATES)
def test_a_date_cutoff_ends_the_window_after_that_whole_day(day: date) -> None:
    end = parse_cutoff(day.isoformat())
    assert end == datetime(day.year, day.month, day.day) + timedelta(days=1)
    assert parse_cutoff(day) == end


@given(NAIVE.map(lambda d: d.replace(microsecond=0)), OFFSETS)
def test_a_date_time_cutoff_is_the_end_instant_in_utc(when: datetime, tz: timezone) -> None:
    aware = when.replace(tzinfo=tz)
    expected = aware.astimezone(UTC).replace(tzinfo=None)
    assert parse_cutoff(aware.isoformat()) == expected
    assert parse_cutoff(aware) == expected
    assert parse_cutoff(when.isoformat()) == when  # naive means UTC
    assert parse_cutoff(when.isoformat(sep=" ")) == when


@pytest.mark.parametrize(
    "text",
    ["03/04/1997", "1997/09/30", "30-09-1997", "19970930", "1997-W40-2", "1997-02-30",
     "1997-13-01", "", "yesterday", "1997-09-30T25:00:00", "Sep 30 1997"],
)
def test_anything_but_iso_8601_is_refused_with_one_line(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_cutoff(text)
    message = str(caught.value)
    assert "\n" not in message
    assert f"--cutoff {text.strip()!r} is not a date" in message
    assert "ISO 8601" in message and "YYYY-MM-DD" in message


@given(st.text(max_size=30))
def test_any_text_either_parses_as_iso_or_is_an_input_error(text: str) -> None:
    try:
        end = parse_cutoff(text)
    except InputError:
        return
    assert isinstance(end, datetime) and end.tzinfo is None
    assert text.strip()[:4].isdigit() and text.strip()[4] == "-"


def test_a_us_date_is_never_read_as_another_day() -> None:
    # main read '03/04/1997' as 4 March; the same format inside a file is rejected
    with pytest.raises(InputError, match="ISO 8601"):
        parse_cutoff("03/04/1997")


def test_without_a_cutoff_the_window_ends_after_the_last_day() -> None:
    last = datetime(1998, 6, 30, 17, 5)
    assert resolve_end(None, last) == day_after(last) == datetime(1998, 7, 1)
    assert resolve_end("1997-09-30", last) == datetime(1997, 10, 1)


# --- one rule for SQL, pandas and scalars -----------------------------------------------


@pytest.fixture(scope="module")
def scalar_engine() -> Iterator[DuckDBEngine]:
    """One engine for every example below: each runs a query of literals only (no table),
    so they share it instead of opening one per example."""
    with DuckDBEngine(threads=1) as engine:
        yield engine


@settings(deadline=None)  # a DuckDB query per example: slow on a busy machine, not wrong
@given(NAIVE, st.integers(min_value=-3, max_value=3))
def test_sql_pandas_and_scalar_predicates_agree(scalar_engine: DuckDBEngine, end: datetime,
                                                micros: int) -> None:
    when = end + timedelta(microseconds=micros)
    stamps = pd.Series(pd.to_datetime([when]))
    in_pandas = bool(before(stamps, end).iloc[0])
    in_utc = bool(before(stamps.dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"), end).iloc[0])
    literal = f"TIMESTAMP '{when.isoformat(sep=' ')}'"
    in_sql = scalar_engine.scalar(f"SELECT {sql_before(end, 'ts')} FROM (SELECT {literal} AS ts)")
    assert in_pandas == in_utc == bool(in_sql) == is_before(when, end) == (micros < 0)


def test_epoch_days_are_utc_whatever_the_machine_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert epoch_days(datetime(1970, 1, 2)) == 1.0
        assert epoch_days(datetime(1970, 1, 1, 12, tzinfo=UTC)) == 0.5
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert SECONDS_PER_DAY == 86_400


# --- every stage applies the rule -----------------------------------------------------

TX = """
customer_id,order_id,timestamp,amount
c1,o1,1997-09-01,10
c1,o2,1997-09-30 23:59:59,20
c1,o3,1997-10-01 00:00:00,40
c2,o4,1997-10-01 00:00:00,5
"""


@pytest.fixture
def tx_engine(write_folder: Callable[..., Path]) -> Iterator[DuckDBEngine]:
    with DuckDBEngine(threads=1) as engine:
        load_folder(engine, write_folder(transactions=TX))
        yield engine


def test_features_hold_the_cutoff_day_and_nothing_at_the_next_midnight(
    tx_engine: DuckDBEngine,
) -> None:
    features = compute_features(tx_engine, as_of=parse_cutoff("1997-09-30"))
    assert list(features.index) == ["c1"]  # c2's only order is at the next midnight
    assert features.loc["c1", "frequency"] == 2
    assert features.loc["c1", "monetary"] == 30


def test_text_features_hold_the_whole_cutoff_day() -> None:
    texts = pd.DataFrame({
        "customer_id": ["a", "a", "b"],
        "timestamp": pd.to_datetime(["1997-09-30 18:00", "1997-10-01 00:00", "1997-10-01 00:00"]),
        "source": ["review"] * 3,
        "text": ["Love it", "Broken", "Fine"],
    })
    features = customer_text_features(texts, as_of="1997-09-30")
    assert features["text_count"].to_dict() == {"a": 1}
    same = customer_text_features(texts, as_of=parse_cutoff("1997-09-30"))
    pd.testing.assert_frame_equal(features, same)


def test_replay_leaves_out_the_record_at_the_window_end() -> None:
    tables = {
        "transactions": pd.DataFrame({
            "customer_id": ["c1", "c1"],
            "order_id": ["o1", "o2"],
            "timestamp": pd.to_datetime(["1997-09-30 23:59:59", "1997-10-01 00:00:00"]),
            "amount": [10.0, 20.0],
        })
    }
    sent = messages_from_tables(tables, as_of=parse_cutoff("1997-09-30"))
    assert [m["messageId"].split("-")[1] for m in sent] == ["o1"]


# --- window checks --------------------------------------------------------------------

FIRST, LAST = datetime(1997, 1, 1, 9), datetime(1998, 6, 30, 16)


def test_a_cutoff_before_the_first_record_is_an_input_error_with_the_range() -> None:
    with pytest.raises(InputError) as caught:
        check_window(FIRST, LAST, parse_cutoff("1996-12-31"))
    assert str(caught.value) == (
        "--cutoff 1996-12-31 is before the first transaction: "
        "the transactions run from 1997-01-01 to 1998-06-30."
    )


def test_a_holdout_past_the_data_end_is_refused_with_the_range_and_the_fix() -> None:
    end = parse_cutoff("1997-09-30")
    assert check_window(FIRST, LAST, end, 273) == []  # the CDNOW backtest fits exactly
    with pytest.raises(InputError) as caught:
        check_window(FIRST, LAST, end, 365)
    assert str(caught.value) == (
        "--holdout 365 reaches 92 days past the data's end (the transactions run from "
        "1997-01-01 to 1998-06-30); use --holdout 273 or an earlier --cutoff."
    )


def test_a_cutoff_after_the_data_warns_with_the_gap_and_is_refused_past_the_limit() -> None:
    assert check_window(FIRST, LAST, parse_cutoff("1998-06-30")) == []
    (warning,) = check_window(FIRST, LAST, parse_cutoff("1998-07-01"))
    assert warning.startswith("--cutoff 1998-07-01 is 1 day after the last transaction")
    assert len(check_window(FIRST, LAST, parse_cutoff("1999-06-30"))) == 1  # 365 days
    gap = (date(2030, 1, 1) - date(1998, 6, 30)).days
    with pytest.raises(InputError, match=rf"2030-01-01 is {gap} days after .* limit is 365 days"):
        check_window(FIRST, LAST, parse_cutoff("2030-01-01"))
    assert check_window(FIRST, LAST, parse_cutoff("2030-01-01"), max_gap_days=20_000)


def test_the_window_module_is_the_only_definition_of_a_day_in_seconds() -> None:
    root = Path(__file__).resolve().parents[1] / "src" / "shopperlens"
    mine = {"features/__init__.py", "features/orders.py", "features/browsing.py",
            "text/features.py", "service/replay.py"}
    for name in mine:
        text = (root / name).read_text(encoding="utf-8")
        assert "SECONDS_PER_DAY =" not in text and "86400" not in text, name
    assert os.path.exists(root / "timewindow.py")
