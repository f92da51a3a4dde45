"""Ingestion: read a data folder, coerce, quarantine, de-duplicate and stitch identities.

:func:`load_folder` leaves typed good rows in engine tables named after the contract
tables, the bad ones in ``rejected_<table>``, and returns a quality summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from shopperlens import schema as s
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.errors import SchemaError
from shopperlens.ingest.duplicates import reason_group
from shopperlens.ingest.identity import ANON_MAP, link_anonymous_ids, stitched_events_sql
from shopperlens.ingest.mapping import Mapping, parse_mappings
from shopperlens.ingest.privacy import protect_table, register_privacy_functions
from shopperlens.ingest.quarantine import write_rejected
from shopperlens.ingest.readers import discover, is_large_csv, load_raw
from shopperlens.ingest.validate import Check, TableQuality, validate_table

CHECKED_EVENTS = "_events_checked"  # the good events; ``events`` is a view over them
REPEATS = "_repeats"  # row numbers of the events whose message id came earlier
# Customers first: the other tables are checked against the customer ids it holds. Then
# the tables whose identifiers and texts take Python work to protect, which runs on a
# thread (a core DuckDB leaves idle) while the big tables are checked.
# Offers and the calendar last: lists of the retailer's, no customer in them.
LOAD_ORDER = ("customers", "identities", "interactions", "transactions", "events", "campaigns",
              "prices", "offers", "calendar")

__all__ = [
    "LOAD_ORDER",
    "TableQuality",
    "discover",
    "load_folder",
    "parse_mappings",
    "require_rows",
    "transaction_range",
    "write_rejected",
]


def load_folder(
    engine: DuckDBEngine,
    folder: str | Path,
    mapping: Mapping | None = None,
    *,
    pseudonymisation_key: bytes | str | None = None,
    default_country: str = "GB",
    keep_duplicates: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, TableQuality]:
    """Load every contract table found in ``folder`` into ``engine``.

    Returns the data-quality summary per table. Rows exactly repeating an earlier row
    are counted and quarantined, or kept with ``keep_duplicates``. Raises
    :class:`~shopperlens.errors.MissingTableError`,
    :class:`~shopperlens.errors.MissingColumnError` or
    :class:`~shopperlens.errors.InputError` (an empty file) for files that cannot be
    used at all; a table whose every row was rejected is reported, not raised (see
    :func:`require_rows`), so that its rejected rows can be written first.

    ``progress(done, total)`` is told the bytes of the files loaded so far as each
    table is, the total at the end.
    """
    mapping = mapping or {}
    files = discover(folder)
    register_privacy_functions(engine, pseudonymisation_key, default_country)
    quality: dict[str, TableQuality] = {}
    tick = _bytes_ticker(files, progress)
    with engine.beside() as submit:
        for table in (t for t in LOAD_ORDER if t in files):
            raw = load_raw(engine, table, files[table], mapping)
            checks = _cross_checks(engine, table)
            repeats = validate_table(engine, raw, mapping, checks,
                                     keep_duplicates=keep_duplicates)
            submit(protect_table, table)
            quality[table] = _summarise(engine, table, files[table])
            quality[table].duplicates = repeats
            if repeats and keep_duplicates:
                quality[table].extra["duplicates_kept"] = 1
            quality[table].extra["malformed_lines"] = raw.malformed
            if is_large_csv(files[table]):
                quality[table].extra["large_csv"] = 1
            tick(table)
    if s.EVENTS.name in quality:
        events = quality[s.EVENTS.name]
        repeats, stitched = _clean_events(engine)
        events.duplicates += repeats
        events.rows_kept -= repeats
        events.extra.update(stitched)
    if s.TRANSACTIONS.name in quality:
        quality[s.TRANSACTIONS.name].extra["return_lines"] = int(
            engine.scalar(f"SELECT count(*) FROM {s.TRANSACTIONS.name} WHERE {s.AMOUNT} < 0")  # type: ignore[arg-type]
        )
    tick(None)
    return {table: quality[table] for table in s.TABLES if table in quality}


def _bytes_ticker(files: dict[str, Path], progress: Callable[[int, int], None] | None
                  ) -> Callable[[str | None], None]:
    """``tick(table)`` tells ``progress`` the bytes loaded once ``table`` is; the total
    only on ``tick(None)``, when the work after the last table is done too."""
    sizes = {table: path.stat().st_size for table, path in files.items()}
    total, done = sum(sizes.values()), 0

    def tick(table: str | None) -> None:
        nonlocal done
        done = total if table is None else done + sizes[table]
        if progress is not None and (table is None or done < total):
            progress(done, total)

    return tick


def quality_as_dict(quality: dict[str, TableQuality]) -> dict[str, dict]:
    """The summary as plain data, for ``run.json``."""
    return {name: asdict(q) for name, q in quality.items()}


def _cross_checks(engine: DuckDBEngine, table: str) -> list[Check]:
    checks: list[Check] = []
    if table == s.CUSTOMERS.name:
        checks.append(
            (
                f"{s.ROW} <> (SELECT min(d.{s.ROW}) FROM _checked_customers d "
                f"WHERE d.{s.CUSTOMER_ID} = _checked_customers.{s.CUSTOMER_ID})",
                f"'duplicate customer_id: ''' || {s.CUSTOMER_ID} || ''' (its first row is kept)'",
            )
        )
    elif table == s.EVENTS.name:
        checks.append(
            (
                f"{s.CUSTOMER_ID} IS NULL AND {s.ANONYMOUS_ID} IS NULL",
                "'missing customer_id and anonymous_id (one is needed)'",
            )
        )
    has_customer = s.CUSTOMER_ID in s.TABLES[table].columns_by_name
    if table != s.CUSTOMERS.name and has_customer and engine.has_table(s.CUSTOMERS.name):
        # A customer whose own row was quarantined is still known: their orders stay.
        checks.append(
            (
                f"{s.CUSTOMER_ID} IS NOT NULL AND {s.CUSTOMER_ID} NOT IN "
                f"(SELECT {s.CUSTOMER_ID} FROM {s.CUSTOMERS.name} UNION ALL "
                f"SELECT {s.CUSTOMER_ID} FROM rejected_{s.CUSTOMERS.name})",
                f"'unknown customer: ''' || {s.CUSTOMER_ID} || ''' is not in customers'",
            )
        )
    return checks


def _clean_events(engine: DuckDBEngine) -> tuple[int, dict[str, int]]:
    """Keep the first event of each ``message_id`` and attribute anonymous events to
    their linked customers (:mod:`~shopperlens.ingest.identity`); return how many
    repeats were dropped and counts of what was stitched.

    ``events`` becomes a view over the checked events (renamed
    :data:`CHECKED_EVENTS`) that leaves the repeats out and joins the links: the
    checked table is not changed in place, as DuckDB keeps per-vector version info in
    memory for a DELETE, and old values for an UPDATE, and at 10M customers (600M
    events, 0.5% repeated, 100M stitched) both ran out of a 4 GB limit; nor copied, as
    writing 60M events again cost more (~26 s at 1M customers) than the few scans of the
    view the features make.
    """
    dropped = _find_repeats(engine)
    kept = f"{s.ROW} NOT IN (SELECT {s.ROW} FROM {REPEATS})" if dropped else "TRUE"
    link_anonymous_ids(engine, kept)
    engine.execute(f"ALTER TABLE {s.EVENTS.name} RENAME TO {CHECKED_EVENTS}")
    engine.create_view(s.EVENTS.name, stitched_events_sql(CHECKED_EVENTS, kept))
    ((anonymous, unlinked),) = engine.rows(
        f"SELECT count(*), count(*) FILTER (WHERE {ANON_MAP}.{s.CUSTOMER_ID} IS NULL) "
        f"FROM {CHECKED_EVENTS} e LEFT JOIN {ANON_MAP} USING ({s.ANONYMOUS_ID}) "
        f"WHERE e.{s.CUSTOMER_ID} IS NULL AND {kept}"
    )
    return dropped, {
        "anonymous_ids_linked": int(engine.scalar(f"SELECT count(*) FROM {ANON_MAP}")),  # type: ignore[arg-type]
        "events_stitched": int(anonymous - unlinked),
        "events_anonymous": int(unlinked),
    }


def _find_repeats(engine: DuckDBEngine) -> int:
    """Table :data:`REPEATS`: the rows of events whose ``message_id`` came earlier; their
    count."""
    # The ids are kept as 128-bit digests (validation). Grouping 60M 64-bit hashes of
    # them is cheaper still; only the few events whose hash repeats are then grouped by
    # the digest itself (hashes of different digests may collide).
    engine.create_table(
        "_repeated",
        f"WITH candidates AS (SELECT hash({s.MESSAGE_ID}) AS h FROM {s.EVENTS.name} "
        f"WHERE {s.MESSAGE_ID} IS NOT NULL GROUP BY 1 HAVING count(*) > 1) "
        f"SELECT {s.MESSAGE_ID}, min({s.ROW}) AS first_row FROM {s.EVENTS.name} "
        f"WHERE hash({s.MESSAGE_ID}) IN (SELECT h FROM candidates) "
        f"GROUP BY 1 HAVING count(*) > 1",
    )
    engine.create_table(
        REPEATS,
        f"SELECT e.{s.ROW} FROM {s.EVENTS.name} e JOIN _repeated r "
        f"ON e.{s.MESSAGE_ID} = r.{s.MESSAGE_ID} AND e.{s.ROW} > r.first_row",
    )
    engine.execute("DROP TABLE _repeated")
    return int(engine.scalar(f"SELECT count(*) FROM {REPEATS}"))  # type: ignore[arg-type]


def _summarise(engine: DuckDBEngine, table: str, path: Path) -> TableQuality:
    kept = int(engine.scalar(f"SELECT count(*) FROM {table}"))  # type: ignore[arg-type]
    rejected = int(engine.scalar(f"SELECT count(*) FROM rejected_{table}"))  # type: ignore[arg-type]
    reasons = engine.rows(
        f"SELECT {reason_group('r')} AS why, count(*) FROM (SELECT unnest(string_split("
        f"{s.REASON}, '; ')) AS r FROM rejected_{table}) GROUP BY why ORDER BY 2 DESC, 1"
    )
    quality = TableQuality(table, path.name, kept + rejected, kept, rejected)
    quality.rejected_by_reason = {str(why): int(n) for why, n in reasons}
    if rejected:
        ((row, reason),) = engine.rows(
            f"SELECT {s.ROW}, {s.REASON} FROM rejected_{table} ORDER BY {s.ROW} LIMIT 1"
        )
        quality.first_rejected = f"row {row}: {reason}"
    if s.TIMESTAMP in engine.columns(table):
        ((low, high),) = engine.rows(f"SELECT min({s.TIMESTAMP}), max({s.TIMESTAMP}) FROM {table}")
        quality.date_min = None if low is None else low.isoformat()
        quality.date_max = None if high is None else high.isoformat()
    return quality


def require_rows(quality: dict[str, TableQuality]) -> None:
    """Raise :class:`~shopperlens.errors.SchemaError` when a required table has no
    usable row, naming its first rejected row, the value and the fix."""
    for name, table in s.TABLES.items():
        q = quality.get(name)
        if not table.required or q is None or q.rows_kept:
            continue
        if not q.rows_read:
            raise SchemaError(f"{q.file} has a header but no rows: {name} needs at least one.")
        raise SchemaError(
            f"{q.file}: none of its {q.rows_read:,} rows can be used; {q.first_rejected}. "
            f"{_fix(name, q.first_rejected or '')} Every rejected row and its reason: "
            f"{s.REJECTED_DIR}/{name}.csv in the output folder of `shopperlens run`."
        )


# The usual fix for the reason a row gives: (start of the reason, what to do).
FIXES = (
    ("bad timestamp", "Write dates as ISO 8601, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS "
                      "(e.g. 1997-09-30), not 09/30/1997."),
    ("bad decimal", "Write amounts as plain numbers with a dot (12.50), without currency "
                    "signs or thousands separators."),
    ("missing ", "Fill that column in, or map the right one with --map TABLE.COLUMN=NAME."),
    ("unknown customer", "Add those customers to customers.csv, or leave customers.csv out."),
    ("duplicate of row", "The file repeats rows; keep them with --keep-duplicates if they "
                         "are real."),
)


def _fix(table: str, reason: str) -> str:
    why = reason.partition(": ")[2]
    for start, fix in FIXES:
        if why.startswith(start):
            return fix.replace("TABLE", table)
    return "Correct the values as the reason says."


def transaction_range(quality: dict[str, TableQuality]) -> tuple[datetime, datetime]:
    """The first and last transaction (naive UTC), from the quality summary."""
    q = quality[s.TRANSACTIONS.name]
    if q.date_min is None or q.date_max is None:
        require_rows(quality)
        raise SchemaError(f"{q.file}: no transaction has a usable timestamp.")
    return datetime.fromisoformat(q.date_min), datetime.fromisoformat(q.date_max)
