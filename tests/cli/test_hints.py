"""Tests of the one-line hints the CLI prints."""

from __future__ import annotations

from pathlib import Path

from shopperlens.cli.hints import large_csv_hint
from shopperlens.ingest.readers import LARGE_CSV_BYTES


def _sparse(path: Path, size: int) -> None:
    """A file of ``size`` bytes that takes no disk space."""
    with path.open("wb") as f:
        f.truncate(size)


def test_large_csv_gets_one_line_recommending_parquet(tmp_path: Path) -> None:
    _sparse(tmp_path / "transactions.csv", 2 * 1024**3)
    _sparse(tmp_path / "events.csv.gz", 3 * 1024**3)
    _sparse(tmp_path / "customers.csv", 100)
    _sparse(tmp_path / "notes.csv", 4 * 1024**3)  # not a contract table
    hint = large_csv_hint(tmp_path)
    assert hint is not None and "\n" not in hint
    assert hint.startswith("events.csv.gz is 3.2 GB (and transactions.csv 2.1 GB): Parquet ")
    assert f"COPY (FROM '{tmp_path / 'events.csv.gz'}') TO '{tmp_path / 'events.parquet'}'" in hint
    assert "customers.csv" not in hint and "notes.csv" not in hint


def test_no_hint_for_small_csv_parquet_or_no_folder(tmp_path: Path) -> None:
    _sparse(tmp_path / "transactions.csv", LARGE_CSV_BYTES)  # not over the threshold
    _sparse(tmp_path / "events.parquet", 3 * 1024**3)
    assert large_csv_hint(tmp_path) is None
    assert large_csv_hint(tmp_path / "missing") is None
    assert large_csv_hint(tmp_path, threshold=1000) is not None
