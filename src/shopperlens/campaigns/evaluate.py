"""Uplift of one campaign: who is persuadable, judged on a holdout, and whom to target.

For each offer of the campaign and each outcome (a visit, an order), a seeded 30% of
the campaign's customers of that offer and the control is held out. On the rest, the
learner (:class:`~shopperlens.campaigns.uplift.UpliftModel`: X, T or S) is chosen by its
cross-fitted Qini (:func:`choose_learner`), never by the holdout. The chosen learner is
judged on the holdout against a same-run S-learner fitted on the same part: each Qini
and their difference with a paired bootstrap 95% interval. Then it is fitted on all the
campaign's customers to score every customer with features, sent or not: the next send
targets them. Targeting is by expected incremental
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
HOLDOUT_SHARE = 0.3  # of the campaign's customers, kept from the choice and the fit
CANDIDATES = ("x", "t", "s")  # learners "auto" chooses among (ties: the first)
CHOICE_FOLDS = 2
BOOTSTRAP = 200  # resamples behind the Qini intervals
CURVE_POINTS = 21


def campaign_uplift(frame: pd.DataFrame, X: pd.DataFrame, seed: int = 0, learner: str = "auto",
                    **params: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-customer uplift of every customer of ``X`` (features indexed by customer id,
    see :func:`model_frame`) for each
    offer and outcome of the campaign in ``frame`` (one row per customer sent, with the
    outcome columns), and the figures: Qini of ``learner`` and of the S-learner on the
    holdout, the Qini curve, and the targeting by expected profit. ``learner``: ``"auto"``
    (chosen on the training part) or one of ``"x"``, ``"t"``, ``"s"``. ``params`` go to
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
    """Chosen (``learner="auto"``) on the training part, judged against the S-learner on
    the holdout, then fitted on all the campaign's customers to score everyone."""
    y = sent[column].to_numpy(dtype=int)
    t = (sent[s.VARIANT] != CONTROL).to_numpy()
    Xs = X.loc[sent.index]
    test = np.random.default_rng(seed).random(len(y)) < HOLDOUT_SHARE
    chosen, training = learner, dict[str, float]()
    if learner == "auto":
        chosen, training = choose_learner(Xs[~test], y[~test], t[~test], seed, **params)

    def fitted(name: str, rows: np.ndarray) -> UpliftModel:
        return UpliftModel(learner=name, random_state=seed, **params).fit(
            Xs[rows], y[rows], t[rows])

    ours = fitted(chosen, ~test).predict(Xs[test])
    baseline = ours if chosen == "s" else fitted("s", ~test).predict(Xs[test])
    share, q = qini_curve(y[test], t[test], ours)
    keep = np.unique(np.linspace(0, len(q) - 1, CURVE_POINTS).round().astype(int))
    return fitted(chosen, np.ones(len(y), dtype=bool)).predict(X), {
        "learner": chosen, "chosen_by": "training-part cross-fitted Qini" if training else
        "given", "training_qini": training, "holdout_share": HOLDOUT_SHARE,
        **qini_comparison(y[test], t[test], ours, baseline, seed),
        "qini_curve": {"share": share[keep].round(4).tolist(),
                       "incremental": q[keep].round(3).tolist()},
    }


def choose_learner(X: pd.DataFrame, y: np.ndarray, t: np.ndarray, seed: int,
                   **params: Any) -> tuple[str, dict[str, float]]:
    """The learner of :data:`CANDIDATES` whose cross-fitted predictions (each customer
    scored by a model fitted on the other of :data:`CHOICE_FOLDS` folds) rank this data
    best by Qini, and every candidate's Qini. Given only the training part, so the
    holdout judges the choice too. On small, noisy effects no learner wins everywhere:
    on Hillstrom's e-mails the S-learner ranked visits best, elsewhere the X-learner."""
    fold = np.random.default_rng([seed, 2]).permutation(len(y)) % CHOICE_FOLDS
    scores = {name: np.zeros(len(y)) for name in CANDIDATES}
    for k in range(CHOICE_FOLDS):
        test = fold == k
        x = UpliftModel(learner="x", random_state=seed, **params).fit(
            X[~test], y[~test], t[~test])
        scores["x"][test] = x.predict(X[test])
        p0, p1 = x.predict_arms(X[test])  # the X-learner's first stage is the T-learner
        scores["t"][test] = p1 - p0
        scores["s"][test] = UpliftModel(learner="s", random_state=seed, **params).fit(
            X[~test], y[~test], t[~test]).predict(X[test])
    qinis = {name: qini_coefficient(y, t, u) for name, u in scores.items()}
    return max(CANDIDATES, key=lambda name: qinis[name]), qinis


def qini_comparison(y: np.ndarray, t: np.ndarray, ours: np.ndarray, baseline: np.ndarray,
                    seed: int, level: float = 0.95) -> dict[str, float]:
    """Qini of ``ours`` and of ``baseline`` (the S-learner) and of their difference, each
    with a paired bootstrap interval over customers (the same resamples for both)."""
    rng = np.random.default_rng([seed, 1])
    draws = np.empty((BOOTSTRAP, 2))
    for b in range(BOOTSTRAP):
        i = rng.integers(0, len(y), len(y))
        draws[b] = qini_coefficient(y[i], t[i], ours[i]), qini_coefficient(
            y[i], t[i], baseline[i])
    tails = [50 * (1 - level), 100 - 50 * (1 - level)]
    q, q_s = qini_coefficient(y, t, ours), qini_coefficient(y, t, baseline)
    out: dict[str, float] = {}
    for name, point, boot in (("qini", q, draws[:, 0]), ("qini_s_learner", q_s, draws[:, 1]),
                              ("qini_difference", q - q_s, draws[:, 0] - draws[:, 1])):
        low, high = np.percentile(boot, tails)
        out.update({name: float(point), f"{name}_low": float(low), f"{name}_high": float(high)})
    return out


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
