"""The run's window: where it ends (``as_of``) and whether the data can fill it.

The rule itself (ISO parsing, UTC, the half-open window) is :mod:`shopperlens.timewindow`'s;
this module applies it to an ingested folder, for the run and ``assign`` alike.
"""

from __future__ import annotations

from datetime import datetime

from shopperlens import timewindow
from shopperlens.ingest import TableQuality, require_rows, transaction_range

__all__ = ["window"]


def window(
    quality: dict[str, TableQuality],
    cutoff: str | datetime | None,
    holdout_days: int | None = None,
    *,
    max_gap_days: int = timewindow.MAX_GAP_DAYS,
) -> tuple[datetime, list[str]]:
    """The end of the run's window and the warnings about it.

    Raises :class:`~shopperlens.errors.InputError` or ``SchemaError`` (exit 2) when no
    transaction survived, or the cutoff or holdout falls outside the data.
    """
    require_rows(quality)
    first, last = transaction_range(quality)
    end = timewindow.resolve_end(cutoff, last)
    return end, timewindow.check_window(first, last, end, holdout_days,
                                        max_gap_days=max_gap_days)
