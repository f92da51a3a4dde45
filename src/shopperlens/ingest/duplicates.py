"""Exact repeats: rows equal, in every column as given, to an earlier row of their file.

A file exported twice, or a day appended again, doubles revenue without any value
being wrong. Only an exact repeat of every column counts: in CDNOW several lines of one
day share an order id and differ in amount, and those are real purchases. The repeats
are counted and, unless kept, quarantined with the reason ``duplicate of row N`` (N:
the first row they repeat).

The search runs in the engine, in two passes, so that 60M events cost one scan: rows
are grouped by a 64-bit hash first (of the table's unique key when it has one, since
exact repeats share it; else of every column), and only the rows whose hash repeats are
then compared column by column.
"""

from __future__ import annotations

from shopperlens import schema
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest.mapping import Mapping, quote, source_column

DUPLICATE = "duplicate of row "
"""Start of the reason of a quarantined repeat; the first row's number follows."""
REASON_GROUP = "duplicate of an earlier row"
"""How the quality summary counts those reasons together."""


def find_duplicates(engine: DuckDBEngine, table: str, columns: list[str], mapping: Mapping) -> int:
    """Build ``_duplicates_<table>`` (``_k``: the repeat's row, ``first_row``: the row it
    repeats) from ``raw_<table>`` and return how many repeats there are."""
    cols = ", ".join(quote(c) for c in columns)
    key = schema.TABLES[table].unique_key
    hashed = quote(source_column(mapping, table, key)) if key else cols
    if key and source_column(mapping, table, key) not in columns:
        hashed = cols
    engine.create_table(
        f"_duplicates_{table}",
        f"WITH candidates AS (SELECT hash({hashed}) AS h FROM raw_{table} "
        f"GROUP BY 1 HAVING count(*) > 1), "
        f"firsts AS (SELECT _k, min(_k) OVER (PARTITION BY {cols}) AS first_row "
        f"FROM raw_{table} WHERE hash({hashed}) IN (SELECT h FROM candidates)) "
        f"SELECT _k, first_row FROM firsts WHERE _k > first_row",
    )
    return int(engine.scalar(f"SELECT count(*) FROM _duplicates_{table}"))  # type: ignore[arg-type]


def quarantine_duplicates(engine: DuckDBEngine, table: str) -> None:
    """Give each repeat in ``_checked_<table>`` the reason ``duplicate of row N`` (before
    any other reason it has)."""
    engine.execute(
        f"UPDATE _checked_{table} SET _reason = concat_ws('; ', '{DUPLICATE}' || "
        f"d.first_row, _reason) FROM _duplicates_{table} d "
        f"WHERE _checked_{table}.{schema.ROW} = d._k",
        f"quarantining the repeated rows of {table}",
    )


def reason_group(reason_sql: str) -> str:
    """SQL grouping one reason for the summary: every ``duplicate of row N`` as one."""
    return (f"CASE WHEN starts_with({reason_sql}, '{DUPLICATE}') THEN '{REASON_GROUP}' "
            f"ELSE split_part({reason_sql}, ':', 1) END")
