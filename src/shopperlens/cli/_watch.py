"""``shopperlens watch``: registered on the app by :func:`register`."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Optional

import typer

from shopperlens.cli._output import err_console

Every = Annotated[str, typer.Option(help="Interval between runs: 1d, 12h, 1h30m, 30s...")]
Out = Annotated[Path, typer.Option(help="Folder of the runs (OUT/runs/<time>, OUT/latest).")]
MaxRuns = Annotated[Optional[int], typer.Option(  # noqa: UP045 - Typer needs the runtime type
    help="Stop after this many runs (failed ones count).")]
Map = Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
    "--map", help="Foreign column name: TABLE.COLUMN=SOURCE_COLUMN (repeatable).")]
Currency = Annotated[Optional[str], typer.Option(  # noqa: UP045
    help="Currency of the amounts, e.g. EUR (default: the transactions' currency column).")]


def register(app: typer.Typer, errors: Callable[[], AbstractContextManager[None]]) -> None:
    """Add the command to ``app``; ``errors`` turns failures into one line and an exit code."""
    @app.command("watch")
    def watch(
        data: Annotated[Path, typer.Argument(help="Data folder, read again at every run.")],
        every: Every = "1d",
        out: Out = Path("shopperlens-runs"),
        max_runs: MaxRuns = None,
        once: Annotated[bool, typer.Option("--once", help="One run, then stop.")] = False,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
        map: Map = None,
        no_report: Annotated[bool, typer.Option("--no-report", help="Skip report.html.")] = False,
        engine: Annotated[str, typer.Option(help="Engine computing the features: duckdb or "
                                            "spark.")] = "duckdb",
        currency: Currency = None,
    ) -> None:
        """Run DATA into OUT every interval, each run knowing the last good one.

        A failed run is logged in one line and the next tries again; Ctrl-C or SIGTERM
        stops after the current run (twice: at once)."""
        with errors():
            from shopperlens.batch.watch import parse_interval
            from shopperlens.batch.watch import watch as watch_runs
            from shopperlens.config import Settings

            seconds = parse_interval(every)  # a bad interval: a user error, before any run

            def log(line: str) -> None:
                err_console.print(f"watch: {line}", markup=False, highlight=False,
                                  soft_wrap=True)

            summary = watch_runs(data, out, every=seconds, max_runs=1 if once else max_runs,
                                 log=log, mappings=map or [], report=not no_report,
                                 settings=Settings(seed=seed), engine=engine, currency=currency)
            log(f"stopped ({summary.stopped_by}): {len(summary.good)} run(s) done, "
                f"{len(summary.failed)} failed; latest: {summary.latest or 'none'}")
