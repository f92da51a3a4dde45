"""The per-customer outputs of a run as they are scored, a block of customers at a time."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.batch.outputs import OutputFiles
from shopperlens.batch.result import STORED
from shopperlens.segmentation import segment_profiles, totals_for


class Scored:
    """The per-customer outputs of a run, a block of customers at a time: appended to
    the output files, kept in memory when asked, and tallied for the run record and,
    across blocks, for the segment profiles."""

    def __init__(self, model: SavedSegmentModel, out: Path | None, *, keep: bool) -> None:
        self.model, self.keep = model, keep
        self.files = None if out is None else OutputFiles(out)
        self.parts: dict[str, list[pd.DataFrame]] = {"features": [], "segments": [],
                                                     "predictions": []}
        self.totals = totals_for(model.segment_model, model.feature_names)
        self.customers = self.profiled = self.n_features = 0
        self.segment_counts: Counter[str] = Counter()

    def add(self, features: pd.DataFrame, profiled: pd.DataFrame, segments: pd.DataFrame,
            predictions: pd.DataFrame) -> None:
        self.customers += len(features)
        self.profiled += len(segments)
        self.n_features = features.shape[1]
        self.segment_counts.update(segments[s.SEGMENT_NAME].value_counts().to_dict())
        self.totals.add(self.model.matrix(profiled).to_numpy(dtype=float),
                        segments[s.SEGMENT_ID].to_numpy())
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
        """Close the files; the segment profiles, with the sizes and means of everyone
        scored ("No purchases yet" included)."""
        if self.files is not None:
            self.files.close()
        return segment_profiles(self.model.segment_model, self.totals.table())

    def frame(self, name: str) -> pd.DataFrame | str:
        """The concatenated blocks of ``name``, or :data:`STORED` when not kept."""
        if not self.keep:
            return STORED
        parts = self.parts[name]
        return parts[0] if len(parts) == 1 else pd.concat(parts)
