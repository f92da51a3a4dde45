"""Customer segmentation: scaling, model selection, names, rules, actions and RFM, and
the checks that names and labels are true of their members.

>>> from shopperlens.segmentation import SegmentModel, RFMGrid
>>> SegmentModel().k_range, RFMGrid().get_params()
((2, 10), {})
"""

from __future__ import annotations

from shopperlens.segmentation._profiles import (
    NO_PURCHASE_ID,
    NO_PURCHASE_NAME,
    SegmentTotals,
    has_purchases,
    segment_profiles,
    totals_for,
)
from shopperlens.segmentation.actions import suggest_actions
from shopperlens.segmentation.claims import (
    Violation,
    check_names,
    check_rfm,
    check_segmentation,
)
from shopperlens.segmentation.matching import match_segments, relabel_model, renumber
from shopperlens.segmentation.model import SegmentModel, segment
from shopperlens.segmentation.naming import name_segments
from shopperlens.segmentation.rfm import RFMGrid
from shopperlens.segmentation.rules import RuleSet, surrogate_rules
from shopperlens.segmentation.scaling import SegmentScaler

__all__ = [
    "NO_PURCHASE_ID",
    "NO_PURCHASE_NAME",
    "RFMGrid",
    "RuleSet",
    "SegmentModel",
    "SegmentScaler",
    "SegmentTotals",
    "Violation",
    "check_names",
    "check_rfm",
    "check_segmentation",
    "has_purchases",
    "match_segments",
    "name_segments",
    "relabel_model",
    "renumber",
    "segment",
    "segment_profiles",
    "suggest_actions",
    "surrogate_rules",
    "totals_for",
]
