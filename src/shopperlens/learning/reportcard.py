"""The previous run's predictions scored against what happened since its cutoff.

Realised orders come from the two runs' features: a customer's ``frequency`` today less
their ``frequency`` then is the number of orders placed between the two cutoffs. The
previous run expected ``expected_orders_<H>d`` in its next ``H`` days; when the runs are
``days`` apart, the expectation is scaled by ``days / H`` (near enough for the short
gaps between scheduled runs; the report card says the gap it used). The churn risk is
scored by its AUC against "no order since", the event it predicts when ``days`` equals
its window.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.metrics import roc_auc_score

from shopperlens.features.catalog import FREQUENCY

__all__ = ["report_card"]


def _expected_column(predictions: pd.DataFrame) -> tuple[str, int] | None:
    for name in predictions.columns:
        if name.startswith("expected_orders_") and name.endswith("d"):
            return name, int(name.removeprefix("expected_orders_").removesuffix("d"))
    return None


def report_card(previous_features: pd.DataFrame, current_features: pd.DataFrame,
                predictions: pd.DataFrame, days: float) -> dict[str, Any]:
    """Expected vs realised orders and the churn AUC, for the customers of both runs
    (frames indexed by customer id)."""
    common = predictions.index.intersection(previous_features.index).intersection(
        current_features.index)
    realised = (current_features.loc[common, FREQUENCY].fillna(0)
                - previous_features.loc[common, FREQUENCY].fillna(0)).clip(lower=0)
    card: dict[str, Any] = {"customers": len(common), "days": round(float(days), 1)}
    found = _expected_column(predictions)
    if found is not None and len(common) and days > 0:
        column, horizon = found
        expected = predictions.loc[common, column].astype(float) * days / horizon
        known = expected.notna()
        card.update({
            "expected_orders": round(float(expected[known].sum()), 1),
            "realised_orders": int(realised[known].sum()),
            "ratio": _ratio(realised[known].sum(), expected[known].sum()),
            "mae_per_customer": round(float((expected[known] - realised[known]).abs().mean()), 4),
            "horizon_days": horizon,
        })
    if "churn_risk" in predictions and len(common):
        risk = predictions.loc[common, "churn_risk"].astype(float)
        known = risk.notna()
        lapsed = (realised[known] == 0).to_numpy()
        if 0 < lapsed.sum() < len(lapsed):
            card["churn_auc"] = round(float(roc_auc_score(lapsed, risk[known])), 4)
            card["lapsed_share"] = round(float(lapsed.mean()), 4)
    return card


def _ratio(realised: float, expected: float) -> float | None:
    return round(float(realised / expected), 4) if expected > 0 else None


