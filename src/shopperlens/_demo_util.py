"""Vectorised helpers of the demo generator: string columns, the calendar, sampling.

String columns are built with pyarrow compute kernels rather than Python loops, so
tens of millions of ids and JSON snippets cost seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86_400
N_DAYS = 730  # two years of history, ending (exclusive) at as_of

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)

# Seasonality: November/December peak, quiet February; Saturday is the busiest day.
_MONTH = np.array([0.85, 0.75, 0.85, 0.9, 0.9, 0.95, 1.0, 0.95, 0.9, 1.0, 1.45, 1.75])
_WEEKDAY = np.array([0.85, 0.85, 0.9, 0.95, 1.1, 1.35, 1.0])  # Monday first

# Hour-of-day profiles (relative weights, 24 hours) per channel kind.
_HOURS = {
    "store": np.r_[[0] * 9, 2, 4, 6, 9, 9, 7, 6, 6, 7, 6, 4, 2, [0] * 3],
    "online": np.r_[1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 2, 3, 3, 3, 4, 5, 4, 4, 4, 4, 5, 6, 8, 9,
                    8, 5, 2],
    "app": np.r_[1, 0.5, 0.3, 0.2, 0.2, 0.5, 2, 5, 6, 3, 3, 3, 5, 4, 3, 3, 4, 6, 6, 7, 8, 8,
                 6, 3],
}


# Strings ----------------------------------------------------------------------------
def strings(values: Sequence[str]) -> pa.Array:
    """A small lookup array of strings, to ``take`` from."""
    return pa.array(list(values), type=pa.string())


def padded_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` followed by ``numbers`` zero-padded to ``width`` digits."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def hex_ids(rng: np.random.Generator, n: int, n_bytes: int = 16, *,
            uuid: bool = False) -> pa.Array:
    """``n`` random lowercase hex ids; ``uuid=True`` formats 16 bytes as a version-4 UUID."""
    raw = rng.integers(0, 256, size=(n, n_bytes), dtype=np.uint8)
    if uuid:
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    chars = np.empty((n, 2 * n_bytes), dtype=np.uint8)
    chars[:, 0::2] = _HEX[raw >> 4]
    chars[:, 1::2] = _HEX[raw & 0x0F]
    if uuid:
        dash = np.full((n, 1), ord("-"), dtype=np.uint8)
        chars = np.hstack([chars[:, :8], dash, chars[:, 8:12], dash, chars[:, 12:16], dash,
                           chars[:, 16:20], dash, chars[:, 20:]])
    fixed = np.ascontiguousarray(chars).view(f"S{chars.shape[1]}").ravel()
    return pa.array(fixed, type=pa.string())


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays (and literal strings) element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def num_str(values: np.ndarray) -> pa.Array:
    """Numbers as their shortest decimal text (``12.99``, ``3``)."""
    return pc.cast(pa.array(values), pa.string())


def with_nulls(values: pa.Array, keep: np.ndarray) -> pa.Array:
    """``values`` where ``keep`` is true, null elsewhere."""
    return pc.if_else(pa.array(keep), values, pa.scalar(None, values.type))


# Calendar ---------------------------------------------------------------------------
def start_of_history(as_of: str) -> int:
    """Unix seconds of the first instant of the two-year history ending at ``as_of``."""
    end = dt.datetime.fromisoformat(as_of).replace(tzinfo=dt.timezone.utc)
    end = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(end.timestamp()) - N_DAYS * DAY


def day_dates(start: int) -> np.ndarray:
    """The calendar date of each day index, as ``datetime64[D]``."""
    return np.datetime64(start, "s").astype("datetime64[D]") + np.arange(N_DAYS)


def promotions(dates: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Promotion code per day (0 = none) and the campaign names, indexed by that code.

    Each year has a January sale, a spring sale, a summer sale and Black Friday to
    Cyber Monday; Boxing Day starts the winter sale.
    """
    names = ["newsletter"]
    code = np.zeros(len(dates), dtype=np.int16)
    years = range(int(str(dates[0])[:4]), int(str(dates[-1])[:4]) + 1)
    for year in years:
        nov1 = dt.date(year, 11, 1)
        black_friday = nov1 + dt.timedelta(days=(3 - nov1.weekday()) % 7 + 22)
        windows = {
            f"january-sale-{year}": (dt.date(year, 1, 1), 14),
            f"spring-sale-{year}": (dt.date(year, 3, 20), 7),
            f"summer-sale-{year}": (dt.date(year, 6, 24), 14),
            f"black-friday-{year}": (black_friday - dt.timedelta(days=4), 8),
            f"boxing-day-{year}": (dt.date(year, 12, 26), 6),
        }
        for name, (first, length) in windows.items():
            lo = np.datetime64(first, "D")
            hit = (dates >= lo) & (dates < lo + length)
            names.append(name)
            code[hit] = len(names) - 1
    return code, names


def day_weights(dates: np.ndarray, promo: np.ndarray, promo_boost: float) -> np.ndarray:
    """Relative shopping intensity of each day: season x weekday x promotion."""
    month = dates.astype("datetime64[M]").astype(int) % 12
    weekday = (dates.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    christmas = (month == 11) & ((dates - dates.astype("datetime64[M]")).astype(int) == 24)
    weights = _MONTH[month] * _WEEKDAY[weekday] * (1.0 + promo_boost * (promo > 0))
    return np.where(christmas, 0.05 * weights, weights)


def sample_days(rng: np.random.Generator, weights: np.ndarray, lo: np.ndarray,
                hi: np.ndarray) -> np.ndarray:
    """One day per row in ``[lo, hi]`` (inclusive), drawn with the given day weights."""
    cum = np.r_[0.0, np.cumsum(weights)]
    u = rng.uniform(cum[lo], cum[hi + 1])
    return np.clip(np.searchsorted(cum, u, side="right") - 1, lo, hi)


def seconds_in_day(rng: np.random.Generator, kind: np.ndarray,
                   kinds: Sequence[str]) -> np.ndarray:
    """Seconds after midnight, with the hour drawn from each row's channel profile."""
    out = np.empty(len(kind), dtype=np.int64)
    for i, name in enumerate(kinds):
        rows = np.flatnonzero(kind == i)
        cum = np.cumsum(_HOURS[name]) / _HOURS[name].sum()
        hour = np.searchsorted(cum, rng.random(len(rows)), side="right")
        out[rows] = np.minimum(hour, 23) * 3600 + rng.integers(0, 3600, len(rows))
    return out


def choice_rows(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each entry of ``rows``, a column index drawn from ``probs[row]``.

    Row-wise inverse-CDF sampling without materialising ``probs[rows]``: each row's
    cumulative distribution is shifted by its row number so a single ``searchsorted``
    serves all rows.
    """
    n_rows, k = probs.shape
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    flat = (cum + np.arange(n_rows)[:, None]).ravel()
    u = rows + rng.random(len(rows)) * (1 - 1e-9)
    idx = np.searchsorted(flat, u, side="right")
    return np.minimum(idx - rows * k, k - 1)


def group_rank(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal values of a sorted ``groups`` array."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(groups[1:] != groups[:-1]) + 1]
    lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, lengths)


def to_timestamps(seconds: np.ndarray) -> pa.Array:
    """Unix seconds as a naive (UTC) pyarrow timestamp array."""
    return pa.array(seconds.astype("datetime64[s]"))
