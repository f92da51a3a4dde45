"""The batch run: its steps (:data:`~shopperlens.batch.steps.STEPS`) in order, each
announced and timed, then ``run.json``.

:func:`run` is the Python API behind ``shopperlens run``; it returns a
:class:`~shopperlens.batch.result.RunResult` holding the data frames, the fitted segment
model and the run record.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from shopperlens import schema as s
from shopperlens.artifacts import write_json
from shopperlens.batch.previous import check_previous
from shopperlens.batch.progress import Progress, Timer
from shopperlens.batch.record import fingerprints
from shopperlens.batch.result import RunResult
from shopperlens.batch.state import RunState, Step
from shopperlens.batch.steps import STEPS
from shopperlens.config import Settings
from shopperlens.engines import check_engine
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest import parse_mappings
from shopperlens.ingest.readers import discover


def run(
    data: str | Path,
    out: str | Path | None = None,
    *,
    cutoff: str | datetime | None = None,
    mappings: list[str] | None = None,
    holdout_days: int | None = None,
    report: bool = True,
    settings: Settings | None = None,
    progress: Progress | None = None,
    engine: str = "duckdb",
    currency: str | None = None,
    previous: str | Path | None = None,
) -> RunResult:
    """Run the whole batch pipeline on a data folder and write the contract's outputs.

    Parameters
    ----------
    data : folder with ``transactions.csv|parquet`` and optional other contract tables.
    out : output folder; ``None`` keeps everything in memory.
    cutoff : ignore everything after this date (ISO 8601); default: the last transaction.
    mappings : ``table.column=SourceColumn`` options for foreign column names.
    holdout_days : score the predictions against this many days after the cutoff.
    report : write ``report.html`` too.
    engine : ``"duckdb"`` or ``"spark"``: the engine computing the features. Ingestion,
        validation and the later stages run on DuckDB either way.
    progress : called with a :class:`~shopperlens.batch.progress.ProgressEvent` as each
        step starts, advances and ends (counts, seconds).
    currency : the currency of the amounts (ISO 4217, shown in the report and summary);
        default: the transactions' ``currency`` column when it holds one currency.
    previous : the output folder of an earlier run: keep its segment model while it
        holds (stable ids), compare with it (drift, transitions, segment births and
        deaths, its predictions' report card) and register the model version.
    """
    feature_engine = check_engine(engine)  # fail before any work
    earlier = None if previous is None else check_previous(previous)
    settings = settings or Settings()
    column_map = parse_mappings(mappings or [])
    files = discover(data)
    state = RunState(
        data, None if out is None else Path(out), cutoff, mappings, column_map, holdout_days,
        report, settings, feature_engine, Timer(progress), fingerprints(files),
        currency=currency.strip().upper() if currency else None,
        previous=earlier,
    )
    with ExitStack() as engine_open:
        for step in STEPS:
            _engine_for(step, state, engine_open)
            if step.when is None or step.when(state):
                _do(step, state)
    assert state.result is not None
    if state.out_dir is not None:
        state.result.record["timings_s"] = state.timer.timings
        write_json(state.out_dir / s.RUN_FILE, state.result.record)
    return state.result


def _engine_for(step: Step, state: RunState, engine_open: ExitStack) -> None:
    """Open the engine (and a thread beside it) for a step that needs one; close them
    before the first step that does not."""
    if step.engine and state.engine is None:
        state.engine = engine_open.enter_context(open_engine(state.settings))
        state.submit = engine_open.enter_context(state.engine.beside())
    elif not step.engine and state.engine is not None:
        engine_open.close()  # waits for the work beside, then closes the engine
        state.engine = state.submit = None


def _do(step: Step, state: RunState) -> None:
    if not step.timed:
        step.run(state)
        return
    with state.timer.stage(step.name):
        step.run(state)


def open_engine(settings: Settings) -> DuckDBEngine:
    """The DuckDB engine a run ingests into, sized by ``settings``."""
    return DuckDBEngine(
        memory_limit=settings.memory_limit,
        threads=settings.threads,
        temp_dir=settings.temp_dir,
        on_disk=settings.tables_on_disk,
    )
