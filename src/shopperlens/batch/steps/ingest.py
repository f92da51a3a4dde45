"""Step ``ingest``: read, map, validate and pseudonymise the data folder into the engine;
quarantine bad rows (written at once, so they are there even when the run stops); fix
the window."""

from __future__ import annotations

from shopperlens import schema as s
from shopperlens.batch.state import RunState
from shopperlens.batch.window import window
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
    )
    if state.out_dir is not None:
        write_rejected(state.engine, state.out_dir / s.REJECTED_DIR, state.quality)
    state.as_of, state.warnings = window(state.quality, state.cutoff, state.holdout_days,
                                         max_gap_days=state.settings.max_cutoff_gap_days)
