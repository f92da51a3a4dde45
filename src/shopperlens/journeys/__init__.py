"""Journeys and friction: funnels per segment, channel and device, the paths sessions
take, the steps where they get stuck more than their segment's baseline, and incidents
(a step whose drop-off jumps) found within days.

Pure functions over small frames; the per-session aggregation of the events is SQL
(:mod:`shopperlens.journeys.sql`) that the run's engine executes.
"""
from __future__ import annotations

from shopperlens.journeys.analyse import Journeys, analyse_journeys
from shopperlens.journeys.friction import rank_friction, segment_baselines
from shopperlens.journeys.funnel import (
    DEFAULT_STEPS,
    check_steps,
    completion_after,
    funnel_table,
    wilson_interval,
)
from shopperlens.journeys.incidents import DropOffMonitor

__all__ = [
    "DEFAULT_STEPS",
    "DropOffMonitor",
    "Journeys",
    "analyse_journeys",
    "check_steps",
    "completion_after",
    "funnel_table",
    "rank_friction",
    "segment_baselines",
    "wilson_interval",
]
