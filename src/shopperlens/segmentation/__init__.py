"""Customer segmentation: scaling, model selection, names, rules, actions and RFM.

>>> from shopperlens.segmentation import SegmentModel, RFMGrid
>>> SegmentModel().k_range, RFMGrid().get_params()
((2, 10), {})
"""

from __future__ import annotations

from shopperlens.segmentation._profiles import SegmentTotals
from shopperlens.segmentation.actions import suggest_actions
from shopperlens.segmentation.matching import match_segments, relabel_model
from shopperlens.segmentation.model import SegmentModel, segment
from shopperlens.segmentation.naming import name_segments
from shopperlens.segmentation.rfm import RFMGrid
from shopperlens.segmentation.rules import RuleSet, surrogate_rules
from shopperlens.segmentation.scaling import SegmentScaler

__all__ = [
    "RFMGrid",
    "RuleSet",
    "SegmentModel",
    "SegmentScaler",
    "SegmentTotals",
    "match_segments",
    "name_segments",
    "relabel_model",
    "segment",
    "suggest_actions",
    "surrogate_rules",
]
