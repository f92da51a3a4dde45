"""Small foreign folders through the CLI: each run exits 0 or 2 and, on 0, keeps every
invariant of :mod:`.invariants` (default test run)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from . import folders
from .cli import run
from .invariants import check_run

FOLDERS: dict[str, Callable[[], folders.Tables]] = {
    "cdnow-300-transactions-only": lambda: folders.cdnow(300),
    "online-retail-transactions-only": folders.online_retail,
    "tiny-1-customer": lambda: folders.tiny(1),
    "tiny-2-customers": lambda: folders.tiny(2),
    "tiny-10-customers": lambda: folders.tiny(10),
    "one-day": folders.one_day,
    "one-time-buyers-only": folders.one_time_buyers,
    "currency-eur": folders.euro_shop,
    "currency-eur-and-gbp": folders.two_currencies,
}


@pytest.mark.parametrize("name", FOLDERS)
def test_folder_keeps_the_invariants(name: str, tmp_path: Path) -> None:
    data = folders.write_folder(FOLDERS[name](), tmp_path / "data")
    code, output = run(data, tmp_path / "out")
    problems = check_run(code, output, tmp_path / "out")
    assert not problems, f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("cutoff", ["1997-03-31", "1997-09-30", "1998-03-31"])
def test_cdnow_subset_at_a_cutoff_keeps_the_invariants(cutoff: str, tmp_path: Path) -> None:
    data = folders.write_folder(folders.cdnow(1000), tmp_path / "data")
    code, output = run(data, tmp_path / "out", "--cutoff", cutoff)
    problems = check_run(code, output, tmp_path / "out")
    assert not problems, f"CDNOW 1,000 customers at {cutoff}:\n" + "\n".join(problems)
