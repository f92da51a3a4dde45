"""Coerce raw tables to the contract's types; quarantine every bad row with its reason.

A row is rejected for its own faults only (missing id, bad timestamp, non-numeric
amount, out-of-range value, unknown customer, duplicate key); its neighbours are kept.
Rejected rows keep the values as given, their data row number (1-based, header
excluded) and a ``reason`` a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopperlens import schema
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest.mapping import Mapping, source_column
from shopperlens.ingest.readers import RawTable

Check = tuple[str, str]
SRC = "src:"

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
    """What happened to one table on its way in."""

    table: str
    file: str
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    duplicates: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    date_min: str | None = None
    date_max: str | None = None
    extra: dict[str, int] = field(default_factory=dict)


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def validate_table(
    engine: DuckDBEngine, raw: RawTable, mapping: Mapping, extra: list[Check] | None = None
) -> None:
    """Build ``<table>`` (typed good rows) and ``rejected_<table>`` from ``raw_<table>``.

    ``extra`` checks run after typing, in order, on rows that passed so far: each is a
    SQL condition over the typed columns and the SQL of its reason.
    """
    spec = schema.TABLES[raw.name]
    present = [c for c in spec.columns if source_column(mapping, raw.name, c.name) in raw.columns]
    types = {row[0]: row[1] for row in engine.rows(f"DESCRIBE raw_{raw.name}")}
    typed, checks = [], []
    for col in present:
        src = source_column(mapping, raw.name, col.name)
        text = f"NULLIF(trim(CAST({quote(src)} AS VARCHAR)), '')"
        value = _typed(col.kind, quote(src), text, types.get(src, "VARCHAR"))
        typed.append(f"{value} AS {quote(col.name)}")
        checks.extend(_checks(raw.name, col, text, value))
    source_cols = ", ".join(f"{quote(c)} AS {quote(SRC + c)}" for c in raw.columns)
    reason = f"NULLIF(concat_ws('; ', {', '.join(checks)}), '')" if checks else "NULL"
    engine.create_table(
        f"_checked_{raw.name}",
        f"SELECT _k AS {schema.ROW}, {source_cols}, {', '.join(typed)}, "
        f"{reason} AS _reason FROM raw_{raw.name}",
    )
    for condition, reason_sql in extra or []:
        engine.execute(
            f"UPDATE _checked_{raw.name} SET _reason = {reason_sql} "
            f"WHERE _reason IS NULL AND ({condition})",
            f"checking {raw.path}",
        )
    _split(engine, raw, [c.name for c in present])


def _typed(kind: str, raw: str, text: str, source_type: str) -> str:
    if kind == "timestamp" and source_type.startswith(("TIMESTAMP", "DATE")):
        return f"CAST({raw} AS TIMESTAMP)"
    casts = {
        "string": text,
        "timestamp": f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP)",
        "decimal": f"(CASE WHEN isfinite(TRY_CAST({text} AS DOUBLE)) THEN TRY_CAST({text} AS DOUBLE) END)",
        "number": f"(CASE WHEN isfinite(TRY_CAST({text} AS DOUBLE)) THEN TRY_CAST({text} AS DOUBLE) END)",
        "integer": f"TRY_CAST(TRY_CAST({text} AS DOUBLE) AS BIGINT)",
        "boolean": f"TRY_CAST(lower({text}) AS BOOLEAN)",
        "json": f"(CASE WHEN json_valid({text}) THEN {text} END)",
    }
    return casts[kind]


def _checks(table: str, col: schema.Column, text: str, value: str) -> list[str]:
    name = col.name
    checks = []
    if col.required:
        checks.append(f"CASE WHEN {text} IS NULL THEN 'missing {name}' END")
    if col.kind != "string":
        shown = f"left({text}, 40)"
        checks.append(
            f"CASE WHEN {text} IS NOT NULL AND {value} IS NULL THEN 'bad {col.kind} in {name}: ''' "
            f"|| {shown} || ''' (expected {EXPECTED[col.kind]})' END"
        )
    rule = schema.RANGE_RULES.get((table, name))
    if rule:
        predicate, wording = rule
        checks.append(
            f"CASE WHEN {value} IS NOT NULL AND NOT ({predicate.format(col=value)}) THEN "
            f"'{name} out of range: ' || CAST({value} AS VARCHAR) || ' (expected {wording})' END"
        )
    return checks


def _split(engine: DuckDBEngine, raw: RawTable, columns: list[str]) -> None:
    name = raw.name
    cols = ", ".join(quote(c) for c in columns)
    engine.create_table(
        name, f"SELECT {schema.ROW}, {cols} FROM _checked_{name} WHERE _reason IS NULL"
    )
    as_given = ", ".join(f"CAST({quote(SRC + c)} AS VARCHAR) AS {quote(c)}" for c in raw.columns)
    engine.create_table(
        f"rejected_{name}",
        f"SELECT {schema.ROW}, {as_given}, CAST(NULL AS VARCHAR) AS raw_line, "
        f"_reason AS {schema.REASON} FROM _checked_{name} WHERE _reason IS NOT NULL",
    )
    if raw.malformed:
        engine.execute(
            f"INSERT INTO rejected_{name} BY NAME SELECT * FROM malformed_{name}",
            f"quarantining malformed lines of {raw.path}",
        )
        engine.execute(f"DROP TABLE malformed_{name}")
    engine.execute(f"DROP TABLE _checked_{name}; DROP TABLE raw_{name}")
