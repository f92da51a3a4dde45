"""Exact repeats: rows whose every value equals that of an earlier row of their file.

A file exported twice, or a day appended again, doubles revenue without any value
being wrong. Only a repeat of every column counts: in CDNOW several lines of one day
share an order id and differ in amount, and those are real purchases. The values are
compared once typed (``10`` and ``10.0``, or a date and its midnight, are equal), among
the rows valid so far (a repeated bad row is rejected for its own fault). Events are
compared on their kept columns (not ``properties``: a repeated message id is one event
anyway). The repeats are counted and, unless kept, quarantined with the reason
``duplicate of row N`` (N: the first row they repeat).

Events are the exception (:data:`BY_KEY`): they are idempotent by ``message_id``, and
every later copy of one, exact or not, is dropped and counted once ingestion has
checked them (``ingest._find_repeats``). Quarantining retries would write 0.5% of the
events to ``rejected/`` and group 60M message ids a second time.

The search runs in the engine in two passes, so that a big table costs one grouping:
rows are grouped by a 64-bit hash first (of the table's unique key when it has one,
since repeats share it: the events' message id is a 128-bit number by then, cheap to
hash; else of every column), and only the rows whose hash repeats are then compared
column by column.
"""

from __future__ import annotations

from shopperlens import schema
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest.mapping import quote

DUPLICATE = "duplicate of row "
"""Start of the reason of a quarantined repeat; the first row's number follows."""
REASON_GROUP = "duplicate of an earlier row"
"""How the quality summary counts those reasons together."""
BY_KEY = frozenset({schema.EVENTS.name})
"""Tables whose repeats are dropped by their unique key instead."""


def mark_duplicates(engine: DuckDBEngine, table: str, *, keep: bool = False) -> int:
    """Find the repeats among the valid rows of ``_checked_<table>`` and, unless
    ``keep``, quarantine them; return how many there are (0 for :data:`BY_KEY` tables)."""
    if table in BY_KEY:
        return 0
    repeats = find_duplicates(engine, table)
    if repeats and not keep:
        quarantine_duplicates(engine, table)
    engine.execute(f"DROP TABLE _duplicates_{table}")
    return repeats


def find_duplicates(engine: DuckDBEngine, table: str) -> int:
    """Build ``_duplicates_<table>`` (``row``: the repeat, ``first_row``: the row it
    repeats) from the valid rows of ``_checked_<table>``; return how many repeats."""
    checked = f"_checked_{table}"
    columns = [c for c in engine.columns(checked) if c not in (schema.ROW, "_reason")]
    cols = ", ".join(quote(c) for c in columns)
    key = schema.TABLES[table].unique_key
    hashed = quote(key) if key in columns else cols
    engine.create_table(
        f"_candidates_{table}",
        f"SELECT hash({hashed}) AS h FROM {checked} WHERE _reason IS NULL "
        f"GROUP BY 1 HAVING count(*) > 1",
    )
    # Most files repeat nothing: then the second pass (hashing every row again) is skipped.
    some = engine.scalar(f"SELECT count(*) FROM _candidates_{table}")
    candidates = f"hash({hashed}) IN (SELECT h FROM _candidates_{table})" if some else "FALSE"
    engine.create_table(
        f"_duplicates_{table}",
        f"WITH firsts AS (SELECT {schema.ROW}, min({schema.ROW}) OVER (PARTITION BY {cols}) "
        f"AS first_row FROM {checked} WHERE _reason IS NULL AND {candidates}) "
        f"SELECT {schema.ROW}, first_row FROM firsts WHERE {schema.ROW} > first_row",
    )
    engine.execute(f"DROP TABLE _candidates_{table}")
    return int(engine.scalar(f"SELECT count(*) FROM _duplicates_{table}"))  # type: ignore[arg-type]


def quarantine_duplicates(engine: DuckDBEngine, table: str) -> None:
    """Give each repeat in ``_checked_<table>`` the reason ``duplicate of row N``."""
    engine.execute(
        f"UPDATE _checked_{table} SET _reason = '{DUPLICATE}' || d.first_row "
        f"FROM _duplicates_{table} d "
        f"WHERE _checked_{table}.{schema.ROW} = d.{schema.ROW}",
        f"quarantining the repeated rows of {table}",
    )


def reason_group(reason_sql: str) -> str:
    """SQL grouping one reason for the summary: every ``duplicate of row N`` as one."""
    return (f"CASE WHEN starts_with({reason_sql}, '{DUPLICATE}') THEN '{REASON_GROUP}' "
            f"ELSE split_part({reason_sql}, ':', 1) END")
