"""Funnels: the steps of a session, and the conversion from each step to the next.

A session *reaches* a step when it holds an event of that step or of any later one
(its depth is the furthest step it holds): a buyer whose saved card skips
``Payment Info Entered`` still passed it. So the sessions at each step never grow
along the funnel, and a step's drop-off is the share of the sessions there that
reached no later step.

>>> import pandas as pd
>>> counts = pd.DataFrame({"segment_id": [1], "channel": ["web"], "device": ["mobile"],
...                        "reached_0": [100], "reached_1": [40], "reached_2": [10],
...                        "seconds_0": [30.0], "seconds_1": [95.0]})
>>> table = funnel_table(counts, ("Product Viewed", "Product Added", "Order Completed"))
>>> table[["step", "sessions", "reached_next", "conversion"]].to_dict("records")[0]
{'step': 'Product Viewed', 'sessions': 100, 'reached_next': 40, 'conversion': 0.4}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.errors import ConfigError

DEVICE = s.DEVICE
STEP = s.STEP  # an output row's funnel step (and the events' named step)
SESSIONS = "sessions"
REACHED_NEXT = "reached_next"
CONVERSION = "conversion"
DROP_OFF = "drop_off"
SECONDS_TO_NEXT = "median_seconds_to_next"
CELL = (s.SEGMENT_ID, s.CHANNEL, DEVICE)  # a funnel is drawn per segment, channel, device
UNKNOWN = "unknown"  # a session's channel or device when its events carry none
DEFAULT_STEPS = (s.PRODUCT_VIEWED, s.PRODUCT_ADDED, s.CHECKOUT_STARTED,
                 s.PAYMENT_INFO_ENTERED, s.ORDER_COMPLETED)
Z_95 = 1.959963984540054


def check_steps(steps: Sequence[str]) -> tuple[str, ...]:
    """``steps`` as a tuple, refused unless they are two or more distinct names."""
    steps = tuple(str(step) for step in steps)
    if len(steps) < 2 or len(set(steps)) < len(steps):
        raise ConfigError(
            f"journey steps {list(steps)}: name two or more different events, in the "
            "order customers take them (e.g. Product Viewed, Order Completed).")
    return steps


def wilson_interval(successes: np.ndarray | pd.Series, trials: np.ndarray | pd.Series,
                    z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of ``successes / trials`` (NaN where there are no
    trials): unlike the normal one it stays in [0, 1] and is honest at 0 or 1."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # exactly 0 and 1 at the ends, where rounding would leave the rate outside
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0, 1))
    return low, np.where(k == n, 1.0, np.clip(centre + half, 0, 1))


def funnel_table(counts: pd.DataFrame, steps: Sequence[str]) -> pd.DataFrame:
    """One row per cell (:data:`CELL`) and step but the last, from ``counts``: per cell,
    ``reached_k`` (sessions whose depth is at least step ``k``) and ``seconds_k`` (the
    median seconds from the first event of step ``k`` to the first of ``k + 1``).

    Each row: the sessions at the step, how many reached a later step, the conversion
    with its 95% Wilson interval (``conversion_low``, ``conversion_high``) and the
    median seconds to the next step. Cells without sessions at a step are left out.
    """
    parts = []
    for k, step in enumerate(steps[:-1]):
        part = counts[list(CELL)].copy()
        part[STEP] = step
        part[SESSIONS] = counts[f"reached_{k}"].astype("int64")
        part[REACHED_NEXT] = counts[f"reached_{k + 1}"].astype("int64")
        part[SECONDS_TO_NEXT] = counts[f"seconds_{k}"].astype(float)
        part["_order"] = k
        parts.append(part[part[SESSIONS] > 0])
    table = pd.concat(parts, ignore_index=True)
    table[CONVERSION] = table[REACHED_NEXT] / table[SESSIONS]
    table["conversion_low"], table["conversion_high"] = wilson_interval(
        table[REACHED_NEXT], table[SESSIONS])
    order = [s.SEGMENT_ID, s.CHANNEL, DEVICE, "_order"]
    table = table.sort_values(order, na_position="first", kind="stable")
    columns = [*CELL, STEP, SESSIONS, REACHED_NEXT, CONVERSION, "conversion_low",
               "conversion_high", SECONDS_TO_NEXT]
    return table[columns].reset_index(drop=True)


def step_order(table: pd.DataFrame, steps: Sequence[str]) -> pd.Series:
    """The index in ``steps`` of each row's step."""
    return table[STEP].map({step: k for k, step in enumerate(steps)}).astype("int64")


def completion_after(table: pd.DataFrame, steps: Sequence[str],
                     by: Sequence[str] = (s.SEGMENT_ID,)) -> pd.Series:
    """Per group of ``by`` and step: the share of sessions that reached the next step
    and went on to the last (1 for the step before the last): what one more session
    passing the step is worth in orders."""
    order = step_order(table, steps)
    pooled = table.assign(_k=order).groupby([*by, "_k"], dropna=False)[
        [SESSIONS, REACHED_NEXT]].sum()
    last = len(steps) - 2
    at_last = pooled.index.get_level_values("_k") == last
    completed = pooled[REACHED_NEXT][at_last].droplevel("_k")
    next_sessions = pooled[REACHED_NEXT]
    ratio = completed.reindex(next_sessions.index.droplevel("_k")).to_numpy() / \
        next_sessions.replace(0, np.nan).to_numpy()
    return pd.Series(np.nan_to_num(ratio, nan=0.0), index=pooled.index, name="completion")
