"""Step ``ingest``: read, map, validate and pseudonymise the data folder into the engine."""

from __future__ import annotations

from shopperlens import schema as s
from shopperlens.batch.state import RunState
from shopperlens.batch.window import as_of
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest import load_folder


def load(state: RunState) -> None:
    """Fills ``quality`` (per table) and ``as_of``."""
    assert state.engine is not None
    state.quality = load_folder(
        state.engine,
        state.data,
        state.column_map,
        pseudonymisation_key=state.settings.key(),
        default_country=state.settings.default_country,
    )
    state.as_of = as_of(state.engine, state.cutoff)
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
