"""Step ``scoring``: segments and predictions of every customer, a block at a time.

It times its parts under the run's stages (features, text, segmentation, predictions,
outputs), so it is a step that is not timed itself.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.batch.fitset import profiled, with_texts
from shopperlens.batch.outputs import OutputFiles
from shopperlens.batch.result import STORED
from shopperlens.batch.segments import assign_segments
from shopperlens.batch.state import RunState
from shopperlens.engines.blocks import Block
from shopperlens.features import fetch_features
from shopperlens.segmentation import SegmentTotals


def score(state: RunState) -> None:
    """Fills ``scored``: every block's outputs appended to the files (and kept in memory
    when there is one block or no output folder)."""
    blocks, fitting, model = state.blocks, state.fit_set, state.model
    assert fitting is not None and model is not None
    state.scored = Scored(model, state.out_dir, keep=state.out_dir is None or len(blocks) == 1,
                          one_pass=fitting.block is not None)
    for number, block in enumerate(blocks, 1):
        if len(blocks) > 1 and state.timer.progress:
            state.timer.progress(f"customers, block {number} of {len(blocks)}")
        _score_block(state, block)


def _score_block(state: RunState, block: Block) -> None:
    """Segments and predictions of one block of customers, added to ``state.scored``."""
    engine, fitting, timer = state.engine, state.fit_set, state.timer
    assert engine is not None and fitting is not None and state.as_of is not None
    assert state.model is not None and state.predictor is not None and state.scored
    announce = fitting.block is not None  # one block: the stages are the run's stages
    if block == fitting.block:
        features, consenting = fitting.features, fitting.profiled
    else:
        with timer.stage("features", announce=announce):
            features = fetch_features(engine, where=block.where())
        with timer.stage("text", announce=announce):
            features = with_texts(engine, features, block.where(), state.as_of)
        consenting = profiled(engine, features)
    # The predictions on a thread beside the segments: LightGBM, DuckDB and numpy's
    # bigger loops let go of the GIL, so the two share the cores.
    with engine.beside() as submit:
        predicting = submit(state.predictor.predict, consenting, block.where())
        with timer.stage("segmentation", announce=announce):
            segments = assign_segments(state.model, consenting)[0]
        with timer.stage("predictions", announce=announce):
            predictions = predicting.result()
    with timer.stage("outputs", announce=announce):
        state.scored.add(features, consenting, segments, predictions)


class Scored:
    """The per-customer outputs of a run, a block of customers at a time: appended to
    the output files, kept in memory when asked, and tallied for the run record and,
    across blocks, for the segment profiles."""

    def __init__(self, model: SavedSegmentModel, out: Path | None, *, keep: bool,
                 one_pass: bool) -> None:
        self.model, self.keep = model, keep
        self.files = None if out is None else OutputFiles(out)
        self.parts: dict[str, list[pd.DataFrame]] = {"features": [], "segments": [],
                                                     "predictions": []}
        self.totals = (None if one_pass else
                       SegmentTotals(model.segment_model.profiles_.index, model.feature_names))
        self.customers = self.profiled = self.n_features = 0
        self.segment_counts: Counter[str] = Counter()

    def add(self, features: pd.DataFrame, profiled: pd.DataFrame, segments: pd.DataFrame,
            predictions: pd.DataFrame) -> None:
        self.customers += len(features)
        self.profiled += len(segments)
        self.n_features = features.shape[1]
        self.segment_counts.update(segments[s.SEGMENT_NAME].value_counts().to_dict())
        if self.totals is not None:
            buyers = (profiled["frequency"] > 0).to_numpy()
            self.totals.add(self.model.matrix(profiled[buyers]).to_numpy(dtype=float),
                            segments[s.SEGMENT_ID].to_numpy()[buyers])
        if self.files is not None:
            self.files.append(s.FEATURES_FILE.removesuffix(".parquet"),
                              features.reset_index(), csv=False)
            self.files.append(s.SEGMENTS_FILE, segments)
            self.files.append(s.PREDICTIONS_FILE, predictions)
        if self.keep:
            for name, frame in zip(self.parts, (features, segments, predictions), strict=True):
                self.parts[name].append(frame)

    def counts(self) -> dict[str, int]:
        """Customers scored, of them profiled, and the number of features."""
        return {"customers": self.customers, "profiled": self.profiled,
                "n_features": self.n_features}

    def close(self) -> pd.DataFrame:
        """Close the files; the segment profiles: the fitted model's when it was fitted
        on everyone in one pass, else with the sizes and means of everyone."""
        if self.files is not None:
            self.files.close()
        profiles = self.model.segment_model.profiles_.copy()
        if self.totals is not None:
            counted = self.totals.table()
            profiles[counted.columns] = counted
        return profiles

    def frame(self, name: str) -> pd.DataFrame | str:
        """The concatenated blocks of ``name``, or :data:`STORED` when not kept."""
        if not self.keep:
            return STORED
        parts = self.parts[name]
        return parts[0] if len(parts) == 1 else pd.concat(parts)
