"""Run ``shopperlens run`` on a folder in-process, as a user would from a shell."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from shopperlens.cli import app

_runner = CliRunner()


def run(data: Path, out: Path, *options: str) -> tuple[int, str]:
    """Exit code and output (stdout and stderr, with a traceback on an internal error)
    of ``shopperlens --debug run DATA --out OUT --seed 0 OPTIONS``."""
    args = ["--debug", "run", str(data), "--out", str(out), "--seed", "0", *options]
    # wide enough that no segment name is wrapped in the summary table
    result = _runner.invoke(app, args, env={"COLUMNS": "200"})
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output += f"\n{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, output
