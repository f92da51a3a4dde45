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

from shopperlens import schema
from shopperlens.timewindow import SECONDS_PER_DAY

DAY = int(SECONDS_PER_DAY)  # seconds, as integer offsets of the generated stamps
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
# Everything is large_string: a column of tens of millions of JSON snippets overflows the
# 32-bit offsets of plain strings, and the kernels refuse to mix the two.
STR = pa.large_string()
_CHUNK = 4_000_000


def strings(values: Sequence[str]) -> pa.Array:
    """A small lookup array of strings, to ``take`` from."""
    return pa.array(list(values), type=STR)


def padded_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` followed by ``numbers`` zero-padded to ``width`` digits."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), STR), width, "0")
    return join(prefix, digits) if prefix else digits


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a fast, well-spread 64-bit hash of each key."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _hex_chars(keys: np.ndarray, salt: np.uint64, n_bytes: int, uuid: bool) -> np.ndarray:
    """ASCII hex digits (one row per key) of the hash of each key."""
    words = n_bytes // 8
    base = keys.astype(np.uint64)[:, None] * np.uint64(words) + np.arange(words, dtype=np.uint64)
    raw = _mix(base ^ salt).view(np.uint8).reshape(len(keys), n_bytes)
    if uuid:
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    chars = np.empty((len(keys), 2 * n_bytes), dtype=np.uint8)
    chars[:, 0::2] = _HEX[raw >> 4]
    chars[:, 1::2] = _HEX[raw & 0x0F]
    return chars


def hashed_ids(keys: np.ndarray, salt: np.uint64, n_bytes: int = 16, *,
               uuid: bool = False, valid: np.ndarray | None = None) -> pa.Array:
    """Random-looking lowercase hex ids that are a pure function of ``(key, salt)``.

    Deriving ids from integer keys, rather than drawing them once and gathering,
    keeps the big columns cheap to build in any row order; equal keys give equal ids
    (which is how duplicated events keep their ``message_id``). ``uuid=True`` formats
    16 bytes as a version-4 UUID. Rows where ``valid`` is false are null (and cost nothing).
    """
    n = len(keys)
    if valid is not None:
        keys = keys[valid]
    width = 2 * n_bytes + 4 * uuid
    out = np.empty((len(keys), width), dtype=np.uint8)
    cuts = (0, 8, 12, 16, 20, 32) if uuid else (0, width)
    for lo in range(0, len(keys), _CHUNK):
        chars = _hex_chars(keys[lo:lo + _CHUNK], salt, n_bytes, uuid)
        block = out[lo:lo + _CHUNK]
        for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
            block[:, a + i:b + i] = chars[:, a:b]
            if uuid and i < 4:
                block[:, b + i] = ord("-")
    if valid is None:
        offsets = np.arange(0, width * (n + 1), width, dtype=np.int64)
        return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out))
    offsets = np.r_[0, np.cumsum(valid * width)].astype(np.int64)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out),
                                            bitmap, n - len(keys))


def salt(rng: np.random.Generator) -> np.uint64:
    """A random 64-bit salt for :func:`hashed_ids`."""
    return np.uint64(rng.integers(0, 2**63))


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays (and literal strings) element-wise."""
    args = [pa.scalar(p, STR) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", STR))


def num_str(values: np.ndarray) -> pa.Array:
    """Numbers as their shortest decimal text (``12.99``, ``3``)."""
    return pc.cast(pa.array(values), STR)


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


def calendar_days(start: int) -> pa.Table:
    """The ``calendar`` table: the promotions' days and Christmas Day (when shops are
    shut), over the history and the year after it (a retailer plans its sales ahead)."""
    dates = np.datetime64(start, "s").astype("datetime64[D]") + np.arange(N_DAYS + 366)
    code, names = promotions(dates)
    christmas = (dates.astype("datetime64[M]").astype(int) % 12 == 11) & (
        (dates - dates.astype("datetime64[M]")).astype(int) == 24)
    promo, shut = np.flatnonzero(code > 0), np.flatnonzero(christmas)
    days = np.r_[promo, shut]
    order = np.argsort(days, kind="stable")
    return pa.table({
        schema.DATE: pa.array(dates[days[order]].astype("datetime64[us]")),
        schema.EVENT_NAME: pa.array([*(names[c] for c in code[promo]),
                                     *(["christmas"] * len(shut))]).take(order),
        schema.EVENT_KIND: pa.array([schema.PROMOTION] * len(promo)
                                    + [schema.HOLIDAY] * len(shut)).take(order),
    })


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


def labels(codes: np.ndarray, dictionary: pa.Array, valid: np.ndarray | None = None
           ) -> pa.DictionaryArray:
    """A dictionary-encoded column (a pandas Categorical): ``dictionary[codes]``.

    Repeated ids and labels cost 4 bytes a row instead of a string each, which is what
    lets a million customers' events fit in memory. Only the entries used are kept, and
    rows where ``valid`` is false are null.
    """
    used = np.zeros(len(dictionary), dtype=bool)
    used[codes if valid is None else codes[valid]] = True
    remap = (np.cumsum(used) - 1).astype(np.int32)
    index = remap[np.where(valid, codes, 0) if valid is not None else codes]
    mask = None if valid is None else ~valid
    return pa.DictionaryArray.from_arrays(pa.array(index, mask=mask),
                                          dictionary.filter(pa.array(used)))


def customer_ids(index: np.ndarray) -> pa.Array:
    """Customer ids ``C0000001``, ... of 0-based customer numbers."""
    return padded_ids("C", index + 1, 7)


def to_timestamps(seconds: np.ndarray) -> pa.Array:
    """Unix seconds as a naive (UTC) pyarrow timestamp array."""
    return pa.array(seconds.astype("datetime64[s]").astype("datetime64[us]"))
