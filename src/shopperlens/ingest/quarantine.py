"""The quarantine on disk: ``rejected/<table>.csv``, the rows as given plus ``reason``.

Written right after ingestion whenever rows were rejected, before any later step can
stop the run, so a user whose every row failed still sees which and why.
"""

from __future__ import annotations

from pathlib import Path

from shopperlens import schema as s
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest.validate import TableQuality


def write_rejected(
    engine: DuckDBEngine, folder: Path, quality: dict[str, TableQuality]
) -> list[Path]:
    """Write ``folder/<table>.csv`` for every table with rejected rows (ordered by row);
    remove such a file left by an earlier run for a table without any. Returns the
    files written."""
    written = []
    for table, q in quality.items():
        path = Path(folder) / f"{table}.csv"
        if q.rows_rejected:
            path.parent.mkdir(parents=True, exist_ok=True)
            target = str(path).replace("'", "''")
            engine.execute(
                f"COPY (SELECT * FROM rejected_{table} ORDER BY {s.ROW}) TO '{target}' (HEADER)",
                f"writing {path}",
            )
            written.append(path)
        elif path.exists():
            path.unlink()
    return written
