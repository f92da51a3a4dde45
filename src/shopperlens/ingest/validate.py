"""Coerce raw tables to the contract's types; quarantine every bad row with its reason.

A row is rejected for its own faults only (missing id, bad timestamp, non-numeric
amount, out-of-range value, unknown customer, duplicate key, exact repeat of an earlier
row: :mod:`~shopperlens.ingest.duplicates`); its neighbours are kept.
Rejected rows keep the values as given, their data row number (1-based, header
excluded) and a ``reason`` a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopperlens import schema
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest.duplicates import mark_duplicates
from shopperlens.ingest.mapping import Mapping, quote, source_column
from shopperlens.ingest.readers import RawTable

Check = tuple[str, str]
# Optional columns that ingestion itself reads (the events' two identities, for the
# identity checks and stitching): when a file lacks one, it is NULL in every row.
NULL_WHEN_ABSENT = {schema.EVENTS.name: (schema.CUSTOMER_ID, schema.ANONYMOUS_ID)}

EXPECTED = {
    "timestamp": "an ISO 8601 date or date-time",
    "decimal": "a number like 12.50",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "json": "a JSON object",
    "string": "text",
}


@dataclass
class TableQuality:
    """What happened to one table on its way in.

    ``duplicates`` counts the rows that exactly repeat an earlier row (quarantined with
    the reason ``duplicate of row N``, so also in ``rows_rejected``, unless kept: then
    ``extra["duplicates_kept"]`` is 1) plus, for events, the later events of a
    repeated ``message_id`` (dropped: counted once, as the contract says).
    """

    table: str
    file: str
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    duplicates: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    date_min: str | None = None
    date_max: str | None = None
    first_rejected: str | None = None  # "row N: reason" of the first rejected row
    extra: dict[str, int] = field(default_factory=dict)


def validate_table(
    engine: DuckDBEngine,
    raw: RawTable,
    mapping: Mapping,
    extra: list[Check] | None = None,
    *,
    keep_duplicates: bool = False,
) -> int:
    """Build ``<table>`` (typed good rows) and ``rejected_<table>`` from ``raw_<table>``;
    return how many valid rows repeat an earlier one in every value (quarantined as
    duplicates unless ``keep_duplicates``: :mod:`~shopperlens.ingest.duplicates`).

    ``extra`` checks run after typing, in order, on rows that passed so far: each is a
    SQL condition over the typed columns and the SQL of its reason.
    """
    spec = schema.TABLES[raw.name]
    types = {row[0]: row[1] for row in engine.rows(f"DESCRIBE raw_{raw.name}")}
    typed: list[str] = []
    checks: list[str] = []  # SQL conditions, each naming its reason
    apart: list[str] = []
    present = []
    for col in spec.columns:
        src = source_column(mapping, raw.name, col.name)
        if src not in raw.columns and col.within is not None:
            within = source_column(mapping, raw.name, col.within)
            src = f"{within}.{col.name}"  # a flattened JSON column
            if src not in raw.columns and within in raw.columns:
                typed.append(f"{_from_json(within, col, types)} AS {quote(col.name)}")
                checks.extend(_json_checks(raw.name, within, col, types))
                present.append(col)
                continue
        if src not in raw.columns:
            continue
        present.append(col)
        source_type = types.get(src, "VARCHAR")
        text = _text(quote(src), source_type)
        value = _typed(col.kind, quote(src), text, source_type)
        # a typed (Parquet) column is missing only when NULL: no text round trip
        given = quote(src) if _is_typed(source_type) else text
        if col.kept == schema.DIGEST:
            # MD5 as a 128-bit number: writing 600M random 20-character ids cost twice as
            # much as the rest of the events table, and only repeats of them matter
            typed.append(f"md5_number({value}) AS {quote(col.name)}")
        elif col.kept:
            typed.append(f"{value} AS {quote(col.name)}")
        (checks if col.kept else apart).extend(_checks(raw.name, col, text, value, given))
    typed += [f"CAST(NULL AS VARCHAR) AS {quote(name)}"
              for name in NULL_WHEN_ABSENT.get(raw.name, ()) if spec.column(name) not in present]
    engine.create_table(
        f"_checked_{raw.name}",
        f"SELECT _k AS {schema.ROW}, {', '.join(typed)}, {_reason(checks)} AS _reason "
        f"FROM raw_{raw.name}",
    )
    if apart:
        _check_apart(engine, raw, apart)
    # repeats before the cross-checks: an exact repeat of a customer is a duplicate row
    # rather than a "duplicate customer_id"
    repeats = mark_duplicates(engine, raw.name, keep=keep_duplicates)
    for condition, reason_sql in extra or []:
        engine.execute(
            f"UPDATE _checked_{raw.name} SET _reason = {reason_sql} "
            f"WHERE _reason IS NULL AND ({condition})",
            f"checking {raw.path}",
        )
    _split(engine, raw)
    return repeats


def _json_value(within: str, col: schema.Column, types: dict[str, str]) -> tuple[str, str]:
    """SQL of the JSON text of column ``within`` when it may hold key ``col.name`` (a
    plain text search first: parsing the JSON of 60M events only to find most without the
    key costs seconds), and the key's path."""
    text = _text(quote(within), types.get(within, "VARCHAR"))
    key = col.name.replace("'", "''")
    return (f"(CASE WHEN contains({text}, '\"{key}\"') AND json_valid({text}) THEN {text} END)",
            f"'$.\"{key}\"'")


def _from_json(within: str, col: schema.Column, types: dict[str, str]) -> str:
    """SQL of ``col`` read from the JSON column ``within`` (NULL where it is missing,
    empty, or not a scalar: :func:`_json_checks` rejects those rows)."""
    json, path = _json_value(within, col, types)
    value = f"json_extract_string({json}, {path})"
    scalar = f"json_type({json}, {path}) NOT IN ('OBJECT', 'ARRAY', 'NULL')"
    return f"(CASE WHEN {scalar} THEN NULLIF(trim({value}), '') END)"


def _json_checks(table: str, within: str, col: schema.Column, types: dict[str, str]
                 ) -> list[str]:
    """The checks of ``col`` read from the JSON column ``within``: a value that is not
    text or a number (an object, a list, true or false), and the column's range rule."""
    json, path = _json_value(within, col, types)
    shown = f"left(json_extract({json}, {path})::VARCHAR, 40)"
    where = f"{within}.{col.name}"
    expected = EXPECTED[col.kind]
    value = _from_json(within, col, types)
    return [f"CASE WHEN json_type({json}, {path}) IN ('OBJECT', 'ARRAY', 'BOOLEAN') "
            f"THEN 'bad {col.kind} in {where}: ' || {shown} || ' (expected {expected})' END",
            *_range_check(table, col.name, value, where, f"left({value}, 40) || '...'")]


def _reason(checks: list[str]) -> str:
    """SQL of the reasons ``checks`` give, "; "-joined; NULL when none does."""
    return f"NULLIF(concat_ws('; ', {', '.join(checks)}), '')" if checks else "NULL"


def _check_apart(engine: DuckDBEngine, raw: RawTable, checks: list[str]) -> None:
    """Add the reasons ``checks`` give on columns that are not kept, checked in a pass
    of their own: in the same pass as the kept columns, the JSON properties of 60M
    events (1M customers) cost 12-16 s; read again apart, 5-7 s."""
    name = raw.name
    engine.create_table(
        f"_apart_{name}",
        f"SELECT _k, {_reason(checks)} AS why FROM raw_{name} "
        f"WHERE coalesce({', '.join(checks)}) IS NOT NULL",
    )
    engine.execute(
        f"UPDATE _checked_{name} SET _reason = concat_ws('; ', _reason, a.why) "
        f"FROM _apart_{name} a WHERE _checked_{name}.{schema.ROW} = a._k; "
        f"DROP TABLE _apart_{name}",
        f"checking {raw.path}",
    )


def _text(raw: str, source_type: str) -> str:
    """SQL of the value as trimmed text, NULL when empty.

    ``trim`` copies every string; most values have no outer spaces (``trim`` removes
    spaces only), so only those that start or end with one are trimmed.
    """
    if source_type != "VARCHAR":
        return f"NULLIF(trim(CAST({raw} AS VARCHAR)), '')"
    return (
        f"(CASE WHEN starts_with({raw}, ' ') OR ends_with({raw}, ' ') "
        f"THEN NULLIF(trim({raw}), '') ELSE NULLIF({raw}, '') END)"
    )


NUMERIC_TYPES = (
    "DOUBLE",
    "FLOAT",
    "REAL",
    "DECIMAL",
    "BIGINT",
    "INTEGER",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "UBIGINT",
    "UINTEGER",
    "USMALLINT",
    "UTINYINT",
)


def _is_typed(source_type: str) -> bool:
    return source_type.startswith((*NUMERIC_TYPES, "BOOLEAN", "TIMESTAMP", "DATE"))


def _typed(kind: str, raw: str, text: str, source_type: str) -> str:
    """SQL of the contract-typed value; typed sources skip the round trip through text."""
    if kind == "timestamp" and source_type.startswith(("TIMESTAMP", "DATE")):
        return f"CAST({raw} AS TIMESTAMP)"
    if source_type.startswith(NUMERIC_TYPES):
        if kind in ("decimal", "number"):
            return f"(CASE WHEN isfinite(CAST({raw} AS DOUBLE)) THEN CAST({raw} AS DOUBLE) END)"
        if kind == "integer":
            return f"TRY_CAST({raw} AS BIGINT)"
    if kind == "boolean" and source_type == "BOOLEAN":
        return raw
    finite = f"(CASE WHEN isfinite(TRY_CAST({text} AS DOUBLE)) THEN TRY_CAST({text} AS DOUBLE) END)"
    casts = {
        "string": text,
        "timestamp": f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP)",
        "decimal": finite,
        "number": finite,
        "integer": f"TRY_CAST(TRY_CAST({text} AS DOUBLE) AS BIGINT)",
        "boolean": f"TRY_CAST(lower({text}) AS BOOLEAN)",
        "json": f"(CASE WHEN json_valid({text}) THEN {text} END)",
    }
    return casts[kind]


def _checks(table: str, col: schema.Column, text: str, value: str, given: str) -> list[str]:
    name = col.name
    checks = []
    if col.required:
        checks.append(f"CASE WHEN {given} IS NULL THEN 'missing {name}' END")
    if col.kind != "string":
        shown = f"left({text}, 40)"
        checks.append(
            f"CASE WHEN {given} IS NOT NULL AND {value} IS NULL "
            f"THEN 'bad {col.kind} in {name}: ''' "
            f"|| {shown} || ''' (expected {EXPECTED[col.kind]})' END"
        )
    return checks + _range_check(table, name, value, name, f"CAST({value} AS VARCHAR)")


def _range_check(table: str, column: str, value: str, label: str, shown: str) -> list[str]:
    """The check of ``column``'s range rule (none without one) on the typed ``value``,
    its reason naming ``label`` and showing ``shown``."""
    rule = schema.RANGE_RULES.get((table, column))
    if not rule:
        return []
    predicate, wording = rule
    return [f"CASE WHEN {value} IS NOT NULL AND NOT ({predicate.format(col=value)}) THEN "
            f"'{label} out of range: ' || {shown} || ' (expected {wording})' END"]


def _split(engine: DuckDBEngine, raw: RawTable) -> None:
    """Quarantine the rejected rows as given, then keep the checked table, minus them,
    as the good one (renamed: copying a table of millions of rows costs seconds)."""
    name = raw.name
    as_given = ", ".join(f"CAST(r.{quote(c)} AS VARCHAR) AS {quote(c)}" for c in raw.columns)
    engine.create_table(
        f"rejected_{name}",
        f"SELECT c.{schema.ROW}, {as_given}, CAST(NULL AS VARCHAR) AS raw_line, "
        f"c._reason AS {schema.REASON} FROM _checked_{name} c JOIN raw_{name} r "
        f"ON r._k = c.{schema.ROW} WHERE c._reason IS NOT NULL ORDER BY c.{schema.ROW}",
    )
    if raw.malformed:
        engine.execute(
            f"INSERT INTO rejected_{name} BY NAME SELECT * FROM malformed_{name}",
            f"quarantining malformed lines of {raw.path}",
        )
        engine.execute(f"DROP TABLE malformed_{name}")
    engine.execute(
        f"DELETE FROM _checked_{name} WHERE _reason IS NOT NULL; "
        f"ALTER TABLE _checked_{name} DROP COLUMN _reason; "
        f"DROP TABLE IF EXISTS {name}; ALTER TABLE _checked_{name} RENAME TO {name}; "
        f"DROP {raw.relation} raw_{name}",
        f"keeping the good rows of {raw.path}",
    )
