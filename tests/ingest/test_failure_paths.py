"""Files a new user really has: optional columns left out, empty files, nothing usable."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.errors import InputError, SchemaError
from shopperlens.features import compute_features
from shopperlens.ingest import load_folder, require_rows, transaction_range, write_rejected

TX = "customer_id,order_id,timestamp,amount\nc1,o1,2024-01-02,10\nc2,o2,2024-01-05,5\n"
US_DATES = "customer_id,order_id,timestamp,amount\nc1,o1,03/04/1997,10\nc2,o2,03/05/1997,5\n"


@pytest.mark.parametrize(
    "header, row",
    [
        ("message_id,customer_id,timestamp,event", "m1,c1,2024-01-02,Product Viewed"),
        ("message_id,anonymous_id,timestamp,event", "m1,a1,2024-01-02,Product Viewed"),
        ("message_id,customer_id,timestamp,event,session_id", "m1,c1,2024-01-02,Product Viewed,s"),
    ],
)
def test_events_without_optional_columns_ingest_and_give_features(
    engine: DuckDBEngine, write_folder: Callable[..., Path], header: str, row: str
) -> None:
    quality = load_folder(engine, write_folder(transactions=TX, events=f"{header}\n{row}\n"))
    assert (quality["events"].rows_kept, quality["events"].rows_rejected) == (1, 0)
    # the identity the file lacks is NULL, so checks and stitching still read it
    assert {"customer_id", "anonymous_id"} <= set(engine.columns("events"))
    features = compute_features(engine, as_of=datetime(2024, 2, 1))
    assert set(features.index) == {"c1", "c2"}
    views = 1 if header.startswith("message_id,customer_id") else 0  # anonymous: unlinked
    assert features.loc["c1", "product_views"] == views


def test_other_tables_with_required_columns_only_ingest(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    quality = load_folder(engine, write_folder(
        transactions=TX,
        customers="customer_id\nc1\nc2\n",
        interactions="customer_id,timestamp,source,text\nc1,2024-01-02,review,Nice\n",
        identities="customer_id,id_type,id_value\nc1,email,a@b.c\n",
    ))
    assert {t: q.rows_kept for t, q in quality.items()} == {
        "transactions": 2, "interactions": 1, "customers": 2, "identities": 1}


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_an_empty_file_says_it_is_empty(
    engine: DuckDBEngine, tmp_path: Path, content: str
) -> None:
    (tmp_path / "transactions.csv").write_text(content)
    with pytest.raises(InputError) as caught:
        load_folder(engine, tmp_path)
    message = str(caught.value)
    assert message == (
        f"{tmp_path / 'transactions.csv'} is empty: transactions needs a header line "
        "(customer_id, order_id, timestamp, amount) and rows."
    )
    assert "--map" not in message


def test_an_empty_gzipped_events_file_says_it_is_empty(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    folder = write_folder(transactions=TX)
    with gzip.open(folder / "events.csv.gz", "wb"):
        pass
    with pytest.raises(InputError, match=r"events.csv.gz is empty: events needs a header"):
        load_folder(engine, folder)


def test_nothing_usable_in_transactions_is_an_input_error_with_an_example_and_the_fix(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    quality = load_folder(engine, write_folder(transactions=US_DATES))  # reported, not raised
    with pytest.raises(SchemaError) as caught:
        require_rows(quality)
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        "transactions.csv: none of its 2 rows can be used; row 1: bad timestamp in timestamp: "
        "'03/04/1997' (expected an ISO 8601 date or date-time). Write dates as ISO 8601, "
        "YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (e.g. 1997-09-30), not 09/30/1997. Every "
        "rejected row and its reason: rejected/transactions.csv in the output folder of "
        "`shopperlens run`."
    )


def test_a_header_without_rows_is_an_input_error(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    header_only = "customer_id,order_id,timestamp,amount"
    quality = load_folder(engine, write_folder(transactions=header_only))
    with pytest.raises(SchemaError, match=r"^transactions.csv has a header but no rows"):
        require_rows(quality)


def test_usable_rows_pass_and_give_the_data_range(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    quality = load_folder(engine, write_folder(transactions=TX + "c3,o3,bad,1\n"))
    require_rows(quality)
    assert transaction_range(quality) == (datetime(2024, 1, 2), datetime(2024, 1, 5))


def test_rejected_rows_are_written_even_when_nothing_survives(
    engine: DuckDBEngine, write_folder: Callable[..., Path], tmp_path: Path
) -> None:
    quality = load_folder(engine, write_folder(transactions=US_DATES))
    out = tmp_path / "out" / "rejected"
    written = write_rejected(engine, out, quality)
    assert written == [out / "transactions.csv"]
    with open(out / "transactions.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["row"], r["timestamp"]) for r in rows] == [("1", "03/04/1997"), ("2", "03/05/1997")]
    assert all(r["reason"].startswith("bad timestamp") for r in rows)


def test_a_stale_rejected_file_is_removed_when_a_table_has_none(
    engine: DuckDBEngine, write_folder: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "rejected"
    out.mkdir()
    (out / "transactions.csv").write_text("old")
    quality = load_folder(engine, write_folder(transactions=TX))
    assert write_rejected(engine, out, quality) == []
    assert not (out / "transactions.csv").exists()
