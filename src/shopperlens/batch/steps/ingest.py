"""Step ``ingest``: read, map, validate and pseudonymise the data folder into the engine."""

from __future__ import annotations

from shopperlens.batch.state import RunState
from shopperlens.batch.window import as_of
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
    state.timer.count("ingest", rows_read=sum(q.rows_read for q in state.quality.values()),
                      tables=len(state.quality))
