"""The ``shopperlens`` command: a thin layer over the Python API.

Exit codes: 0 success, 1 internal error, 2 the user's input or options.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from shopperlens import demo as demo_data
from shopperlens import pipeline, schema
from shopperlens.config import Settings
from shopperlens.errors import ShopperLensError

app = typer.Typer(
    name="shopperlens",
    help="Customer intelligence for retailers: profiles, explained segments, predictions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console()
err_console = Console(stderr=True)
_state = {"debug": False}

MapOption = Annotated[
    Optional[list[str]],  # noqa: UP045 - Typer needs the runtime type
    typer.Option("--map", help="Foreign column name: TABLE.COLUMN=SOURCE_COLUMN (repeatable)."),
]
CutoffOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="Ignore everything after this date (YYYY-MM-DD)."),
]


@app.callback()
def main(debug: Annotated[bool, typer.Option(help="Show tracebacks of errors.")] = False) -> None:
    """Customer intelligence for retailers."""
    _state["debug"] = debug


@contextmanager
def _errors() -> Iterator[None]:
    """One line on stderr and an exit code for every failure; a traceback only with --debug."""
    try:
        yield
    except ShopperLensError as exc:
        if _state["debug"]:
            traceback.print_exc()
        err_console.print(f"Error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if _state["debug"]:
            traceback.print_exc()
        err_console.print(
            f"Internal error: {type(exc).__name__}: {exc} (re-run with --debug for details).",
            markup=False, highlight=False, soft_wrap=True,
        )
        raise typer.Exit(1) from None


@app.command()
def demo(
    out: Annotated[Path, typer.Argument(help="Folder to write the demo data folder into.")],
    customers: Annotated[int, typer.Option(min=10, help="Number of customers.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
) -> None:
    """Write realistic multi-source demo data (all five tables) to OUT."""
    with _errors():
        data = demo_data.generate(customers, seed=seed)
        written = demo_data.write(data, out, fmt=fmt)
        out_console.print(f"Wrote {len(written)} files for {customers:,} customers to {out}")


@app.command()
def validate(data: Annotated[Path, typer.Argument(help="Data folder.")], map: MapOption = None) -> None:
    """Check a data folder against the data contract and report its quality."""
    with _errors():
        from shopperlens.engines.duckdb import DuckDBEngine
        from shopperlens.ingest import load_folder, parse_mappings

        with DuckDBEngine() as engine:
            quality = load_folder(engine, data, parse_mappings(map or []))
        _print_quality(quality)


@app.command()
def run(
    data: Annotated[Path, typer.Argument(help="Data folder (transactions.csv|parquet, ...).")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("shopperlens-out"),
    cutoff: CutoffOption = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    map: MapOption = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip report.html.")] = False,
) -> None:
    """Build profiles, features, explained segments and predictions for DATA into OUT."""
    with _errors():
        result = _run(data, out, cutoff, seed, map or [])
        _print_summary(result)


@app.command()
def assign(
    model: Annotated[Path, typer.Argument(help="Output folder of a run, or its segment_model.joblib.")],
    data: Annotated[Path, typer.Argument(help="Data folder to assign.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("shopperlens-assigned"),
    cutoff: CutoffOption = None,
    map: MapOption = None,
) -> None:
    """Assign customers of DATA to the segments of a saved MODEL, without refitting."""
    with _errors():
        segments = pipeline.assign(model, data, out, cutoff=cutoff, mappings=map or [])
        out_console.print(f"Assigned {len(segments):,} customers; wrote {out / schema.SEGMENTS_FILE}.csv")


@app.command()
def quickstart(
    out: Annotated[Path, typer.Argument(help="Working folder.")] = Path("shopperlens-demo"),
    customers: Annotated[int, typer.Option(min=100, help="Number of demo customers.")] = 5000,
) -> None:
    """Make demo data and run the whole pipeline on it: the two-minute tour."""
    with _errors():
        data_dir, results = out / "data", out / "results"
        demo_data.write(demo_data.generate(customers, seed=0), data_dir, fmt="csv")
        out_console.print(f"Demo data for {customers:,} customers in {data_dir}")
        result = _run(data_dir, results, None, 0, [])
        _print_summary(result)
        out_console.print(f"Open {results / schema.REPORT_FILE} in a browser.")


def _run(data: Path, out: Path, cutoff: str | None, seed: int, mappings: list[str]) -> pipeline.RunResult:
    settings = Settings(seed=seed)
    with err_console.status("Starting") as status:
        def progress(stage: str) -> None:
            status.update(f"{stage.capitalize()}...")

        result = pipeline.run(data, out, cutoff=cutoff, mappings=mappings, settings=settings, progress=progress)
    _print_quality(result.quality)
    return result


def _print_quality(quality: dict) -> None:
    table = Table(title="Data quality")
    for column in ("table", "rows read", "kept", "rejected", "duplicates", "top reasons", "dates"):
        table.add_column(column, justify="right" if column in ("rows read", "kept", "rejected", "duplicates") else "left")
    for q in quality.values():
        reasons = ", ".join(f"{why} ({n:,})" for why, n in list(q.rejected_by_reason.items())[:3])
        dates = f"{(q.date_min or '')[:10]} .. {(q.date_max or '')[:10]}" if q.date_min else ""
        table.add_row(q.file, f"{q.rows_read:,}", f"{q.rows_kept:,}", f"{q.rows_rejected:,}",
                      f"{q.duplicates:,}", reasons, dates)
    out_console.print(table)


def _print_summary(result: pipeline.RunResult) -> None:
    table = Table(title=f"Segments as of {result.as_of:%Y-%m-%d}")
    for column in ("segment", "customers", "share", "revenue share"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for _, row in result.profiles.iterrows():
        revenue = row.get("revenue_share", float("nan"))
        table.add_row(str(row[schema.SEGMENT_NAME]) if schema.SEGMENT_NAME in row else str(row.name),
                      f"{int(row['size']):,}", f"{row['share']:.1%}", f"{revenue:.1%}")
    out_console.print(table)
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in result.record.get("timings_s", {}).items())
    out_console.print(f"Timings: {timings}")
    if result.out_dir is not None:
        out_console.print(f"Outputs in {result.out_dir} (run record: {schema.RUN_FILE}).")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
