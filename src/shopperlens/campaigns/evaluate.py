"""Uplift of one campaign: who is persuadable, judged on a holdout, and whom to target.

For each offer of the campaign and each outcome (a visit, an order), an X-learner
(:class:`~shopperlens.campaigns.uplift.UpliftModel`) is judged against a same-run
S-learner by the Qini coefficient on seeded holdouts (30% of the campaign's customers
of that offer and the control, three times over, the mean reported), then fitted on
them all to score every customer with features, sent or not: the next send targets
them. Targeting is by expected incremental
profit: the order uplift x the revenue of an order among the treated - the cost of a
send.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.campaigns.holdout import CONTROL
from shopperlens.campaigns.measure import CONVERTED, MIN_ARM, REVENUE, VISITED
from shopperlens.campaigns.uplift import (
    UpliftModel,
    expected_profit,
    qini_coefficient,
    qini_curve,
)

__all__ = ["OUTCOMES", "PROFIT", "UPLIFT", "campaign_uplift"]

OUTCOMES = {"visit": VISITED, "order": CONVERTED}
UPLIFT, PROFIT, OUTCOME = "uplift", "expected_incremental_profit", "outcome"
HOLDOUT_SHARE = 0.3
SPLITS = 3  # seeded holdouts the learners are judged on: one split's Qini is noisy
CURVE_POINTS = 21


def campaign_uplift(frame: pd.DataFrame, X: pd.DataFrame, seed: int = 0, learner: str = "x",
                    **params: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-customer uplift of every customer of ``X`` (features indexed by customer id,
    see :func:`model_frame`) for each
    offer and outcome of the campaign in ``frame`` (one row per customer sent, with the
    outcome columns), and the figures: Qini of ``learner`` and of the S-learner on the
    holdout, the Qini curve, and the targeting by expected profit. ``params`` go to
    every :class:`~shopperlens.campaigns.uplift.UpliftModel`."""
    X = model_frame(X)
    sent = frame.drop_duplicates(s.CUSTOMER_ID).set_index(s.CUSTOMER_ID)
    sent = sent[sent.index.isin(X.index)]
    control = (sent[s.VARIANT] == CONTROL).to_numpy()
    rows: list[pd.DataFrame] = []
    figures: dict[str, dict[str, Any]] = {}
    for variant in sorted(set(sent[s.VARIANT]) - {CONTROL}):
        arm = control | (sent[s.VARIANT] == variant).to_numpy()
        if min((arm & ~control).sum(), control.sum()) < MIN_ARM:
            figures[variant] = {"skipped": f"fewer than {MIN_ARM} customers in an arm"}
            continue
        figures[variant] = {}
        for outcome, column in OUTCOMES.items():
            scores, fig = _fit_one(sent[arm], X, column, seed, learner, params)
            rows.append(pd.DataFrame({s.CUSTOMER_ID: X.index, s.VARIANT: variant,
                                      OUTCOME: outcome, UPLIFT: scores}))
            figures[variant][outcome] = fig
        rows[-1] = _with_profit(rows[-1], sent[arm & ~control], figures[variant]["order"])
    if not rows:
        return (pd.DataFrame(columns=[s.CUSTOMER_ID, s.VARIANT, OUTCOME, UPLIFT, PROFIT]),
                {"uplift": figures})
    return pd.concat(rows, ignore_index=True), {"uplift": figures}


def model_frame(features: pd.DataFrame) -> pd.DataFrame:
    """The features as the learners take them: numbers as floats, text as categories
    (LightGBM splits on them natively: a customer's top category or region can be what
    decides whether an offer persuades)."""
    numbers = features.select_dtypes(include=["number", "bool"]).astype(float)
    texts = features.drop(columns=numbers.columns).astype("category")
    return pd.concat([numbers, texts], axis=1)


def _fit_one(sent: pd.DataFrame, X: pd.DataFrame, column: str, seed: int, learner: str,
             params: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    """Judged on :data:`SPLITS` seeded holdouts against the S-learner, then fitted on
    all the campaign's customers to score everyone."""
    y = sent[column].to_numpy(dtype=int)
    t = (sent[s.VARIANT] != CONTROL).to_numpy()
    Xs = X.loc[sent.index]
    ours, baseline, curve = [], [], None
    for k in range(SPLITS):
        test = np.random.default_rng([seed, k]).random(len(y)) < HOLDOUT_SHARE
        fitted = {name: UpliftModel(learner=name, random_state=seed, **params).fit(
            Xs[~test], y[~test], t[~test]).predict(Xs[test]) for name in (learner, "s")}
        ours.append(qini_coefficient(y[test], t[test], fitted[learner]))
        baseline.append(qini_coefficient(y[test], t[test], fitted["s"]))
        if curve is None:
            share, q = qini_curve(y[test], t[test], fitted[learner])
            keep = np.unique(np.linspace(0, len(q) - 1, CURVE_POINTS).round().astype(int))
            curve = {"share": share[keep].round(4).tolist(),
                     "incremental": q[keep].round(3).tolist()}
    model = UpliftModel(learner=learner, random_state=seed, **params).fit(Xs, y, t)
    return model.predict(X), {
        "learner": learner, "holdout_share": HOLDOUT_SHARE, "splits": SPLITS,
        "qini": float(np.mean(ours)), "qini_s_learner": float(np.mean(baseline)),
        "qini_splits": [round(v, 6) for v in ours],
        "qini_s_learner_splits": [round(v, 6) for v in baseline], "qini_curve": curve,
    }


def _with_profit(orders: pd.DataFrame, treated: pd.DataFrame,
                 figure: dict[str, Any]) -> pd.DataFrame:
    """Order rows with their expected incremental profit; the targeting figures."""
    converters = treated[treated[CONVERTED].astype(bool)]
    value = float(converters[REVENUE].mean()) if len(converters) else 0.0
    cost = float(treated[s.COST].mean()) if s.COST in treated and len(treated) else 0.0
    profit = expected_profit(orders[UPLIFT], value, cost)
    figure.update({"value_per_order": value, "cost_per_send": cost,
                   "customers_targeted": int((profit > 0).sum()),
                   "expected_profit_targeted": float(profit[profit > 0].sum())})
    return orders.assign(**{PROFIT: profit})
