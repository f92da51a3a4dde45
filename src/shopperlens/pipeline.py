"""Deprecated: the run moved to the :mod:`shopperlens.batch` package.

``shopperlens.pipeline`` keeps its names for one release and warns on import. Use
``shopperlens.run`` / ``shopperlens.assign`` / ``shopperlens.RunResult``, or the modules
of :mod:`shopperlens.batch` (``result``, ``runner``, ``segments``, ``assign``, ``audit``).
"""

from __future__ import annotations

import warnings

from shopperlens.batch.assign import assign
from shopperlens.batch.audit import AUDIT_ALPHA, AUDIT_FILE, OFFER, OFFER_FEATURE, audit
from shopperlens.batch.result import STORED, RunResult
from shopperlens.batch.runner import run
from shopperlens.batch.segments import (
    NO_PURCHASE_ID,
    NO_PURCHASE_NAME,
    assign_segments,
    fit_segment_model,
)
from shopperlens.batch.state import Progress
from shopperlens.batch.steps.report import REPORT_SAMPLE
from shopperlens.timewindow import parse_cutoff

warnings.warn(
    "shopperlens.pipeline is deprecated and will be removed in the next release; import "
    "from shopperlens (run, assign, RunResult) or shopperlens.batch instead.",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "AUDIT_ALPHA",
    "AUDIT_FILE",
    "NO_PURCHASE_ID",
    "NO_PURCHASE_NAME",
    "OFFER",
    "OFFER_FEATURE",
    "Progress",
    "REPORT_SAMPLE",
    "RunResult",
    "STORED",
    "assign",
    "assign_segments",
    "audit",
    "fit_segment_model",
    "parse_cutoff",
    "run",
]
