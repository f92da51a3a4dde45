"""The full CDNOW file (23,570 real customers, vendored in tests/data/cdnow) through the
CLI at the cutoffs of the standard backtests and with none. About 15-25 s a run on two
cores, hence ``slow``: CI runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import folders
from .cli import run
from .invariants import check_run

CUTOFFS = [None, "1997-03-31", "1997-06-30", "1997-09-30", "1997-12-31", "1998-03-31"]


@pytest.fixture(scope="module")
def cdnow_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The vendored file as it is (CRLF line ends and all), as ``transactions.csv``."""
    folder = tmp_path_factory.mktemp("cdnow") / "data"
    folder.mkdir()
    shutil.copyfile(folders.CDNOW, folder / "transactions.csv")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("cutoff", CUTOFFS, ids=lambda c: c or "no-cutoff")
def test_full_cdnow_keeps_the_invariants(cdnow_folder: Path, cutoff: str | None,
                                         tmp_path: Path) -> None:
    options = ["--cutoff", cutoff] if cutoff else []
    code, output = run(cdnow_folder, tmp_path / "out", *options)
    problems = check_run(code, output, tmp_path / "out")
    assert not problems, f"CDNOW at {cutoff or 'no cutoff'}:\n" + "\n".join(problems)
