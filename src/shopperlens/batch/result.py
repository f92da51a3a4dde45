"""What a run returns: :class:`RunResult`, its frames in memory or read from its files.

The report, ``assign`` and the service depend on this type only, never on how a run is
made (:mod:`shopperlens.batch.runner`), so this module imports no stage of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from shopperlens import schema as s

if TYPE_CHECKING:
    from shopperlens.artifacts import SavedSegmentModel
    from shopperlens.ingest import TableQuality
    from shopperlens.journeys.analyse import Journeys

STORED = "stored"  # a per-customer frame of a run that lives only in its output file


class _OutputFrame:
    """A per-customer frame of :class:`RunResult`: in memory, or, for a run too big to
    hold (its customers came in blocks), read from the run's output file on first use."""

    def __init__(self, stem: str, index: str | None = None) -> None:
        self.stem, self.index = stem, index

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = f"_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> pd.DataFrame | None:
        if obj is None:
            raise AttributeError(self.attr)  # tells dataclass: a field without default
        frame = obj.__dict__[self.attr]
        if isinstance(frame, str) and frame == STORED:
            frame = pd.read_parquet(obj.out_dir / f"{self.stem}.parquet")  # type: ignore[attr-defined]
            frame = frame.set_index(self.index) if self.index else frame
            obj.__dict__[self.attr] = frame
        return frame

    def __set__(self, obj: object, value: pd.DataFrame | str | None) -> None:
        obj.__dict__[self.attr] = value


@dataclass
class RunResult:
    """Everything a run produced, as data frames and fitted objects.

    When a run's customers came in several blocks (more than ``block_customers``), its
    ``features``, ``segments`` and ``predictions`` are read from its output files when
    first used.
    """

    out_dir: Path | None
    as_of: datetime
    features: pd.DataFrame = _OutputFrame(s.FEATURES_FILE.removesuffix(".parquet"),
                                          s.CUSTOMER_ID)  # type: ignore[assignment]
    segments: pd.DataFrame = _OutputFrame(s.SEGMENTS_FILE)  # type: ignore[assignment]
    profiles: pd.DataFrame  # type: ignore[misc]  # the frames above are descriptors
    predictions: pd.DataFrame | None = _OutputFrame(s.PREDICTIONS_FILE)  # type: ignore[assignment]
    quality: dict[str, TableQuality]  # type: ignore[misc]
    model: SavedSegmentModel  # type: ignore[misc]
    record: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] | None = None  # the fairness audit of this run, once one was made
    journeys: Journeys | None = None  # funnels, friction and incidents, when events had sessions
    # top products and the next best offer per customer (step recommendations; None
    # when the transactions name no product)
    recommendations: pd.DataFrame | None = None
    offers: pd.DataFrame | None = None
    # forecasts, elasticities, price_suggestions (the demand step's frames, when it ran)
    demand: dict[str, pd.DataFrame] = field(default_factory=dict)

    def segment_columns(self, *columns: str) -> pd.DataFrame:
        """``customer_id`` and ``columns`` of the segments, read from the segments file
        when the run's frames are stored there (not kept: the run stays stored, and the
        report a sample of it)."""
        wanted = [s.CUSTOMER_ID, *columns]
        if self.is_stored():
            assert self.out_dir is not None
            return pd.read_parquet(self.out_dir / f"{s.SEGMENTS_FILE}.parquet", columns=wanted)
        return self.segments[wanted]

    def is_stored(self) -> bool:
        """Whether the per-customer frames are still only in the output files."""
        return isinstance(self.__dict__["_segments"], str)
