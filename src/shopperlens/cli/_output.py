"""What the ``shopperlens`` command shows: the two consoles (results on stdout, errors,
warnings and progress on stderr), the run's progress and its summary tables."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console

from shopperlens import schema

if TYPE_CHECKING:
    from shopperlens.batch.result import RunResult

out_console = Console()
err_console = Console(stderr=True)


@contextmanager
def run_progress(quiet: bool) -> Iterator[Any]:
    """The run's progress on stderr: none when quiet, Rich bars on a terminal, plain
    lines otherwise (CI and cron logs)."""
    from shopperlens.batch.progress import LineProgress, RichProgress

    if quiet:
        yield None
        return
    terminal = err_console.is_terminal and not err_console.is_dumb_terminal
    with RichProgress(err_console) if terminal else LineProgress(sys.stderr) as display:
        yield display


def print_quality(quality: dict) -> None:
    from shopperlens.batch.summary import quality_table, rejection_lines

    out_console.print(quality_table(quality))
    for line in rejection_lines(quality):
        out_console.print(line, markup=False, highlight=False)


def print_summary(result: RunResult, *, quiet: bool = False) -> None:
    """Every segment in a table, then the run in a few sentences and its timings; only
    the output folder when quiet."""
    from shopperlens.batch.summary import run_summary, segments_table

    for warning in result.record.get("warnings", []):  # even when quiet
        err_console.print(f"Warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    if not quiet:
        out_console.print(segments_table(result))
        for line in run_summary(result):
            out_console.print(line, markup=False, highlight=False)
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in result.record.get("timings_s", {}).items())
        out_console.print(f"Timings: {timings}", markup=False, highlight=False)
    if result.out_dir is not None:
        out_console.print(f"Outputs in {result.out_dir} (run record: {schema.RUN_FILE}).",
                          markup=False, highlight=False, soft_wrap=True)  # a path: unbroken
