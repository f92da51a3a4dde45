"""Friction points: where a segment's sessions drop off more than the segment's own
baseline, ranked by the orders and revenue that costs.

The baseline of a cell (a segment's channel and device) at a step is the drop-off of
the same segment's other cells at that step, so a segment that always browses more
than it buys is not friction, while its app failing where its web shop does not is.
A cell with no other cell to compare with has none. Only excesses that are clear of
chance (the cell's 95% Wilson interval lies above the baseline) count.

The lost orders are the excess drop-offs (sessions x (drop-off - baseline)) times the
share of the segment's sessions past the step that went on to order; the lost revenue
is that times the segment's average order value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.journeys.funnel import (
    CELL,
    CONVERSION,
    DEVICE,
    DROP_OFF,
    REACHED_NEXT,
    SESSIONS,
    STEP,
    completion_after,
    step_order,
    wilson_interval,
)

BASELINE = "baseline_drop_off"
LOST_ORDERS = "lost_orders"
LOST_REVENUE = "lost_revenue"
FRICTION_COLUMNS = ("rank", STEP, s.SEGMENT_ID, s.CHANNEL, DEVICE, SESSIONS, DROP_OFF,
                    BASELINE, LOST_ORDERS, LOST_REVENUE)


def segment_baselines(table: pd.DataFrame) -> pd.Series:
    """Each row's baseline: the pooled drop-off of the same segment's other cells at
    the same step (NaN when it has none)."""
    keys = [s.SEGMENT_ID, STEP]
    totals = table.groupby(keys, dropna=False)[[SESSIONS, REACHED_NEXT]].transform("sum")
    others = totals[SESSIONS] - table[SESSIONS]
    passed = totals[REACHED_NEXT] - table[REACHED_NEXT]
    return (1 - passed / others.where(others > 0)).rename(BASELINE)


def rank_friction(table: pd.DataFrame, steps: Sequence[str],
                  order_value: Mapping[object, float] | None = None,
                  default_order_value: float = 0.0) -> pd.DataFrame:
    """The friction points of funnel ``table`` (:func:`~shopperlens.journeys.funnel.
    funnel_table`), most lost orders first (then most lost revenue).

    ``order_value`` maps a segment id to its average order value; segments missing
    from it (and visitors of no segment) are valued at ``default_order_value``.
    """
    frame = table.copy()
    frame[DROP_OFF] = 1 - frame[CONVERSION]
    frame[BASELINE] = segment_baselines(frame).to_numpy()
    dropped = frame[SESSIONS] - frame[REACHED_NEXT]
    low, _ = wilson_interval(dropped, frame[SESSIONS])
    clear = (low > frame[BASELINE]).to_numpy()
    completion = completion_after(frame, steps)
    keys = pd.MultiIndex.from_arrays([frame[s.SEGMENT_ID], step_order(frame, steps)])
    after = completion.reindex(keys).fillna(0).to_numpy()
    excess = frame[SESSIONS] * (frame[DROP_OFF] - frame[BASELINE]).clip(lower=0)
    frame[LOST_ORDERS] = np.where(clear, excess * after, 0.0)
    values = frame[s.SEGMENT_ID].map(dict(order_value or {})).astype(float)
    frame[LOST_REVENUE] = frame[LOST_ORDERS] * values.fillna(default_order_value)
    found = frame[frame[LOST_ORDERS] > 0].sort_values(
        [LOST_ORDERS, LOST_REVENUE, STEP, *CELL], ascending=[False, False, True, True, True,
                                                             True], kind="stable")
    found.insert(0, "rank", np.arange(1, len(found) + 1))
    return found[list(FRICTION_COLUMNS)].reset_index(drop=True)
