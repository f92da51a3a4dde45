"""A synthetic clickstream with planted incidents, written apart from the demo generator,
to check the journeys against a known truth (tests and ``bench/journeys.py``).

Each customer belongs to a segment and uses one channel and device; each session goes
down the funnel, passing step ``k`` with a probability set by the step, the segment and
the device; some buyers skip ``Payment Info Entered`` (a saved card), some go back to
view another product (a loop). While a :class:`Planted` incident runs, the sessions of
its channel and device pass its step less often.

>>> events, segments = clickstream(customers=200, days=30, seed=1)
>>> sorted(events.column_names)
['channel', 'customer_id', 'device', 'event', 'message_id', 'session_id', 'timestamp']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopperlens import schema as s
from shopperlens.journeys.funnel import DEFAULT_STEPS, DEVICE

START = pd.Timestamp("2025-01-01")
DEVICES = (("web", "desktop"), ("web", "mobile"), ("app", "ios"), ("app", "android"))
DEVICE_SHARE = (0.35, 0.35, 0.15, 0.15)
PASS = (0.45, 0.55, 0.80, 0.88)  # chance to pass each step but the last
DEVICE_PASS = (1.0, 0.93, 1.0, 0.97)  # the step-wise pass factor of each device


@dataclass(frozen=True)
class Planted:
    """An incident: from ``start`` (a day number) for ``days`` days, sessions of
    ``channel`` and ``device`` pass ``step`` (its index) ``1 - severity`` times as
    often."""

    step: int
    channel: str
    device: str
    start: int
    days: int
    severity: float = 0.5


def clickstream(customers: int = 1000, days: int = 150, *, sessions_per_day: float = 0.1,
                segments: int = 4, planted: Sequence[Planted] = (), seed: int = 0
                ) -> tuple[pa.Table, pd.DataFrame]:
    """Events (the contract's columns and ``device``) and each customer's segment."""
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, segments, customers)
    kind = rng.choice(len(DEVICES), customers, p=DEVICE_SHARE)
    customer = np.repeat(np.arange(customers), rng.poisson(sessions_per_day * days, customers))
    n = len(customer)
    day = rng.integers(0, days, n)
    depth = _depths(rng, segment[customer], kind[customer], day, planted)
    counts = _event_counts(rng, depth)
    session = np.repeat(np.arange(n), counts.sum(axis=1))
    key = 2 * _steps_of(counts)
    # a loop: back from the cart to view another product (between steps 1 and 2)
    looped = np.flatnonzero((depth >= 1) & (rng.random(n) < 0.15))
    session, key = np.r_[session, looped], np.r_[key, np.full(len(looped), 3)]
    order = np.argsort(session * 16 + key, kind="stable")
    session, step = session[order], np.where(key[order] == 3, 0, key[order] // 2)
    gaps = rng.exponential(60.0, len(session)).cumsum()
    first = np.r_[0, np.flatnonzero(np.diff(session)) + 1]
    offset = gaps - np.repeat(gaps[first], np.diff(np.r_[first, len(session)]))
    start = day * 86400 + rng.integers(8 * 3600, 22 * 3600, n)
    seconds = start[session] + offset
    channel, device = (pa.array([d[i] for d in DEVICES]) for i in (0, 1))
    ids = _labels("c", customers)
    events = pa.table({
        s.MESSAGE_ID: _labels("m", len(session)),
        s.CUSTOMER_ID: ids.take(customer[session]),
        s.SESSION_ID: _labels("s", n).take(session),
        s.TIMESTAMP: pa.array((START.value // 1000 + seconds * 1e6).astype("int64"),
                              pa.timestamp("us")),
        s.EVENT: pa.array(DEFAULT_STEPS).take(step),
        s.CHANNEL: channel.take(kind[customer[session]]),
        DEVICE: device.take(kind[customer[session]]),
    })
    return events, pd.DataFrame({s.CUSTOMER_ID: ids.to_pandas(), s.SEGMENT_ID: segment})


def _labels(prefix: str, n: int) -> pa.Array:
    """``prefix`` and a zero-padded number, for 0 to ``n - 1``."""
    numbers = pc.utf8_lpad(pa.array(np.arange(n)).cast(pa.string()), 9, "0")
    return pc.binary_join_element_wise(prefix, numbers, "")


def _depths(rng: np.random.Generator, segment: np.ndarray, kind: np.ndarray, day: np.ndarray,
            planted: Sequence[Planted]) -> np.ndarray:
    """The furthest step of each session (0: it only viewed products)."""
    k = len(PASS)
    chance = np.tile(np.array(PASS), (len(kind), 1))
    chance[:, 0] *= (0.7 + 0.2 * segment)  # segments differ most in browsing
    chance[:, 1:] *= np.array(DEVICE_PASS)[kind, None]
    for p in planted:
        hit = (np.array([d == (p.channel, p.device) for d in DEVICES])[kind]
               & (day >= p.start) & (day < p.start + p.days))
        chance[hit, p.step] *= 1 - p.severity
    passed = rng.random((len(kind), k)) < np.clip(chance, 0, 1)
    return np.cumprod(passed, axis=1).sum(axis=1)


def _event_counts(rng: np.random.Generator, depth: np.ndarray) -> np.ndarray:
    """Events of each step per session: several product views, one of each later step
    reached, but a saved card skips the payment step of a third of the orders."""
    k = len(DEFAULT_STEPS)
    counts = (np.arange(k)[None, :] <= depth[:, None]).astype(np.int64)
    counts[:, 0] += rng.poisson(0.8, len(depth))
    skip = (depth == k - 1) & (rng.random(len(depth)) < 1 / 3)
    counts[skip, 3] = 0
    return counts


def _steps_of(counts: np.ndarray) -> np.ndarray:
    """The step of each event, session by session (``counts`` per session and step)."""
    flat = counts.ravel()
    return np.repeat(np.tile(np.arange(counts.shape[1]), counts.shape[0]), flat)
