"""What the steps of a run share: :class:`RunState`, and what a step is: :class:`Step`.

Each step reads the fields earlier steps filled and fills its own; the order is
:data:`shopperlens.batch.steps.STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopperlens.batch.progress import Progress, Timer  # noqa: F401 - Progress re-exported
from shopperlens.config import Settings

if TYPE_CHECKING:
    from shopperlens.artifacts import SavedSegmentModel
    from shopperlens.batch.fitset import FitSet
    from shopperlens.batch.predict import Predictor
    from shopperlens.batch.result import RunResult
    from shopperlens.batch.scored import Scored
    from shopperlens.engines.blocks import Block
    from shopperlens.engines.duckdb import DuckDBEngine
    from shopperlens.ingest import TableQuality

@dataclass
class RunState:
    """The run so far. The first block of fields is what :func:`~shopperlens.batch.run`
    was asked; each later one is filled by the step named beside it."""

    data: str | Path
    out_dir: Path | None
    cutoff: str | datetime | None
    mappings: list[str] | None  # as given (for the record)
    column_map: dict[str, dict[str, str]]  # the mappings, parsed
    holdout_days: int | None
    report: bool
    settings: Settings
    feature_engine: str  # the engine computing the features; ``engine`` is DuckDB
    timer: Timer
    inputs: Future  # the input files' fingerprints, hashed beside the run
    engine: DuckDBEngine | None = None  # open while the steps that need it run
    submit: Callable[..., Future] | None = None  # work on a thread beside the step
    quality: dict[str, TableQuality] = field(default_factory=dict)  # ingest
    as_of: datetime | None = None  # ingest
    warnings: list[str] = field(default_factory=list)  # ingest: about the window
    texts: Future | None = None  # features: the text scoring, running beside
    blocks: list[Block] = field(default_factory=list)  # features
    fit_set: FitSet | None = None  # segmentation (its texts: text)
    training: Future | None = None  # segmentation: the predictions' data, read beside
    model: SavedSegmentModel | None = None  # segmentation
    segment_ids: dict[str, Any] | None = None  # segmentation: matched to a previous run's
    predictor: Predictor | None = None  # predictions
    scored: Scored | None = None  # scoring
    result: RunResult | None = None  # outputs
    currency: str | None = None  # asked for (``--currency``), else the data's (ingest)
    previous: Path | None = None  # asked for (``--previous``): an earlier run's folder
    learning: Any = None  # continuity: the previous run and the decision (steps/learning)

    @property
    def predicting(self) -> dict[str, Any]:
        """The arguments the predictions' data and models share."""
        return {"as_of": self.as_of, "holdout_days": self.holdout_days,
                "churn_days": self.settings.churn_days, "seed": self.settings.seed}


@dataclass(frozen=True)
class Step:
    """One stage of a run: ``run(state)`` reads what earlier steps left in the
    :class:`RunState` and adds its own.

    ``name`` is the stage it is announced and timed as (``timings_s`` of ``run.json``);
    ``timed=False`` for a step that times its parts under the stages they belong to.
    ``engine=False``: the step needs no engine, which is closed before it runs.
    ``when`` says whether the step applies to this run (default: always).
    """

    name: str
    run: Callable[[RunState], None]
    timed: bool = True
    engine: bool = True
    when: Callable[[RunState], bool] | None = None
