from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.errors import MissingColumnError, MissingTableError
from shopperlens.ingest import load_folder, parse_mappings
from shopperlens.privacy import pseudonymise

KEY = "a-test-key-of-enough-length"

TX = """
customer_id,order_id,timestamp,amount,quantity,discount
c1,o1,2024-01-02,10.5,1,0
c2,o2,2024-01-02T10:00:00+02:00,abc,1,0
c3,o3,not a date,3,1,0
,o4,2024-03-01 12:00:00,4,1,0
c1,o5,2024-03-01,4,1,0,extra
c1,o6,2024-03-01
c1,o7,2024-03-01,-5,1,-2
c9,o8,2024-03-01,5,1,0
c1,o9,2024-04-01,-7,2,0
"""
CUSTOMERS = """
customer_id,email,region,consent_profiling
c1,a@x.com,North,true
c2,b@x.com,South,maybe
c3,,South,false
c1,dup@x.com,North,true
"""


def rejected(engine: DuckDBEngine, table: str) -> dict[int, str]:
    return dict(engine.rows(f"SELECT row, reason FROM rejected_{table} ORDER BY row"))


def test_every_bad_row_is_quarantined_with_its_reason(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    folder = write_folder(transactions=TX, customers=CUSTOMERS)
    quality = load_folder(engine, folder)
    assert rejected(engine, "transactions") == {
        2: "bad decimal in amount: 'abc' (expected a number like 12.50)",
        3: "bad timestamp in timestamp: 'not a date' (expected an ISO 8601 date or date-time)",
        4: "missing customer_id",
        5: "malformed CSV line (too many columns)",
        6: "malformed CSV line (missing columns)",
        7: "discount out of range: -2.0 (expected a discount of 0 or more)",
        8: "unknown customer: 'c9' is not in customers",
    }
    # the good rows keep their own row numbers, whatever was rejected around them
    assert engine.rows("SELECT row, amount FROM transactions ORDER BY row") == [
        (1, 10.5),
        (9, -7.0),
    ]
    tx = quality["transactions"]
    assert (tx.rows_read, tx.rows_kept, tx.rows_rejected) == (9, 2, 7)
    assert tx.rejected_by_reason["malformed CSV line (too many columns)"] == 1
    assert tx.extra["return_lines"] == 1
    assert (tx.date_min, tx.date_max) == ("2024-01-02T00:00:00", "2024-04-01T00:00:00")


def test_customers_keep_first_of_a_duplicate_id(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    load_folder(
        engine, write_folder(transactions=TX, customers=CUSTOMERS), pseudonymisation_key=KEY
    )
    assert rejected(engine, "customers") == {
        2: "bad boolean in consent_profiling: 'maybe' (expected true or false)",
        4: "duplicate customer_id: 'c1' (its first row is kept)",
    }
    first = pseudonymise(["A@x.com "], key=KEY, kind="email")[0]
    assert engine.rows("SELECT email FROM customers WHERE customer_id = 'c1'") == [(first,)]


def test_identifiers_and_text_never_stay_plain(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    interactions = (
        "customer_id,timestamp,source,text\n"
        "c1,2024-01-01,support,Call me on 07700 900123 or mail jo@example.com\n"
        "c1,not a date,support,I am jo@example.com"
    )
    load_folder(
        engine, write_folder(transactions=TX, customers=CUSTOMERS, interactions=interactions)
    )
    stored = [r[0] for r in engine.rows("SELECT text FROM interactions")]
    assert stored == ["Call me on <PHONE> or mail <EMAIL>"]
    assert engine.rows("SELECT text FROM rejected_interactions") == [("I am <EMAIL>",)]
    emails = [
        r[0]
        for r in engine.rows(
            "SELECT email FROM customers UNION ALL SELECT email FROM rejected_customers"
        )
    ]
    assert all(e is None or e.startswith("pii_") for e in emails)


def test_timestamps_with_offsets_become_utc(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    tx = (
        "customer_id,order_id,timestamp,amount\n"
        "c1,o1,2024-01-02T10:00:00+02:00,1\nc1,o2,2024-01-02,2"
    )
    load_folder(engine, write_folder(transactions=tx))
    stamps = [
        r[0].isoformat() for r in engine.rows("SELECT timestamp FROM transactions ORDER BY row")
    ]
    assert stamps == ["2024-01-02T08:00:00", "2024-01-02T00:00:00"]


def test_events_are_counted_once_per_message_id(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    events = """
message_id,customer_id,anonymous_id,timestamp,event
m1,c1,,2024-01-01,Page Viewed
m1,c1,,2024-01-01,Page Viewed
m2,,,2024-01-01,Page Viewed
"""
    quality = load_folder(
        engine,
        write_folder(
            transactions="customer_id,order_id,timestamp,amount\nc1,o1,2024-01-01,1", events=events
        ),
    )
    assert quality["events"].duplicates == 1
    assert quality["events"].rows_kept == 1
    assert rejected(engine, "events") == {3: "missing customer_id and anonymous_id (one is needed)"}


def test_properties_are_checked_though_not_kept(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    events = """
message_id,customer_id,anonymous_id,timestamp,event,properties
m1,c1,,2024-01-01,Page Viewed,"{""path"": ""/""}"
m2,c1,,2024-01-01,Page Viewed,{not json
m3,c1,,2024-01-02,Page Viewed, 
m4,c1,,2024-01-02,,[1
m5,c1,,2024-01-03,Page Viewed,
"""
    quality = load_folder(
        engine,
        write_folder(
            transactions="customer_id,order_id,timestamp,amount\nc1,o1,2024-01-01,1", events=events
        ),
    )
    assert rejected(engine, "events") == {
        2: "bad json in properties: '{not json' (expected a JSON object)",
        # every reason of a row, those of the columns not kept last
        4: "missing event; bad json in properties: '[1' (expected a JSON object)",
    }
    assert quality["events"].rows_kept == 3
    assert "properties" not in engine.columns("events")


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["m1", " m1", "m1 ", "m2", "M2", "m10", "m1m"]), min_size=1,
                max_size=12))
def test_an_event_counts_once_per_message_id_as_trimmed(
    tmp_path_factory: pytest.TempPathFactory, ids: list[str]
) -> None:
    folder = tmp_path_factory.mktemp("data")
    (folder / "transactions.csv").write_text(
        "customer_id,order_id,timestamp,amount\nc1,o1,2024-01-01,1\n")
    lines = [f'"{m}",c1,,2024-01-{k + 1:02d},Page Viewed' for k, m in enumerate(ids)]
    (folder / "events.csv").write_text(
        "message_id,customer_id,anonymous_id,timestamp,event\n" + "\n".join(lines) + "\n")
    with DuckDBEngine(threads=2) as engine:
        quality = load_folder(engine, folder)
        kept_days = [r[0].day for r in engine.rows("SELECT timestamp FROM events ORDER BY row")]
    first = {m.strip(): k + 1 for k, m in reversed(list(enumerate(ids)))}
    assert quality["events"].duplicates == len(ids) - len(first)
    assert kept_days == sorted(first.values())  # the first event of each id is kept


def test_mapping_renames_foreign_columns(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    tx = "CustomerID,InvoiceNo,InvoiceDate,Total\nc1,o1,2024-01-01,3.5"
    mapping = parse_mappings(
        [
            "transactions.customer_id=CustomerID",
            "transactions.order_id=InvoiceNo",
            "transactions.timestamp=InvoiceDate",
            "transactions.amount=Total",
        ]
    )
    load_folder(engine, write_folder(transactions=tx), mapping)
    assert engine.rows("SELECT customer_id, order_id, amount FROM transactions") == [
        ("c1", "o1", 3.5)
    ]


def test_missing_required_column_names_file_and_column(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    folder = write_folder(transactions="CustomerID,order_id,timestamp,amount\nc1,o1,2024-01-01,1")
    with pytest.raises(MissingColumnError) as info:
        load_folder(engine, folder)
    message = str(info.value)
    assert message == (
        f"{folder / 'transactions.csv'}: transactions is missing required column 'customer_id' "
        "(found: CustomerID, order_id, timestamp, amount). "
        "Map it with --map transactions.customer_id=YOUR_COLUMN."
    )


def test_missing_transactions_table(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    folder = write_folder(customers="customer_id\nc1")
    with pytest.raises(MissingTableError, match="no transactions table"):
        load_folder(engine, folder)


def test_parquet_input_is_validated_like_csv(engine: DuckDBEngine, tmp_path: Path) -> None:
    import pandas as pd

    folder = tmp_path / "pq"
    folder.mkdir()
    frame = pd.DataFrame(
        {
            "customer_id": ["c1", None],
            "order_id": ["o1", "o2"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "amount": [1.0, 2.0],
        }
    )
    frame.to_parquet(folder / "transactions.parquet")
    quality = load_folder(engine, folder)
    assert quality["transactions"].rows_kept == 1
    assert rejected(engine, "transactions") == {2: "missing customer_id"}


def test_an_identifier_with_nothing_to_hash_becomes_missing(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    customers = "customer_id,email,phone\nc1,a@x.com,n/a\nc2, ,07700 900123"
    load_folder(engine, write_folder(transactions=TX, customers=customers))
    rows = engine.rows("SELECT customer_id, email, phone FROM customers ORDER BY 1")
    assert rows[0][2] is None and rows[1][1] is None
    assert rows[0][1].startswith("pii_") and rows[1][2].startswith("pii_")
