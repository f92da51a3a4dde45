"""Real-time profiles: running feature state and segment assignment, one event at a time.

Pure core (no I/O, no clock): the service passes events, stores and its own clock in.
"""

from __future__ import annotations

from shopperlens.realtime.assign import (
    NO_PURCHASE_ID,
    NO_PURCHASE_NAME,
    Book,
    Profiles,
    SegmentAssigner,
    apply,
    features_frame,
    route,
)
from shopperlens.realtime.state import FEATURE_NAMES, CustomerState, to_days

__all__ = [
    "FEATURE_NAMES",
    "NO_PURCHASE_ID",
    "NO_PURCHASE_NAME",
    "Book",
    "CustomerState",
    "Profiles",
    "SegmentAssigner",
    "apply",
    "features_frame",
    "route",
    "to_days",
]
