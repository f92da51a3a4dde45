from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shopperlens.engines.duckdb import DuckDBEngine


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine(threads=2) as eng:
        yield eng


@pytest.fixture
def write_folder(tmp_path: Path) -> Callable[..., Path]:
    """Write tables given as CSV text into a fresh data folder."""

    def write(**tables: str) -> Path:
        folder = tmp_path / "data"
        folder.mkdir(exist_ok=True)
        for name, text in tables.items():
            (folder / f"{name}.csv").write_text(text.strip() + "\n", encoding="utf-8")
        return folder

    return write
