"""Per-customer summary statistics for buy-till-you-die models, and their checks.

The models see a customer only through ``(x, t_x, T)`` (Fader, Hardie & Lee 2005, section 3):

* ``frequency`` ``x``: repeat purchase *days* in the calibration period (purchases on one
  day count once, as in the papers; the first purchase is not a repeat),
* ``recency`` ``t_x``: time of the last purchase minus time of the first one,
* ``T``: end of the calibration period minus time of the first purchase,

all times in ``time_unit_days`` units (weeks by default). Purchases are dated by calendar
day, so a purchase on day ``d`` happens at time ``d`` (midnight) and ``calibration_end``
is an instant: with ``calibration_end="1997-09-30"`` a customer who first bought on
1997-01-01 has ``T = 272 / 7 = 38.857`` weeks, exactly the ``T`` of Fader & Hardie's
CDNOW summary file (and of ``lifetimes.utils.calibration_and_holdout_data``). Purchases on
the day of ``calibration_end`` belong to the calibration period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.errors import InputError, MissingColumnError
from shopperlens.schema import AMOUNT, CUSTOMER_ID, TIMESTAMP, TRANSACTIONS

# Columns of the summary frame. They are model inputs, not contract columns, so they live
# here rather than in ``schema.py`` (the lead may move them there).
FREQUENCY = "frequency"
RECENCY = "recency"
T_AGE = "T"
MONETARY_VALUE = "monetary_value"
FREQUENCY_HOLDOUT = "frequency_holdout"
DURATION_HOLDOUT = "duration_holdout"


def summary_data(
    transactions: pd.DataFrame,
    *,
    calibration_end: str | pd.Timestamp,
    observation_end: str | pd.Timestamp | None = None,
    time_unit_days: float = 7.0,
) -> pd.DataFrame:
    """Summarise transactions into the ``(frequency, recency, T)`` frame the models fit.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Columns ``customer_id``, ``timestamp`` and ``amount`` (other columns ignored).
        Several rows of one customer on one calendar day form one purchase whose spend
        is their summed amount. Missing amounts count as 0.
    calibration_end : str or pandas.Timestamp
        End of the calibration period, an instant (see the module notes); truncated to
        its day. Customers whose first purchase is after it are left out.
    observation_end : str or pandas.Timestamp, optional
        End of the holdout period (purchases on that day included). When given, the
        frame also has ``frequency_holdout`` (purchase days after ``calibration_end``, up
        to ``observation_end``) and ``duration_holdout`` (the holdout length).
    time_unit_days : float, default 7.0
        Length of one time unit in days.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), columns ``frequency``, ``recency``, ``T``,
        ``monetary_value`` (mean spend of the repeat purchases, 0 when there are none)
        and the holdout columns when asked for.

    Examples
    --------
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "timestamp": ["2024-01-01", "2024-01-08", "2024-01-08", "2024-01-05"],
    ...     "amount": [10.0, 5.0, 7.0, 3.0]})
    >>> summary_data(tx, calibration_end="2024-01-15", time_unit_days=1.0)
                 frequency  recency     T  monetary_value
    customer_id
    a                    1      7.0  14.0            12.0
    b                    0      0.0  10.0             0.0
    """
    if not time_unit_days > 0:
        raise InputError(f"time_unit_days must be positive (got {time_unit_days!r}).")
    _require_columns(transactions, (CUSTOMER_ID, TIMESTAMP, AMOUNT))
    cal_day = _day_number(calibration_end, "calibration_end")
    obs_day = None if observation_end is None else _day_number(observation_end, "observation_end")
    if obs_day is not None and obs_day < cal_day:
        raise InputError(
            f"observation_end ({observation_end}) is before calibration_end ({calibration_end})."
        )
    codes, customers = pd.factorize(transactions[CUSTOMER_ID], sort=True)
    day = _day_numbers(transactions[TIMESTAMP])
    amount = pd.to_numeric(transactions[AMOUNT]).fillna(0.0).to_numpy(np.float64)
    last = cal_day if obs_day is None else obs_day
    keep = (day <= last) & (codes >= 0)
    d_cust, d_day, d_amount = _daily_purchases(codes[keep], day[keep], amount[keep])
    frame = _calibration_stats(d_cust, d_day, d_amount, cal_day, len(customers))
    if obs_day is not None:
        holdout = d_day > cal_day
        frame[FREQUENCY_HOLDOUT] = np.bincount(d_cust[holdout], minlength=len(customers))
        frame[DURATION_HOLDOUT] = float(obs_day - cal_day)
    frame.index = pd.Index(customers, name=CUSTOMER_ID)
    first = frame.pop("_first")
    frame = frame[first <= cal_day]
    scaled = [RECENCY, T_AGE] + ([DURATION_HOLDOUT] if obs_day is not None else [])
    frame[scaled] = frame[scaled] / time_unit_days
    return frame


def _require_columns(frame: pd.DataFrame, needed: tuple[str, ...]) -> None:
    found = [str(c) for c in frame.columns]
    missing = [c for c in needed if c not in found]
    if missing:
        raise MissingColumnError(TRANSACTIONS.name, "summary_data()", missing, found)


def _day_number(value: str | pd.Timestamp, name: str) -> int:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name}={value!r} is not a date (expected YYYY-MM-DD).") from exc
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)  # keep the local wall-clock day
    return int(np.datetime64(stamp.floor("D"), "D").astype(np.int64))


def _day_numbers(stamps: pd.Series) -> np.ndarray:
    """Calendar day of each timestamp as days since 1970-01-01 (local wall-clock day)."""
    if pd.api.types.is_datetime64_any_dtype(stamps):
        parsed = stamps
    else:
        try:
            parsed = pd.to_datetime(stamps, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise InputError(f"transactions.timestamp has values that are not ISO dates "
                             f"({exc}); parse them before summarising.") from exc
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    if parsed.isna().any():
        raise InputError(
            f"transactions has {int(parsed.isna().sum())} rows without a timestamp; "
            "drop or fix them before summarising."
        )
    return parsed.to_numpy().astype("datetime64[D]").astype(np.int64)


def _daily_purchases(
    codes: np.ndarray, day: np.ndarray, amount: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per (customer, day), sorted by customer then day, with the day's spend."""
    if len(day) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    low = int(day.min())
    span = int(day.max()) - low + 1
    # One int64 key per (customer, day): np.unique sorts it, so each customer's first
    # purchase day comes first in its block. Vectorised for tens of millions of rows.
    key = codes.astype(np.int64) * span + (day - low)
    unique, inverse = np.unique(key, return_inverse=True)
    spend = np.bincount(inverse.ravel(), weights=amount, minlength=len(unique))
    return unique // span, unique % span + low, spend


def _calibration_stats(
    cust: np.ndarray, day: np.ndarray, spend: np.ndarray, cal_day: int, n: int
) -> pd.DataFrame:
    # Rows are sorted by (customer, day), so block starts hold first purchases and block
    # ends of the calibration rows hold last calibration purchases.
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    starts = _block_starts(cust)
    first[cust[starts]] = day[starts]
    cal = day <= cal_day
    c_cust, c_day, c_spend = cust[cal], day[cal], spend[cal]
    count = np.bincount(c_cust, minlength=n)
    last = first.copy()
    ends = _block_starts(c_cust[::-1])
    last[c_cust[::-1][ends]] = c_day[::-1][ends]
    total = np.bincount(c_cust, weights=c_spend, minlength=n)
    first_spend = np.zeros(n)
    c_starts = _block_starts(c_cust)
    first_spend[c_cust[c_starts]] = c_spend[c_starts]
    frequency = np.maximum(count - 1, 0)
    monetary = np.where(frequency > 0, (total - first_spend) / np.maximum(frequency, 1), 0.0)
    return pd.DataFrame({
        FREQUENCY: frequency.astype(np.int64),
        RECENCY: np.where(count > 0, last - first, 0).astype(np.float64),
        T_AGE: np.where(count > 0, cal_day - first, 0).astype(np.float64),
        MONETARY_VALUE: monetary,
        "_first": first,
    })


def _block_starts(sorted_codes: np.ndarray) -> np.ndarray:
    """Positions where a new value starts in an array of grouped codes."""
    if len(sorted_codes) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])


def check_summary(X: pd.DataFrame, columns: tuple[str, ...], where: str) -> dict[str, np.ndarray]:
    """Validate a summary frame and return its columns as float arrays.

    Raises :class:`~shopperlens.errors.InputError` naming the missing columns or the
    number of rows that break ``frequency >= 0`` and ``0 <= recency <= T``.
    """
    if not isinstance(X, pd.DataFrame):
        raise InputError(
            f"{where} expects a pandas DataFrame with columns {', '.join(columns)} "
            f"(got {type(X).__name__}); build it with summary_data()."
        )
    missing = [c for c in columns if c not in X.columns]
    if missing:
        found = ", ".join(str(c) for c in X.columns[:8])
        raise InputError(
            f"{where}: X is missing required column(s) {', '.join(map(repr, missing))} "
            f"(found: {found}); build X with summary_data()."
        )
    arrays = {c: pd.to_numeric(X[c]).to_numpy(np.float64) for c in columns}
    _check_values(arrays, where)
    return arrays


def _check_values(arrays: dict[str, np.ndarray], where: str) -> None:
    bad = np.zeros(len(next(iter(arrays.values()))), dtype=bool)
    for values in arrays.values():
        bad |= ~np.isfinite(values)
    x, tx, age = arrays.get(FREQUENCY), arrays.get(RECENCY), arrays.get(T_AGE)
    if x is not None:
        bad |= (x < 0) | (x != np.round(x))
    if tx is not None and age is not None:
        bad |= (tx < 0) | (tx > age * (1 + 1e-12))
    if x is not None and tx is not None:
        bad |= (x == 0) & (tx != 0)
    if bad.any():
        raise InputError(
            f"{where}: {int(bad.sum())} of {len(bad)} rows break the summary rules "
            "(finite values, whole frequency >= 0, 0 <= recency <= T, recency 0 when "
            "frequency is 0); build X with summary_data()."
        )
