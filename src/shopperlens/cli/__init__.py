"""The ``shopperlens`` command: a thin layer over the Python API.

Exit codes: 0 success, 1 internal error, 2 the user's input or options.

Each command imports what it runs (pandas, DuckDB, scikit-learn...) when it runs, so
``shopperlens --help`` loads none of them.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from shopperlens import schema
from shopperlens.batch.options import AUDIT_ALPHA
from shopperlens.cli import _audience, _watch
from shopperlens.cli._output import (
    err_console,
    out_console,
    print_quality,
    print_summary,
    run_progress,
)
from shopperlens.cli.hints import large_csv_hint
from shopperlens.demo import DEFAULT_CHUNK
from shopperlens.errors import ShopperLensError

if TYPE_CHECKING:
    from shopperlens.batch.result import RunResult
    from shopperlens.config import Settings

DEBUG = "--debug"


class _Commands(typer.core.TyperGroup):
    """Accepts ``--debug`` after the command too (``shopperlens run DATA --debug``), as
    the error hint invites; it is an option of the program, so it is moved in front."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        if DEBUG in args[1:end]:
            args = [DEBUG, *(a for a in args[:end] if a != DEBUG), *args[end:]]
        return super().parse_args(ctx, args)

app = typer.Typer(
    cls=_Commands,
    name="shopperlens",
    help="Customer intelligence for retailers: profiles, explained segments, predictions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_state: dict[str, Any] = {"debug": False, "command": "COMMAND"}

MapOption = Annotated[
    Optional[list[str]],  # noqa: UP045 - Typer needs the runtime type
    typer.Option("--map", help="Foreign column name: TABLE.COLUMN=SOURCE_COLUMN (repeatable)."),
]
EngineOption = Annotated[
    str, typer.Option(help="Engine computing the features: duckdb or spark.")
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress and no tables: only the last line.")
]
CurrencyOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="Currency of the amounts, e.g. EUR (default: the transactions' "
                 "currency column when it holds one)."),
]
CutoffOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="Ignore everything after this date, ISO 8601 only: YYYY-MM-DD "
                 "(through the end of that day) or YYYY-MM-DDTHH:MM:SS (UTC; that instant "
                 "excluded)."),
]
KeepDuplicatesOption = Annotated[
    bool,
    typer.Option("--keep-duplicates", help="Keep rows that repeat an earlier row exactly "
                 "(they are counted either way; by default they are quarantined)."),
]


@app.callback()
def main(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option(help="Show tracebacks of errors (before or after "
                                        "the command).")] = False,
) -> None:
    """Customer intelligence for retailers."""
    _state["debug"] = debug
    _state["command"] = ctx.invoked_subcommand or "COMMAND"


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
        again = f"shopperlens --debug {_state['command']} ..."
        err_console.print(
            f"Internal error: {type(exc).__name__}: {exc} (re-run with {again} for details).",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None


@app.command()
def demo(
    out: Annotated[Path, typer.Argument(help="Folder to write the demo data folder into.")],
    customers: Annotated[int, typer.Option(min=10, help="Number of customers.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    planted_bias: Annotated[
        bool,
        typer.Option(help="Plant an unfair offer rule (fewer offers for those born before "
                     "1965) for `shopperlens audit` to find."),
    ] = False,
    chunk: Annotated[
        int,
        typer.Option(min=12, help="Customers generated at a time: more are written chunk by "
                     "chunk, in bounded memory (about 2 GB per 100,000)."),
    ] = DEFAULT_CHUNK,
) -> None:
    """Write realistic multi-source demo data (seven tables, prices included) to OUT."""
    with _errors():
        from shopperlens import demo as demo_data

        written = demo_data.write_large(customers, out, seed=seed, chunk=chunk, fmt=fmt,
                                        planted_bias=planted_bias)
        out_console.print(f"Wrote {len(written)} files for {customers:,} customers to {out}")


@app.command()
def validate(
    data: Annotated[Path, typer.Argument(help="Data folder.")],
    map: MapOption = None,
    keep_duplicates: KeepDuplicatesOption = False,
) -> None:
    """Check a data folder against the data contract and report its quality.

    Exits 2 when no row of a required table can be used."""
    with _errors():
        _hint_large_csv(data)
        from shopperlens.engines.duckdb import DuckDBEngine
        from shopperlens.ingest import load_folder, parse_mappings, require_rows

        with DuckDBEngine() as engine:
            quality = load_folder(engine, data, parse_mappings(map or []),
                                  keep_duplicates=keep_duplicates)
        print_quality(quality)
        require_rows(quality)


@app.command()
def run(
    data: Annotated[Path, typer.Argument(help="Data folder (transactions.csv|parquet, ...).")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("shopperlens-out"),
    cutoff: CutoffOption = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    map: MapOption = None,
    holdout: Annotated[
        int | None,
        typer.Option(min=1, help="Score predictions on this many days after --cutoff."),
    ] = None,  # noqa: UP045
    horizon: Annotated[int, typer.Option(min=1, help="Days of expected orders.")] = 90,
    value_horizon: Annotated[int, typer.Option(min=1, help="Days of expected value (CLV).")] = 365,
    forecast_weeks: Annotated[
        int, typer.Option(min=0, max=104, help="Weeks of demand forecasts (0: none).")
    ] = 8,
    forecast_days: Annotated[
        int, typer.Option(min=0, max=366,
                          help="Days of daily demand forecasts besides the weeks (0: none).")
    ] = 14,
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip report.html.")] = False,
    engine: EngineOption = "duckdb",
    keep_duplicates: KeepDuplicatesOption = False,
    currency: CurrencyOption = None,
    quiet: QuietOption = False,
    previous: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        help="Output folder of the previous run: keep its segment ids, say what changed.")] = None,
) -> None:
    """Build profiles, features, explained segments and predictions for DATA into OUT."""
    with _errors():
        from shopperlens.config import Settings

        _check_cutoff(cutoff)
        _hint_large_csv(data)
        settings = Settings(
            seed=seed, orders_horizon_days=horizon, value_horizon_days=value_horizon,
            keep_duplicates=keep_duplicates, forecast_weeks=forecast_weeks,
            forecast_days=forecast_days)
        result = _run(data, out, cutoff, settings, map or [], holdout, report=not no_report,
                      engine=engine, quiet=quiet, currency=currency, previous=previous)
        print_summary(result, quiet=quiet)


@app.command()
def assign(
    model: Annotated[
        Path, typer.Argument(help="Output folder of a run, or its segment_model.joblib.")
    ],
    data: Annotated[Path, typer.Argument(help="Data folder to assign.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("shopperlens-assigned"),
    cutoff: CutoffOption = None,
    map: MapOption = None,
    engine: EngineOption = "duckdb",
) -> None:
    """Assign customers of DATA to the segments of a saved MODEL, without refitting."""
    with _errors():
        from shopperlens.batch.assign import assign as assign_segments

        _check_cutoff(cutoff)
        segments = assign_segments(
            model, data, out, cutoff=cutoff, mappings=map or [], engine=engine
        )
        out_console.print(
            f"Assigned {len(segments):,} customers; wrote {out / schema.SEGMENTS_FILE}.csv"
        )


@app.command()
def quickstart(
    out: Annotated[Path, typer.Argument(help="Working folder.")] = Path("shopperlens-demo"),
    customers: Annotated[int, typer.Option(min=100, help="Number of demo customers.")] = 5000,
    quiet: QuietOption = False,
) -> None:
    """Make demo data and run the whole pipeline on it: the two-minute tour."""
    with _errors():
        from shopperlens import demo as demo_data
        from shopperlens.config import Settings

        data_dir, results = out / "data", out / "results"
        demo_data.write(demo_data.generate(customers, seed=0), data_dir, fmt="csv")
        if not quiet:
            out_console.print(f"Demo data for {customers:,} customers in {data_dir}")
        result = _run(data_dir, results, None, Settings(seed=0), [], quiet=quiet)
        print_summary(result, quiet=quiet)
        if not quiet:
            out_console.print(f"Open {results / schema.REPORT_FILE} in a browser.")


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="Output folder of an earlier run.")],
    currency: CurrencyOption = None,
) -> None:
    """Re-render OUT/report.html from the saved outputs of a run."""
    with _errors():
        from shopperlens.report import result_from_outputs, write_report

        result = result_from_outputs(out)
        if currency:  # for this rendering only; run.json keeps what the run knew
            result.record["currency"] = currency.strip().upper()
        path = write_report(result, out / schema.REPORT_FILE)
        out_console.print(f"Wrote {path}")


@app.command("score-text")
def score_text(
    source: Annotated[
        Path, typer.Argument(help="CSV with a 'text' column (and optional 'rating').")
    ],
    out: Annotated[Path, typer.Option(help="CSV to write.")] = Path("scored.csv"),
) -> None:
    """Scrub PII from texts and score sentiment, emotions and topics; every input column
    is kept (the text scrubbed in place)."""
    with _errors():
        from shopperlens.batch.summary import scores_summary, scrub_summary
        from shopperlens.text import score_texts, scrub

        frame = _read_texts(source)
        ratings = frame[schema.RATING].tolist() if schema.RATING in frame else None
        clean, removed = scrub(frame[schema.TEXT].tolist())
        scores = score_texts(clean, ratings, scrubbed=True)
        scored = frame.reset_index(drop=True)
        for column in scores.columns:  # the text in its place, the scores after
            scored[column] = scores[column].to_numpy()
        scored.to_csv(out, index=False)
        out_console.print(f"Scored {len(scored):,} texts into {out} "
                          f"({len(frame.columns)} input columns kept); "
                          f"{scrub_summary(removed)}.", markup=False, highlight=False)
        for line in scores_summary(scored):
            out_console.print(line, markup=False, highlight=False)


@app.command()
def serve(
    model: Annotated[Path, typer.Option(help="Output folder of a run (its saved models).")],
    store: Annotated[
        str | None,
        typer.Option(help="sqlite:///path or postgresql://... (default: SQLite beside the model)."),
    ] = None,  # noqa: UP045
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    write_key: Annotated[
        list[str] | None, typer.Option(help="Accepted write key (repeatable).")
    ] = None,  # noqa: UP045
) -> None:
    """Serve the real-time segmentation API (Segment-spec events in, segments out)."""
    with _errors():
        from shopperlens.service import serve as run_service

        run_service(model, store_url=store, host=host, port=port, write_keys=write_key or [])


StoreOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        help="Service store too: sqlite:///path or postgresql://... "
        "(default: the SQLite store `serve` keeps beside OUT, if there is one)."
    ),
]


@contextmanager
def _service_store(out: Path, url: str | None) -> Iterator[Any]:
    """The open store named by ``--store``, else the default one of ``serve --model
    OUT``; None when there is none. Closed on exit."""
    from shopperlens.service.settings import STORE_FILE
    from shopperlens.service.store import open_store

    if url is None:
        default = out.absolute().parent / STORE_FILE
        if not default.is_file():
            yield None
            return
        url = f"sqlite:///{default}"
    store = open_store(url)
    try:
        yield store
    finally:
        store.close()


@app.command()
def forget(
    customer_id: Annotated[str, typer.Argument(help="The customer to erase.")],
    out: Annotated[Path, typer.Option(help="Output folder of a run.")],
    identifier: Annotated[
        list[str] | None, typer.Option(help="Their e-mail or phone too (repeatable).")
    ] = None,  # noqa: UP045
    store: StoreOption = None,
) -> None:
    """Erase a person from every output of a run (and the service store) and leave a
    receipt without personal data."""
    with _errors():
        from shopperlens.config import Settings
        from shopperlens.privacy import forget as erase

        with _service_store(out, store) as service:
            receipt = erase(customer_id, out, key=Settings().key(),
                            extra_identifiers=identifier or [],
                            stores=[service] if service is not None else [])
        out_console.print(f"Erased; receipt: {receipt}")


@app.command()
def audit(
    data: Annotated[Path, typer.Argument(help="Data folder of the run (for its customers table).")],
    out: Annotated[Path, typer.Option(help="Output folder of the run.")],
    sensitive: Annotated[
        list[str] | None, typer.Option(help="Another sensitive column to audit (repeatable).")
    ] = None,
    threshold: Annotated[
        float, typer.Option(min=0, max=1, help="Flag differences above this.")
    ] = 0.1,
    alpha: Annotated[
        float,
        typer.Option(min=0, max=1, help="...and only when a chi-square test gives a p-value "
                     "below this (1 = on the threshold alone)."),
    ] = AUDIT_ALPHA,
    fail_on_flag: Annotated[bool, typer.Option(help="Exit 3 when anything is flagged.")] = False,
) -> None:
    """Audit a run's segments, churn risk and offers across age bands, genders and other
    groups."""
    with _errors():
        from shopperlens.batch.audit import AUDIT_FILE
        from shopperlens.batch.audit import audit as fairness_audit
        from shopperlens.batch.summary import audit_summary

        result = fairness_audit(data, out, sensitive=sensitive or [], threshold=threshold,
                                alpha=None if alpha >= 1 else alpha)
        for line in audit_summary(result):
            out_console.print(line, markup=False, highlight=False)
        out_console.print(f"Details in {out / AUDIT_FILE}", soft_wrap=True)
    if fail_on_flag and (result.flagged or result.proxy_flags):
        raise typer.Exit(3)


@app.command("export-subject")
def export_subject(
    customer_id: Annotated[str, typer.Argument(help="The customer whose data to export.")],
    out: Annotated[Path, typer.Option(help="Output folder of a run.")],
    store: StoreOption = None,
) -> None:
    """Print everything held about a person in a run's outputs (and the service store),
    as JSON."""
    with _errors():
        import json

        from shopperlens.config import Settings
        from shopperlens.privacy import export_subject as export

        found = export(customer_id, out, key=Settings().key())
        with _service_store(out, store) as service:
            if service is not None:
                found["service_store"] = service.export_customer(customer_id)
        typer.echo(json.dumps(found, indent=2, default=str))


def _check_cutoff(cutoff: str | None) -> None:
    """Refuse a cutoff that is not ISO 8601 before any work (imported here: the window
    module loads pandas, which ``--help`` does not need)."""
    if cutoff is not None:
        from shopperlens.timewindow import parse_cutoff

        parse_cutoff(cutoff)


def _hint_large_csv(data: Path) -> None:
    """Recommend Parquet on stderr, before a long read of a big CSV starts."""
    hint = large_csv_hint(data)
    if hint:
        err_console.print(f"Hint: {hint}", markup=False, highlight=False, soft_wrap=True)


def _read_texts(source: Path):  # noqa: ANN202 - pandas frame
    import pandas as pd

    from shopperlens.errors import InputError, MissingColumnError

    if not source.is_file():
        raise InputError(f"{source}: no such file.")
    frame = pd.read_csv(source, dtype={schema.TEXT: str})
    if schema.TEXT not in frame:
        raise MissingColumnError(
            "texts", str(source), [schema.TEXT], [str(c) for c in frame.columns]
        )
    frame[schema.TEXT] = frame[schema.TEXT].fillna("")
    return frame


def _run(
    data: Path,
    out: Path,
    cutoff: str | None,
    settings: Settings,
    mappings: list[str],
    holdout: int | None = None,
    *,
    report: bool = True,
    engine: str = "duckdb",
    quiet: bool = False,
    currency: str | None = None,
    previous: Path | None = None,
) -> RunResult:
    from shopperlens.batch.runner import run as run_batch

    with run_progress(quiet) as progress:
        result = run_batch(
            data,
            out,
            cutoff=cutoff,
            mappings=mappings,
            holdout_days=holdout,
            report=report,
            settings=settings,
            progress=progress,
            engine=engine,
            currency=currency,
            previous=previous,
        )
    if not quiet:
        print_quality(result.quality)
    return result


_audience.register(app, _errors)
_watch.register(app, _errors)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
