"""``shopperlens watch``: runs at an interval, each knowing the last good one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopperlens import schema as s
from shopperlens.cli import app

pytestmark = pytest.mark.e2e
runner = CliRunner()


def invoke(*args: object):  # noqa: ANN201 - click's Result
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_two_runs_the_second_knowing_the_first(demo_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    result = invoke("watch", demo_folder, "--every", "0.1s", "--out", out, "--max-runs", 2,
                    "--no-report")
    assert result.exit_code == 0, result.output
    runs = sorted((out / "runs").iterdir())
    assert len(runs) == 2 and (out / "latest").resolve() == runs[1].resolve()
    learning = json.loads((runs[1] / s.RUN_FILE).read_text())["learning"]
    assert Path(learning["previous"]).resolve() == runs[0].resolve()
    assert learning["decision"] == "kept"  # the same data: nothing changed
    assert "watch: run 2" in result.output and "2 run(s) done, 0 failed" in result.output


def test_a_failed_run_is_one_line_and_the_watch_goes_on(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("watch", empty, "--every", "0.05s", "--out", tmp_path / "o",
                    "--max-runs", 2)
    assert result.exit_code == 0, result.output  # a failed run is no user error
    failed = [line for line in result.output.splitlines() if "failed:" in line]
    assert len(failed) == 2 and all("transactions" in line for line in failed)
    assert "latest is still none" in failed[0] and not (tmp_path / "o" / "latest").exists()


def test_a_bad_interval_is_refused_in_one_line(tmp_path: Path) -> None:
    result = invoke("watch", tmp_path, "--every", "daily", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: --every 'daily': not an interval; write a number and a unit (s, m, h, d "
        "or w), e.g. 1d, 12h, 1h30m or 30s.")
    assert not (tmp_path / "o").exists()
