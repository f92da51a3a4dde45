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


def test_cdnow_at_the_standard_split_keeps_the_invariants(tmp_path: Path) -> None:
    """The papers' calibration period and holdout (39 weeks each side of 1997-09-30) on
    the first 1,600 customers of the full file, in the default run: the full file at
    every cutoff is in ``test_cdnow.py`` (slow)."""
    data = folders.write_folder(folders.cdnow(1600), tmp_path / "data")
    code, output = run(data, tmp_path / "out", "--cutoff", "1997-09-30", "--holdout", "273")
    problems = check_run(code, output, tmp_path / "out")
    assert not problems, "CDNOW 1,600 customers at 1997-09-30:\n" + "\n".join(problems)


@pytest.mark.parametrize("cutoff", ["1996-06-30", "2030-01-01"],
                         ids=["before-the-first-order", "years-after-the-last-order"])
def test_a_cutoff_outside_the_data_keeps_the_invariants(cutoff: str, tmp_path: Path) -> None:
    """Exit 2 with the data's range, or a run whose dates stay within its horizon."""
    data = folders.write_folder(folders.cdnow(300), tmp_path / "data")
    code, output = run(data, tmp_path / "out", "--cutoff", cutoff)
    problems = check_run(code, output, tmp_path / "out")
    assert not problems, f"CDNOW 300 customers at {cutoff}:\n" + "\n".join(problems)
