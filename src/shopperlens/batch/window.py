"""The run's ``as_of``: the day after the last transaction, or the ``--cutoff`` given.

(The one time-window module of the data-trust issue will own this rule; until then the
run and ``assign`` take it from here.)
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from shopperlens import schema as s
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.errors import InputError


def as_of(engine: DuckDBEngine, cutoff: str | datetime | None) -> datetime:
    """The moment the run looks from: ``cutoff``, else midnight after the last order."""
    if cutoff is None:
        last = engine.scalar(f"SELECT max({s.TIMESTAMP}) FROM {s.TRANSACTIONS.name}")
        if last is None:
            raise InputError("transactions: no valid rows left after validation; see rejected/.")
        return pd.Timestamp(last).normalize().to_pydatetime() + pd.Timedelta(days=1)  # type: ignore[return-value]
    return parse_cutoff(cutoff)


def parse_cutoff(cutoff: str | datetime) -> datetime:
    """A cutoff date as a naive UTC datetime (end of the given day for a plain date).

    Examples
    --------
    >>> parse_cutoff("2025-03-04")
    datetime.datetime(2025, 3, 5, 0, 0)
    """
    if isinstance(cutoff, datetime):
        return cutoff
    try:
        stamp = pd.Timestamp(cutoff)
    except ValueError as exc:
        raise InputError(f"--cutoff {cutoff!r} is not a date (expected YYYY-MM-DD).") from exc
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    if len(cutoff.strip()) <= 10:
        stamp = stamp + pd.Timedelta(days=1)  # a plain date includes that whole day
    return stamp.to_pydatetime()
