"""A corpus of data folders the engine was not written for, run through the CLI and
checked against the invariants of :mod:`.invariants` (issue 35)."""

from __future__ import annotations
