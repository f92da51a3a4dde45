"""Step ``ingest``: read, map, validate and pseudonymise the data folder into the engine;
quarantine bad rows (written at once, so they are there even when the run stops); fix
the window."""

from __future__ import annotations

from shopperlens import schema as s
from shopperlens.batch.state import RunState
from shopperlens.batch.window import window
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest import load_folder, write_rejected


def load(state: RunState) -> None:
    """Fills ``quality`` (per table), ``as_of`` and ``warnings``."""
    assert state.engine is not None
    state.quality = load_folder(
        state.engine,
        state.data,
        state.column_map,
        pseudonymisation_key=state.settings.key(),
        default_country=state.settings.default_country,
        keep_duplicates=state.settings.keep_duplicates,
        progress=state.timer.ticker("ingest", "bytes"),
    )
    if state.out_dir is not None:
        write_rejected(state.engine, state.out_dir / s.REJECTED_DIR, state.quality)
    state.as_of, state.warnings = window(state.quality, state.cutoff, state.holdout_days,
                                         max_gap_days=state.settings.max_cutoff_gap_days)
    state.currency = state.currency or data_currency(state.engine)
    state.timer.count("ingest", rows_read=sum(q.rows_read for q in state.quality.values()),
                      tables=len(state.quality))


def data_currency(engine: DuckDBEngine) -> str | None:
    """The one currency of the transactions' optional ``currency`` column; None when
    there is no such column, or it holds none or several (amounts then stay bare)."""
    if s.CURRENCY not in engine.columns(s.TRANSACTIONS.name):
        return None
    found = engine.fetch_df(
        f"SELECT DISTINCT upper(trim({s.CURRENCY})) AS c FROM {s.TRANSACTIONS.name} "
        f"WHERE {s.CURRENCY} IS NOT NULL AND trim({s.CURRENCY}) <> '' LIMIT 2"
    )["c"].tolist()
    return str(found[0]) if len(found) == 1 else None
