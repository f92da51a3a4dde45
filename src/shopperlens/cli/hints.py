"""Advice the CLI prints before a slow path is taken: one line, never an error."""

from __future__ import annotations

from pathlib import Path

from shopperlens import schema

CSV_SUFFIXES = (".csv", ".csv.gz")


def large_csv_hint(folder: str | Path, *, threshold: int | None = None) -> str | None:
    """One line recommending Parquet when a table's CSV file is over ``threshold`` bytes.

    Parameters
    ----------
    folder
        A data folder (``transactions.csv``, ...). Only contract tables count.
    threshold
        Size in bytes above which a CSV is called large (default: ingestion's own,
        :data:`~shopperlens.ingest.readers.LARGE_CSV_BYTES`).

    Returns
    -------
    str or None
        The hint, naming the largest CSV file (and the other large ones), with a DuckDB
        command converting it; ``None`` when no CSV is that large or ``folder`` is not a
        folder (the command itself reports that).

    Examples
    --------
    >>> large_csv_hint("no/such/folder") is None
    True
    """
    if threshold is None:  # imported here: the CLI asks before it loads the engine
        from shopperlens.ingest.readers import LARGE_CSV_BYTES

        threshold = LARGE_CSV_BYTES
    root = Path(folder)
    files = [root / f"{t}{suffix}" for t in schema.TABLES for suffix in CSV_SUFFIXES]
    sizes = {p: p.stat().st_size for p in files if p.is_file()}
    large = sorted((p for p in sizes if sizes[p] > threshold), key=lambda p: -sizes[p])
    if not large:
        return None
    first, others = large[0], large[1:]
    also = f" (and {', '.join(f'{p.name} {_gb(sizes[p])}' for p in others)})" if others else ""
    target = first.parent / f"{first.name.split('.')[0]}.parquet"
    copy = f"COPY (FROM '{first}') TO '{target}'"
    return (f"{first.name} is {_gb(sizes[first])}{also}: Parquet reads several times faster "
            f"and in bounded memory; convert with python -c \"import duckdb; "
            f"duckdb.sql(\\\"{copy}\\\")\", then remove the CSV (one file per table).")


def _gb(size: int) -> str:
    return f"{size / 1e9:.1f} GB"
