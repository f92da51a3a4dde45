"""Step ``scoring``: segments and predictions of every customer, a block at a time.

It times its parts under the run's stages (features, text, segmentation, predictions,
outputs), so it is a step that is not timed itself.
"""

from __future__ import annotations

import time

from shopperlens.batch.fitset import profiled, with_texts
from shopperlens.batch.progress import ProgressEvent
from shopperlens.batch.scored import Scored
from shopperlens.batch.segments import assign_segments
from shopperlens.batch.state import RunState
from shopperlens.batch.steps.features import customers
from shopperlens.engines.blocks import Block
from shopperlens.features import fetch_features


def score(state: RunState) -> None:
    """Fills ``scored``: every block's outputs appended to the files (and kept in memory
    when there is one block or no output folder). Announced as step ``scoring``, with
    the customers scored so far; its parts are timed under the run's stages."""
    blocks, fitting, model, timer = state.blocks, state.fit_set, state.model, state.timer
    assert fitting is not None and model is not None and state.engine is not None
    state.scored = Scored(model, state.out_dir, keep=state.out_dir is None or len(blocks) == 1)
    total, start = customers(state.engine), time.perf_counter()
    timer.tell(ProgressEvent("scoring", "start", 0, total, "customers"))
    for block in blocks:
        _score_block(state, block)
        timer.tell(ProgressEvent("scoring", "advance", state.scored.customers, total,
                                 "customers", time.perf_counter() - start))
    timer.tell(ProgressEvent("scoring", "end", total, total, "customers",
                             time.perf_counter() - start,
                             {"customers scored": state.scored.customers}))


def _score_block(state: RunState, block: Block) -> None:
    """Segments and predictions of one block of customers, added to ``state.scored``."""
    engine, fitting, timer = state.engine, state.fit_set, state.timer
    assert engine is not None and fitting is not None and state.as_of is not None
    assert state.model is not None and state.predictor is not None and state.scored
    if block == fitting.block:
        features, consenting = fitting.features, fitting.profiled
    else:
        with timer.stage("features", announce=False):
            features = fetch_features(engine, where=block.where())
        with timer.stage("text", announce=False):
            features = with_texts(engine, features, block.where(), state.as_of)
        consenting = profiled(engine, features)
    # The predictions on a thread beside the segments: LightGBM, DuckDB and numpy's
    # bigger loops let go of the GIL, so the two share the cores.
    with engine.beside() as submit:
        predicting = submit(state.predictor.predict, consenting, block.where())
        with timer.stage("segmentation", announce=False):
            segments = assign_segments(state.model, consenting)[0]
        with timer.stage("predictions", announce=False):
            predictions = predicting.result()
    with timer.stage("outputs", announce=False):
        state.scored.add(features, consenting, segments, predictions)
