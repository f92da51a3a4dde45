"""The HTML report: one self-contained file a marketer can open offline.

:func:`render_report` turns a run's :class:`~shopperlens.batch.result.RunResult` into HTML,
:func:`write_report` saves it, and :func:`result_from_outputs` rebuilds the result from a
finished run's folder so the report can be re-rendered without re-running.
"""

from __future__ import annotations

from shopperlens.report.load import result_from_outputs
from shopperlens.report.render import render_report, write_report

__all__ = ["render_report", "result_from_outputs", "write_report"]
