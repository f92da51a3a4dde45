"""Defaults of the run's commands that ``shopperlens --help`` shows: a leaf module, so
the CLI reads them without loading the run."""

from __future__ import annotations

AUDIT_ALPHA = 0.01  # p-value a flagged difference needs (small groups differ by chance)
