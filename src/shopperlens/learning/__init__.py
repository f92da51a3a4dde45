"""Keep learning across runs: drift, stable segment ids, what changed since the last run.

Pure: frames and fitted models in, frames, dicts and models out.

* :mod:`.drift`: PSI and KS per feature, the cohort's ageing apart;
* :mod:`.changes`: births, deaths, splits and merges of segments, transitions, the
  share of unchanged customers who kept their segment id;
* :mod:`.decide`: keep the previous model or adopt the re-fit with the old ids;
* :mod:`.reportcard`: the previous run's predictions against what happened since.
"""

from __future__ import annotations

from shopperlens.learning.changes import ABSENT, Changes, continuity, segment_changes, transitions
from shopperlens.learning.decide import Decision, decide
from shopperlens.learning.drift import PSI_ALARM, feature_drift, ks, psi, psi_ageing
from shopperlens.learning.reportcard import report_card

__all__ = [
    "ABSENT",
    "PSI_ALARM",
    "Changes",
    "Decision",
    "continuity",
    "decide",
    "feature_drift",
    "ks",
    "psi",
    "psi_ageing",
    "report_card",
    "segment_changes",
    "transitions",
]
