"""Step ``outputs``: the run's result and record, and the contract's other files."""

from __future__ import annotations

from shopperlens.batch.outputs import write_tables
from shopperlens.batch.record import run_record
from shopperlens.batch.result import RunResult
from shopperlens.batch.state import RunState


def write(state: RunState) -> None:
    """Fills ``result`` (its record but for ``timings_s``, complete at the end)."""
    scored, predictor = state.scored, state.predictor
    assert scored is not None and predictor is not None and state.as_of is not None
    assert state.model is not None
    profiles = scored.close()
    result = RunResult(
        state.out_dir, state.as_of, scored.frame("features"), scored.frame("segments"),
        profiles, scored.frame("predictions"), state.quality, state.model,
    )
    result.record = run_record(result, scored.counts(), dict(scored.segment_counts),
                               state.inputs.result(), state.settings, state.cutoff,
                               state.mappings, state.timer.timings)
    result.record["parameters"]["holdout_days"] = state.holdout_days
    result.record["parameters"]["engine"] = state.feature_engine
    result.record["warnings"] = state.warnings
    if state.segment_ids is not None:
        result.record["metrics"]["segmentation"]["segment_ids"] = state.segment_ids
    result.record["currency"] = state.currency
    predictions = predictor.finish()
    # Fitted parameters live once, under "models"; the rest are prediction metrics.
    result.record["models"] = predictions.pop("models")
    result.record["metrics"]["predictions"] = predictions
    if state.out_dir is not None:
        assert state.engine is not None
        write_tables(result, state.out_dir, state.engine)
    state.result = result
