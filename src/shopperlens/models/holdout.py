"""Predictions against what happened after the cutoff: the run record's ``holdout``.

Orders are counted as the buy-till-you-die papers count them (purchase days). Beside the
run's own predictions, the same run's baselines are scored: BG/NBD (Fader, Hardie & Lee
2005), the days since the last order, and the transaction model's own probability of
no order. Pure functions over frames (no I/O).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from shopperlens.models.btyd import BetaGeoModel
from shopperlens.models.churn import churn_metrics

WEEK = 7.0  # the summaries' time unit, in days


def holdout_part(model: Any, baseline: BetaGeoModel | None, summary: pd.DataFrame,
                  frame: pd.DataFrame, days: int) -> pd.DataFrame:
    """What a block's holdout evaluation needs: orders predicted and made, the risks and
    the same-run baselines (BG/NBD; days since the last order)."""
    part = pd.DataFrame({
        "predicted": model.expected_purchases(days / WEEK, summary),
        "actual": summary["frequency_holdout"].to_numpy(dtype=float),
        "p_alive": frame["p_alive"].reindex(summary.index).to_numpy(),
        "model_no_order": model.probability_no_purchase(days / WEEK, summary),
        "days_since_last": ((summary["T"] - summary["recency"]) * WEEK).to_numpy(),
    })
    if baseline is not None:
        part["bgnbd_predicted"] = baseline.expected_purchases(days / WEEK, summary)
        part["bgnbd_p_alive"] = baseline.probability_alive(summary)
    if "churn_risk" in frame:
        part["churn_risk"] = frame["churn_risk"].reindex(summary.index).to_numpy()
    return part


def holdout_record(parts: pd.DataFrame, days: int) -> dict[str, Any]:
    """The record of the concatenated :func:`holdout_part` frames: errors of the
    expected orders, their calibration by decile, and the probabilities' reliability."""
    predicted, actual = parts["predicted"].to_numpy(), parts["actual"].to_numpy()
    error = predicted - actual
    deciles = pd.qcut(pd.Series(predicted).rank(method="first"), 10, labels=False)
    calibration = (
        pd.DataFrame({"decile": deciles, "predicted": predicted, "actual": actual})
        .groupby("decile")
        .mean()
        .reset_index()
        .to_dict("records")
    )
    result: dict[str, Any] = {
        "days": days,
        "customers": int(len(actual)),
        "orders_counted_as": "purchase days",
        "mae_orders": float(np.abs(error).mean()),
        "rmse_orders": float(np.sqrt((error**2).mean())),
        "total_predicted_orders": float(predicted.sum()),
        "total_actual_orders": float(actual.sum()),
        "calibration_by_decile": calibration,
    }
    result.update(_holdout_probabilities(parts))
    return result


def _holdout_probabilities(parts: pd.DataFrame) -> dict[str, Any]:
    """Discrimination and reliability of the probabilities on the holdout, and the
    same-run baselines. The event is "no order in the holdout"; ``p_alive`` is scored
    against its complement, of which it is an upper bound (a customer alive may still
    not order within the holdout), so its reliability bins show observed <= predicted."""
    churned = (parts["actual"].to_numpy() == 0).astype(int)
    out: dict[str, Any] = {"no_order_rate": float(churned.mean())}
    if len(set(churned)) < 2:
        return out
    out["p_alive"] = _reliability(1 - churned, parts["p_alive"].to_numpy())
    out["p_alive_auc"] = out["p_alive"]["auc"]
    baselines: dict[str, float] = {
        "days_since_last_order_auc": float(roc_auc_score(churned, parts["days_since_last"])),
        "pareto_nbd_no_order_auc": float(roc_auc_score(churned, parts["model_no_order"])),
    }
    if "bgnbd_predicted" in parts:
        baselines["bgnbd_mae_orders"] = float(
            np.abs(parts["bgnbd_predicted"] - parts["actual"]).mean())
        baselines["bgnbd_p_alive_auc"] = float(roc_auc_score(churned, 1 - parts["bgnbd_p_alive"]))
    out["baselines"] = baselines
    if "churn_risk" in parts:
        risk = parts["churn_risk"].to_numpy()
        known = ~np.isnan(risk)
        if len(set(churned[known])) == 2:
            out["churn_risk"] = _reliability(churned[known], risk[known])
            out["churn_auc"] = out["churn_risk"]["auc"]
    return out


def _reliability(event: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """AUC, Brier score and ten equal-count reliability bins of ``p`` against ``event``."""
    metrics = churn_metrics(event, p)
    return {"auc": metrics["auc"], "brier": metrics["brier"], "base_rate": metrics["base_rate"],
            "n": metrics["n"], "bins": metrics["calibration"]}
