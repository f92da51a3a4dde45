"""What "up to the cutoff" means, once for every stage.

A run looks at the records of one time window, ``[first record, end)``: half-open, the
window's ``end`` itself excluded, as in Python's ``range``. Every stage that filters by
time (ingest checks, features, texts, predictions, the service's replay, the report)
takes ``end`` from :func:`parse_cutoff` or :func:`resolve_end` and filters with
:func:`sql_before` (SQL) or :func:`before` (pandas), so none can differ by a day or by
a record at midnight.

The rule:

- A **date** cutoff ``1997-09-30`` means *through the end of that day*: ``end`` is
  ``1997-10-01 00:00``, so every record of the 30th is in and none of the 1st.
- A **date-time** cutoff ``1997-09-30T12:00:00`` is the end instant itself: records up
  to 11:59:59.999999 are in, a record at exactly noon is not.
- Without a cutoff, the window ends after the day of the last transaction.
- Cutoffs are ISO 8601 only (``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SS``, optional zone
  offset): ``03/04/1997`` is 3 April to some and 4 March to others, so it is refused.
- Times are UTC. ``end`` is a naive ``datetime`` meaning UTC, as DuckDB's ``TIMESTAMP``
  columns do after ingestion (an offset in the data or the cutoff is converted to UTC).

A holdout of ``H`` days scores predictions on ``[end, end + H days)``.

>>> parse_cutoff("1997-09-30")
datetime.datetime(1997, 10, 1, 0, 0)
>>> parse_cutoff("1997-09-30T12:00:00+02:00")
datetime.datetime(1997, 9, 30, 10, 0)
>>> sql_before(parse_cutoff("1997-09-30"))
"timestamp < TIMESTAMP '1997-10-01 00:00:00'"
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pandas as pd

from shopperlens.errors import InputError

__all__ = [
    "MAX_GAP_DAYS",
    "SECONDS_PER_DAY",
    "before",
    "check_window",
    "day_after",
    "epoch_days",
    "in_frame_zone",
    "is_before",
    "parse_cutoff",
    "resolve_end",
    "sql_before",
]

SECONDS_PER_DAY = 86_400.0
# A cutoff this many days past the last record is refused: recency would count a year of
# silence the data cannot show (Settings.max_cutoff_gap_days overrides it).
MAX_GAP_DAYS = 365
EXPECTED = "an ISO 8601 date YYYY-MM-DD or date-time YYYY-MM-DDTHH:MM:SS, e.g. 1997-09-30"
# ISO 8601's extended shapes only: fromisoformat alone also reads the basic '19970930'
# and the week date '1997-W40-2', which a reader may take for something else.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?", re.ASCII
)


def parse_cutoff(cutoff: str | date | datetime) -> datetime:
    """The window's end (exclusive, naive UTC) for a cutoff given by the user.

    A date (``date`` or ``"YYYY-MM-DD"``) ends the window after that day; a date-time
    is the end itself. Raises :class:`~shopperlens.errors.InputError` for anything but
    ISO 8601.
    """
    if isinstance(cutoff, datetime):
        return _utc_naive(cutoff)
    if isinstance(cutoff, date):
        return datetime(cutoff.year, cutoff.month, cutoff.day) + timedelta(days=1)
    text = str(cutoff).strip()
    try:
        if _DATE.fullmatch(text):
            return parse_cutoff(date.fromisoformat(text))
        if _DATETIME.fullmatch(text):
            return _utc_naive(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass  # the right shape but no such day (1997-02-30): the same message
    raise InputError(f"--cutoff {text!r} is not a date: expected {EXPECTED}.")


def day_after(last: datetime | pd.Timestamp) -> datetime:
    """The end of the window that holds the whole day of ``last``: its next midnight."""
    stamp = pd.Timestamp(_utc_naive(pd.Timestamp(last).to_pydatetime()))
    return (stamp.normalize() + pd.Timedelta(days=1)).to_pydatetime()


def resolve_end(cutoff: str | date | datetime | None, last: datetime | pd.Timestamp) -> datetime:
    """The window's end: :func:`parse_cutoff` of ``cutoff``, or after the day of the
    last record ``last`` when there is no cutoff."""
    return day_after(last) if cutoff is None else parse_cutoff(cutoff)


def sql_before(end: datetime, column: str = "timestamp") -> str:
    """SQL condition: ``column`` (a naive UTC ``TIMESTAMP``) lies in the window."""
    return f"{column} < TIMESTAMP '{_utc_naive(end).isoformat(sep=' ')}'"


def in_frame_zone(stamps: pd.Series, end: datetime | pd.Timestamp) -> pd.Timestamp:
    """``end`` (naive UTC) as a stamp comparable with ``stamps``: in their zone when
    they have one, naive UTC when they are naive."""
    stamp = pd.Timestamp(end)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    tz = getattr(stamps.dt, "tz", None)
    return stamp.tz_convert(None) if tz is None else stamp.tz_convert(tz)


def before(stamps: pd.Series, end: datetime | pd.Timestamp) -> pd.Series:
    """Boolean mask: which ``stamps`` (datetimes, naive meaning UTC) lie in the window."""
    return stamps < in_frame_zone(stamps, end)


def is_before(when: datetime | pd.Timestamp, end: datetime | pd.Timestamp) -> bool:
    """Whether one stamp (naive meaning UTC, or aware) lies in the window ending at ``end``."""
    stamp, limit = pd.Timestamp(when), pd.Timestamp(end)
    if (stamp.tzinfo is None) != (limit.tzinfo is None):
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
        limit = limit.tz_localize("UTC") if limit.tzinfo is None else limit
    return bool(stamp < limit)


def epoch_days(when: datetime | pd.Timestamp) -> float:
    """Days since 1970-01-01 UTC (fractional), as the feature SQL's ``t`` column; a naive
    ``when`` is UTC, whatever the machine's time zone."""
    return _utc_naive(pd.Timestamp(when).to_pydatetime()).replace(
        tzinfo=timezone.utc).timestamp() / SECONDS_PER_DAY


def check_window(
    first: datetime,
    last: datetime,
    end: datetime,
    holdout_days: int | None = None,
    *,
    max_gap_days: int = MAX_GAP_DAYS,
) -> list[str]:
    """Check the window ending at ``end`` against the data's first and last records.

    Returns warnings (a cutoff after the data's last day: the gap is counted as
    silence by every customer). Raises :class:`~shopperlens.errors.InputError` when the
    window holds no record, when the gap exceeds ``max_gap_days``, or when a holdout of
    ``holdout_days`` reaches past the data's end.
    """
    data = f"the transactions run from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    data_end = day_after(last)
    end = _utc_naive(end)
    if end <= _utc_naive(first):
        raise InputError(f"--cutoff {_shown(end)} is before the first transaction: {data}.")
    warnings: list[str] = []
    gap = (end - data_end).days
    if gap > max_gap_days:
        raise InputError(
            f"--cutoff {_shown(end)} is {_days(gap)} after the last transaction ({data}); "
            f"the limit is {max_gap_days} days (setting max_cutoff_gap_days)."
        )
    if gap > 0:
        warnings.append(
            f"--cutoff {_shown(end)} is {_days(gap)} after the last transaction ({data}): "
            f"recency and churn count {'that day' if gap == 1 else 'those days'} as days "
            "without orders."
        )
    if holdout_days and end + timedelta(days=holdout_days) > data_end:
        short = -((data_end - end - timedelta(days=holdout_days)) // timedelta(days=1))  # ceil
        room = (data_end - end).days
        fix = f"--holdout {room} or an earlier --cutoff" if room > 0 else "an earlier --cutoff"
        raise InputError(
            f"--holdout {holdout_days} reaches {_days(short)} past the data's end ({data}); "
            f"use {fix}."
        )
    return warnings


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _shown(end: datetime) -> str:
    """The cutoff as the user would have written it (the day before a midnight end)."""
    if end == datetime(end.year, end.month, end.day):
        return f"{end - timedelta(days=1):%Y-%m-%d}"
    return end.isoformat()


def _utc_naive(when: datetime) -> datetime:
    if when.tzinfo is None:
        return when
    return when.astimezone(timezone.utc).replace(tzinfo=None)
