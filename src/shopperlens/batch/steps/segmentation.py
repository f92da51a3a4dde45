"""Step ``segmentation``: the fit set and the segment model fitted on it."""

from __future__ import annotations

from shopperlens import schema as s
from shopperlens.batch.fitset import fit_set
from shopperlens.batch.predict import gather_training_data
from shopperlens.batch.segments import fit_segment_model, follow_previous_ids
from shopperlens.batch.state import RunState


def fit(state: RunState) -> None:
    """Fills ``fit_set``, ``model`` and ``training`` (the predictions' data, read beside
    the segment model's fit: both leave a core idle for much of their time)."""
    assert state.engine is not None and state.submit is not None and state.as_of is not None
    fitting = state.fit_set = fit_set(state.engine, state.as_of, state.settings, state.blocks)
    state.training = state.submit(gather_training_data, fitting.profiled, fitting.where,
                                  **state.predicting)
    state.model = fit_segment_model(fitting.profiled, settings=state.settings,
                                    as_of=state.as_of,
                                    progress=state.timer.ticker("segmentation", "models"))
    previous = None if state.out_dir is None else state.out_dir / s.MODEL_FILE
    if state.previous is None and previous is not None and previous.is_file():
        # a re-run into the same folder keeps its ids (--previous: the continuity step)
        state.model, state.segment_ids = follow_previous_ids(state.model, previous,
                                                             fitting.profiled)
    state.timer.count("segmentation", customers_fitted=len(fitting.profiled),
                      segments=len(state.model.segment_model.names_))
