"""Find the tables of a data folder and load them, unchanged, into the engine.

Every value of a CSV is read as text so that a bad value is quarantined by
:mod:`shopperlens.ingest.validate` instead of failing the whole file; lines that do not
even split into the right number of fields are kept aside as malformed.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from shopperlens import schema
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.errors import InputError, MissingColumnError, MissingTableError
from shopperlens.ingest.mapping import Mapping, source_column

SUFFIXES = (".csv", ".csv.gz", ".parquet")
LARGE_CSV_BYTES = 1024**3  # a CSV bigger than this is worth converting to Parquet


@dataclass(frozen=True)
class RawTable:
    """A table as loaded: engine relation ``raw_<name>`` with a ``_k`` parse index.

    Parquet is typed and cheap to scan again, so ``raw_<name>`` is a view over the file;
    a CSV is parsed once into a table (its malformed lines are collected while reading).
    """

    name: str
    path: Path
    columns: list[str]
    malformed: int
    relation: str = "TABLE"


def discover(folder: str | Path) -> dict[str, Path]:
    """The contract tables present in ``folder``, by table name.

    Raises
    ------
    MissingTableError
        When the folder does not exist or holds no ``transactions`` file.
    """
    root = Path(folder)
    if not root.is_dir():
        raise MissingTableError(f"{root}: no such data folder.")
    found: dict[str, Path] = {}
    for table in schema.TABLES:
        candidates = [root / f"{table}{suffix}" for suffix in SUFFIXES]
        present = [p for p in candidates if p.is_file()]
        if len(present) > 1:
            names = " and ".join(p.name for p in present)
            raise InputError(f"{root}: both {names} found; keep one file per table.")
        if present:
            found[table] = present[0]
    for spec in schema.TABLES.values():
        if spec.required and spec.name not in found:
            raise MissingTableError(
                f"{root}: no {spec.name} table (expected {spec.name}.csv or "
                f"{spec.name}.parquet)."
            )
    return found


def load_raw(engine: DuckDBEngine, table: str, path: Path, mapping: Mapping) -> RawTable:
    """Load one file into ``raw_<table>`` and check its required columns are present."""
    raw = f"raw_{table}"
    if path.name.endswith(".parquet"):
        engine.execute(f"CREATE OR REPLACE VIEW {raw} AS {_parquet_query(path)}", f"reading {path}")
        columns = [c for c in engine.columns(raw) if c != "_k"]
        _check_required(table, path, columns, mapping)
        return RawTable(table, path, columns, 0, "VIEW")
    if _is_empty(path):
        required = ", ".join(schema.TABLES[table].required_columns)
        raise InputError(f"{path} is empty: {table} needs a header line ({required}) and rows.")
    engine.create_table(raw, _csv_query(path, table))
    malformed = _keep_malformed(engine, table)
    columns = [c for c in engine.columns(raw) if c != "_k"]
    _check_required(table, path, columns, mapping)
    return RawTable(table, path, columns, malformed)


def is_large_csv(path: Path) -> bool:
    """Whether a CSV is big enough that Parquet would be much faster."""
    return not path.name.endswith(".parquet") and path.stat().st_size > LARGE_CSV_BYTES


def _is_empty(path: Path) -> bool:
    """Whether a CSV (maybe gzipped) holds nothing but white space; reading stops at
    the first block with text, the first for any real file."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as stream:
        while block := stream.read(65536):
            if block.strip():
                return False
    return True


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _parquet_query(path: Path) -> str:
    return (
        "SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _k "
        f"FROM read_parquet('{_sql_path(path)}', file_row_number = true)"
    )


def _csv_query(path: Path, table: str) -> str:
    options = (
        "header = true, all_varchar = true, store_rejects = true, strict_mode = true, "
        f"rejects_table = 'rejects_{table}', rejects_scan = 'rejects_scan_{table}'"
    )
    return f"SELECT *, row_number() OVER () AS _k FROM read_csv('{_sql_path(path)}', {options})"


def _keep_malformed(engine: DuckDBEngine, table: str) -> int:
    """Turn DuckDB's structural rejects into rows of ``malformed_<table>``.

    DuckDB numbers rejected lines in the file (header = line 1); the parse index ``_k`` of
    good rows skips them, so ``_k`` is shifted to the true data row number here.
    """
    rejects = f"rejects_{table}"
    engine.create_table(
        f"malformed_{table}",
        f"SELECT line - 1 AS {schema.ROW}, any_value(csv_line) AS raw_line, "
        "'malformed CSV line (' || lower(CAST(min(error_type) AS VARCHAR)) || ')' "
        f"AS {schema.REASON} "
        f"FROM {rejects} GROUP BY line ORDER BY line",
    )
    count = int(engine.scalar(f"SELECT count(*) FROM malformed_{table}"))  # type: ignore[arg-type]
    if count:
        engine.create_table(
            f"_shift_{table}",
            f"SELECT {schema.ROW} - row_number() OVER (ORDER BY {schema.ROW}) AS q "
            f"FROM malformed_{table}",
        )
        engine.create_table(
            f"raw_{table}",
            f"SELECT * REPLACE (_k + (SELECT count(*) FROM _shift_{table} s WHERE s.q < r._k) "
            f"AS _k) FROM raw_{table} r",
        )
    return count


def _check_required(table: str, path: Path, columns: list[str], mapping: Mapping) -> None:
    spec = schema.TABLES[table]
    missing = [c for c in spec.required_columns if source_column(mapping, table, c) not in columns]
    if missing:
        raise MissingColumnError(table, str(path), missing, columns)
