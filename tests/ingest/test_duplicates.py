"""Exact repeated rows: counted, reported, quarantined (or kept on request)."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest import load_folder, quality_as_dict

# CDNOW-like: several lines of one customer and day share an order id and differ.
TX = "customer_id,order_id,timestamp,amount,quantity\n" + "\n".join(
    f"c{i % 37},o{i // 3},1997-0{1 + i % 9}-1{i % 10},{(i * 7) % 50 + 0.25},{1 + i % 3}"
    for i in range(300)
)


def revenue(engine: DuckDBEngine) -> float:
    return float(engine.scalar("SELECT sum(amount) FROM transactions"))  # type: ignore[arg-type]


def test_fifty_appended_order_lines_leave_revenue_unchanged_and_are_reported(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    with DuckDBEngine(threads=1) as clean:
        load_folder(clean, write_folder(transactions=TX))
        expected = revenue(clean)
    lines = TX.splitlines()
    repeated = lines[1:51]  # rows 1..50 again, as rows 301..350
    quality = load_folder(engine, write_folder(transactions="\n".join(lines + repeated)))
    tx = quality["transactions"]
    assert revenue(engine) == expected
    assert (tx.rows_read, tx.rows_kept, tx.rows_rejected, tx.duplicates) == (350, 300, 50, 50)
    assert tx.rejected_by_reason == {"duplicate of an earlier row": 50}
    assert quality_as_dict(quality)["transactions"]["duplicates"] == 50  # run.json
    reasons = dict(engine.rows("SELECT row, reason FROM rejected_transactions"))
    assert reasons == {300 + n: f"duplicate of row {n}" for n in range(1, 51)}


def test_lines_sharing_an_order_id_but_not_every_value_are_not_duplicates(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    same_day = (
        "customer_id,order_id,timestamp,amount,quantity\n"
        "c1,o1,1997-01-01,10,1\nc1,o1,1997-01-01,12,1\nc1,o1,1997-01-01,10,2\n"
        "c1,o1,1997-01-01,10,1\nc1,o1,1997-01-01 00:00:00,10.0,1\n"
    )
    quality = load_folder(engine, write_folder(transactions=same_day))
    # rows 4 and 5 repeat row 1 (row 5 written otherwise: the values are equal once typed)
    assert quality["transactions"].duplicates == 2
    assert engine.rows("SELECT row, reason FROM rejected_transactions") == [
        (4, "duplicate of row 1"), (5, "duplicate of row 1")]
    assert revenue(engine) == 32


def test_keep_duplicates_keeps_and_still_counts_them(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    lines = TX.splitlines()
    folder = write_folder(transactions="\n".join(lines + lines[1:11]))
    quality = load_folder(engine, folder, keep_duplicates=True)
    tx = quality["transactions"]
    assert (tx.rows_kept, tx.rows_rejected, tx.duplicates) == (310, 0, 10)
    assert tx.extra["duplicates_kept"] == 1


def test_repeats_of_every_table_are_found(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    customers = "customer_id,region\nc1,North\nc2,South\nc1,North\n"
    texts = ("customer_id,timestamp,source,text\n"
             "c1,1997-01-02,review,Great\nc1,1997-01-02,review,Great\n")
    ids = "customer_id,id_type,id_value\nc1,anonymous_id,a1\nc1,anonymous_id,a1\n"
    tx = "customer_id,order_id,timestamp,amount\nc1,o1,1997-01-01,10\nc2,o2,1997-01-01,5\n"
    quality = load_folder(engine, write_folder(
        transactions=tx, customers=customers, interactions=texts, identities=ids))
    assert {t: q.duplicates for t, q in quality.items()} == {
        "transactions": 0, "customers": 1, "interactions": 1, "identities": 1}
    assert engine.rows("SELECT row, reason FROM rejected_customers") == [
        (3, "duplicate of row 1")]


def test_a_repeat_of_a_bad_row_is_rejected_for_its_own_fault(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    tx = ("customer_id,order_id,timestamp,amount\n"
          "c1,o1,1997-01-01,1\nc1,o2,1997-01-01,x\nc1,o2,1997-01-01,x\n")
    quality = load_folder(engine, write_folder(transactions=tx))
    assert quality["transactions"].duplicates == 0
    assert dict(engine.rows("SELECT row, reason FROM rejected_transactions"))[3] == (
        "bad decimal in amount: 'x' (expected a number like 12.50)")


def test_parquet_repeats_are_found_too(engine: DuckDBEngine, tmp_path: Path) -> None:
    frame = pd.DataFrame({"customer_id": ["c1", "c1", "c2", "c1"],
                          "order_id": ["o1", "o1", "o2", "o1"],
                          "timestamp": pd.to_datetime(["1997-01-01"] * 4),
                          "amount": [10.0, 10.0, 5.0, 10.0]})
    frame.to_parquet(tmp_path / "transactions.parquet")
    quality = load_folder(engine, tmp_path)
    assert quality["transactions"].duplicates == 2
    assert revenue(engine) == 15.0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.sampled_from(["o1", "o2"]),
                  st.integers(1, 28), st.integers(-5, 50)),
        min_size=1, max_size=25, unique=True,
    ),
    st.lists(st.integers(0, 1000), max_size=15),
    st.randoms(use_true_random=False),
)
def test_appended_repeats_never_change_revenue(
    rows: list[tuple[str, str, int, int]], picks: list[int], rng: random.Random
) -> None:
    text = [f"{c},{o},1997-01-{d:02d},{a}" for c, o, d, a in rows]
    repeats = [text[p % len(text)] for p in picks]
    body = text + repeats
    rng.shuffle(body)
    expected = sum(a for *_, a in rows)
    with DuckDBEngine(threads=1) as engine, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "transactions.csv"
        path.write_text("customer_id,order_id,timestamp,amount\n" + "\n".join(body) + "\n")
        quality = load_folder(engine, folder)
        assert quality["transactions"].duplicates == len(repeats)
        assert revenue(engine) == expected
