"""The steps of a run, in order: :data:`STEPS`.

A step is a function of the :class:`~shopperlens.batch.state.RunState`: it reads what
earlier steps filled and fills its own fields. The runner calls them in this order,
announces and times each under its name (``timings_s`` of ``run.json``), opens the
engine for the steps that need one and closes it before the first that does not. A new
capability is one module here and one line below.
"""

from __future__ import annotations

from shopperlens.batch.state import Step
from shopperlens.batch.steps import (
    campaigns,
    demand,
    features,
    ingest,
    journeys,
    learning,
    outputs,
    predictions,
    recommendations,
    report,
    scoring,
    segmentation,
    text,
)

STEPS: tuple[Step, ...] = (
    Step("ingest", ingest.load),
    Step("features", features.compute),
    Step("segmentation", segmentation.fit),
    Step("continuity", learning.choose, when=learning.wanted),
    Step("text", text.join),
    Step("predictions", predictions.fit),
    Step("scoring", scoring.score, timed=False),
    Step("outputs", outputs.write),
    Step("changes", learning.compare, when=learning.wanted),
    Step("recommendations", recommendations.recommend),
    Step("campaigns", campaigns.measure_campaigns, when=campaigns.wanted),
    Step("journeys", journeys.analyse, when=journeys.wanted),
    Step("demand", demand.forecast, when=demand.wanted),
    Step("report", report.write, engine=False, when=report.wanted),
)

__all__ = ["STEPS", "Step"]
