"""Effects of a campaign against its control group, per campaign x segment x variant.

Input: one row per customer sent (or held out) in a campaign, with what they did in the
campaign's window (:data:`CONVERTED`, :data:`REVENUE`). Each non-control variant is set
against the control of the same campaign and segment: conversion and revenue per
customer, the incremental revenue per customer with a Welch 95% interval, the return on
the variant's cost, the minimum detectable effect at 80% power, a warning when a test
is too small to see the lift it was meant to (``target_lift``), and whether to target
the segment with the offer: when even the low end of the interval covers the cost.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from shopperlens import schema as s
from shopperlens._params import Interval, check_params
from shopperlens.campaigns.holdout import CONTROL

__all__ = ["CONVERTED", "MEASURES", "REVENUE", "VISITED", "measure", "welch_interval"]

# per customer, in the campaign's window: ordered, spent, visited (or ordered)
CONVERTED, REVENUE, VISITED = "converted", "revenue", "visited"
MEASURES = (
    s.CAMPAIGN_ID, s.SEGMENT_ID, s.VARIANT, "customers", "conversion_rate",
    "revenue_per_customer", "incremental_revenue_per_customer",
    "incremental_revenue_per_customer_low", "incremental_revenue_per_customer_high", "roi",
    "incremental_conversion", "incremental_conversion_low", "incremental_conversion_high",
    "mde_revenue_per_customer", "underpowered", "cost_per_customer", "target",
)
_POWER = 0.8
MIN_ARM = 30  # below this many customers in an arm, no interval is trusted


def welch_interval(treated: np.ndarray, control: np.ndarray,
                   level: float = 0.95) -> tuple[float, float, float, float]:
    """Difference of means (treated - control), its Welch interval and standard error."""
    nt, nc = len(treated), len(control)
    if nt < 2 or nc < 2:
        return float("nan"), float("nan"), float("nan"), float("nan")
    diff = float(treated.mean() - control.mean())
    vt, vc = treated.var(ddof=1) / nt, control.var(ddof=1) / nc
    se = float(np.sqrt(vt + vc))
    if se == 0.0:
        return diff, diff, diff, 0.0
    dof = (vt + vc) ** 2 / (vt**2 / (nt - 1) + vc**2 / (nc - 1))
    half = float(stats.t.ppf(0.5 + level / 2, dof)) * se
    return diff, diff - half, diff + half, se


def minimum_detectable_effect(se: float, alpha: float = 0.05, power: float = _POWER) -> float:
    """The smallest true difference a two-sided test at ``alpha`` finds with ``power``."""
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se)


def measure(outcomes: pd.DataFrame, target_lift: float = 0.1,
            by: Sequence[str] = (s.CAMPAIGN_ID, s.SEGMENT_ID)) -> pd.DataFrame:
    """One row per campaign x segment x variant (:data:`MEASURES`); control rows carry
    their own rates and no incremental figures.

    ``outcomes``: columns ``by``, :data:`~shopperlens.schema.VARIANT`, ``cost``,
    :data:`CONVERTED` and :data:`REVENUE`, one row per customer and campaign.
    ``target_lift``: the relative lift in revenue per customer a test should be able to
    see; a test whose minimum detectable effect is larger is flagged ``underpowered``.
    """
    check_params("measure", {"target_lift": Interval(float, 0.0, low_open=True)},
                 {"target_lift": target_lift})
    rows = [row for _, cell in outcomes.groupby(list(by), sort=True, dropna=False)
            for row in _cell_rows(cell, by, target_lift)]
    return pd.DataFrame(rows, columns=list(MEASURES))


def _cell_rows(cell: pd.DataFrame, by: Sequence[str], target_lift: float) -> list[dict]:
    """The rows of one campaign x segment: control first, then each offer against it."""
    keys = {k: cell[k].iloc[0] for k in by}
    control = cell[cell[s.VARIANT] == CONTROL]
    rev_c, conv_c = _values(control, REVENUE), _values(control, CONVERTED)
    out = [{**keys, **_rates(control, CONTROL), "underpowered": len(control) < MIN_ARM,
            "cost_per_customer": _cost(control) / max(len(control), 1), "target": False}]
    for variant, arm in cell[cell[s.VARIANT] != CONTROL].groupby(s.VARIANT, sort=True):
        rev_t = _values(arm, REVENUE)
        diff, low, high, se = welch_interval(rev_t, rev_c)
        cdiff, clow, chigh, _ = welch_interval(_values(arm, CONVERTED), conv_c)
        cost = _cost(arm)
        mde = minimum_detectable_effect(se) if np.isfinite(se) else float("nan")
        small = min(len(arm), len(control)) < MIN_ARM or not (
            mde <= target_lift * abs(rev_c.mean()) if len(rev_c) else False)
        out.append({
            **keys, **_rates(arm, str(variant)),
            "incremental_revenue_per_customer": diff,
            "incremental_revenue_per_customer_low": low,
            "incremental_revenue_per_customer_high": high,
            "roi": (diff * len(arm) - cost) / cost if cost > 0 else float("nan"),
            "incremental_conversion": cdiff, "incremental_conversion_low": clow,
            "incremental_conversion_high": chigh, "mde_revenue_per_customer": mde,
            "underpowered": bool(small), "cost_per_customer": cost / len(arm),
            # it pays, with 95% confidence: even the interval's low end covers the cost
            "target": bool(low > cost / len(arm)) if np.isfinite(low) else False,
        })
    return out


def _cost(arm: pd.DataFrame) -> float:
    return float(arm[s.COST].sum()) if s.COST in arm else 0.0


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=float)


def _rates(arm: pd.DataFrame, variant: str) -> dict:
    n = len(arm)
    return {s.VARIANT: variant, "customers": n,
            "conversion_rate": float(arm[CONVERTED].mean()) if n else float("nan"),
            "revenue_per_customer": float(arm[REVENUE].mean()) if n else float("nan")}
