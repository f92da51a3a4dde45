"""Which churn risk to publish: the churn model's, the transaction model's, or a blend.

The supervised churn model learns from a past window; the transaction model (Pareto/NBD)
answers the same question, "no order within ``w`` days", from purchases alone. On a
young or purchase-only customer base the second can rank customers better (CDNOW). Both
are scored on the churn model's own held-out past-window customers, with a third
candidate, a logistic stacking of their log-odds (Wolpert 1992, "Stacked
generalization", Neural Networks 5), scored out of fold; the best is kept. The run's
``--holdout`` never enters the choice (it only reports). Pure functions (no I/O).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from shopperlens.models.churn import churn_metrics

LIGHTGBM, PARETO_NBD, BLEND = "lightgbm", "pareto_nbd", "blend"
CANDIDATES = (PARETO_NBD, LIGHTGBM, BLEND)  # in order of preference
EPS = 1e-6  # probabilities are clipped to [EPS, 1 - EPS] before their log-odds
FOLDS = 5  # the blend's out-of-fold scores
# Candidates within this AUC of the best count as equal, and the first of them in
# CANDIDATES' order is kept: the transaction model's answer is the one p_alive and
# next_order_date come from (one notion of "still a customer") and the simplest; the
# churn model is published only if it ranks better, a blend only if it ranks better
# than both. (Held-out AUCs of a few thousand customers differ by about this much from
# sample to sample.)
MARGIN = 0.005


@dataclass
class CandidateCheck:
    """Customers the candidates are scored on: ``validation`` says which, ``y`` what
    happened (1: no order within the window), ``p_model`` and ``p_btyd`` the churn
    model's and the transaction model's probability of it (NaN or None where the
    transaction model cannot answer)."""

    validation: str
    y: np.ndarray
    p_model: np.ndarray
    p_btyd: np.ndarray | None


@dataclass(frozen=True)
class ChurnChoice:
    """The chosen churn risk: ``name`` one of :data:`CANDIDATES`; for a blend, the
    stacker's ``intercept`` and log-odds ``weights`` (churn model, transaction model)."""

    name: str
    intercept: float = 0.0
    weights: tuple[float, float] = (1.0, 0.0)

    def combine(self, p_model: np.ndarray, p_btyd: np.ndarray) -> np.ndarray:
        """The published churn risk from the two candidates' probabilities.

        >>> ChurnChoice(PARETO_NBD).combine(np.array([0.2]), np.array([0.7]))
        array([0.7])
        """
        if self.name == LIGHTGBM:
            return np.asarray(p_model, dtype=np.float64)
        if self.name == PARETO_NBD:
            return np.asarray(p_btyd, dtype=np.float64)
        z = self.intercept + _logits(p_model, p_btyd) @ np.asarray(self.weights)
        return 1.0 / (1.0 + np.exp(-z))

    @property
    def log_odds_weights(self) -> tuple[float, float]:
        """Weights of the churn model's and the transaction model's log-odds in the
        published risk's (what its drivers scale their effects by)."""
        return {LIGHTGBM: (1.0, 0.0), PARETO_NBD: (0.0, 1.0)}.get(self.name, self.weights)


# The transaction model's answer moves with three features of the catalogue; each
# counterfactual moves one of them to its median, the others kept.
DAYS_SINCE_LAST, ORDERS, DAYS_SINCE_FIRST = "recency_days", "frequency", "tenure_days"


def btyd_effects(model: Any, summary: pd.DataFrame, features: pd.DataFrame,
                 medians: pd.Series, weeks: float) -> dict[str, np.ndarray]:
    """Each customer's log-odds effect on the transaction model's ``P(no order within
    weeks)`` of days since last order, orders and days since first order: their risk
    against the same customer with that one feature at ``medians``' value (positive:
    the customer's own value raises the risk). For a one-time buyer the first and last
    orders are one: both move together. Rows of ``features`` the summary lacks get 0.

    Examples
    --------
    >>> from shopperlens.models.btyd import ParetoNBDModel
    >>> m = ParetoNBDModel()
    >>> m.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    >>> S = pd.DataFrame({"frequency": [3.0], "recency": [2.0], "T": [30.0]})
    >>> F = pd.DataFrame({"recency_days": [196.0], "frequency": [4.0], "tenure_days": [210.0]})
    >>> M = pd.Series({"recency_days": 30.0, "frequency": 2.0, "tenure_days": 100.0})
    >>> float(btyd_effects(m, S, F, M, 13)["recency_days"][0]) > 0  # lapsed: raises
    True
    """
    d = summary.reindex(features.index)
    known = d["T"].notna().to_numpy()
    x, tx, age = (d[c].to_numpy(np.float64)[known] for c in ("frequency", "recency", "T"))
    one = x == 0

    def log_odds(x_: np.ndarray, tx_: np.ndarray, age_: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame({"frequency": x_, "recency": tx_, "T": age_})
        return _logits(model.probability_no_purchase(weeks, frame))[:, 0]

    base, out = log_odds(x, tx, age), {}
    if DAYS_SINCE_LAST in medians:
        gap = float(medians[DAYS_SINCE_LAST]) / 7.0
        moved_age = np.where(one, gap, age)
        out[DAYS_SINCE_LAST] = base - log_odds(x, np.clip(moved_age - gap, 0, moved_age),
                                               moved_age)
    if ORDERS in medians:
        orders = features[ORDERS].to_numpy(np.float64)[known]
        moved = np.maximum(0.0, x + np.round(float(medians[ORDERS]) - orders))
        out[ORDERS] = base - log_odds(moved, np.where(moved == 0, 0.0, tx), age)
    if DAYS_SINCE_FIRST in medians:
        moved_age = np.full_like(age, float(medians[DAYS_SINCE_FIRST]) / 7.0)
        moved_tx = np.where(one, 0.0, np.clip(moved_age - (age - tx), 0, moved_age))
        # a one-time buyer's first order is their last: named once, as the last
        out[DAYS_SINCE_FIRST] = np.where(one, 0.0, base - log_odds(x, moved_tx, moved_age))
    full = {}
    for name, effect in out.items():
        full[name] = np.zeros(len(features))
        full[name][known] = np.nan_to_num(effect)
    return full


def _logits(*ps: np.ndarray) -> np.ndarray:
    p = np.clip(np.column_stack(ps).astype(np.float64), EPS, 1 - EPS)
    return np.log(p / (1 - p))


def _stacker(X: np.ndarray, y: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=1e4, max_iter=1000).fit(X, y)


def _blend_out_of_fold(X: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray | None:
    folds = min(FOLDS, int(np.bincount(y, minlength=2).min()))
    if folds < 2:
        return None
    out = np.empty(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        if len(set(y[train])) < 2:
            return None
        out[test] = _stacker(X[train], y[train]).predict_proba(X[test])[:, 1]
    return out


def choose_churn_risk(check: CandidateCheck, seed: int = 0
                      ) -> tuple[ChurnChoice, dict[str, object]]:
    """Score the candidates on held-out past customers and keep the best.

    Parameters
    ----------
    check : CandidateCheck
        The customers and each candidate's probabilities (``p_btyd`` None: the
        transaction model could not answer; the churn model stays). Customers the
        transaction model cannot answer for are left out of every score.
    seed : int
        Seed of the blend's folds.

    Returns
    -------
    tuple
        The :class:`ChurnChoice` and its record: each candidate's ``auc`` and ``brier``
        on those customers (the blend's out of fold), ``chosen`` and ``rule``.

    The rule: the highest AUC (the order in which a marketer calls customers), the
    first candidate within :data:`MARGIN` of it kept. Each candidate is calibrated in
    its own way (the churn model isotonically on its window, the transaction model by
    its likelihood, the blend by its logistic fit); their Brier scores are recorded.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400)
    >>> noise, signal = rng.uniform(size=400), np.clip(0.2 + 0.6 * y + rng.normal(0, .1, 400), 0, 1)
    >>> check = CandidateCheck("example", y, noise, signal)
    >>> choose_churn_risk(check)[0].name in (PARETO_NBD, BLEND)
    True
    """
    y, p_model, p_btyd = np.asarray(check.y).astype(int), check.p_model, check.p_btyd
    if p_btyd is not None:
        known = np.isfinite(p_btyd)
        y, p_model, p_btyd = y[known], p_model[known], p_btyd[known]
    scores = {LIGHTGBM: _score(y, p_model)}
    if p_btyd is not None and len(set(y)) == 2:
        scores[PARETO_NBD] = _score(y, p_btyd)
        blend = _blend_out_of_fold(_logits(p_model, p_btyd), y, seed)
        if blend is not None:
            scores[BLEND] = _score(y, blend)
    top = max(score["auc"] for score in scores.values())
    best = next(k for k in CANDIDATES if k in scores and scores[k]["auc"] >= top - MARGIN)
    choice = ChurnChoice(best)
    if best == BLEND:
        fit = _stacker(_logits(p_model, p_btyd), y)  # type: ignore[arg-type]
        choice = ChurnChoice(BLEND, float(fit.intercept_[0]),
                             (float(fit.coef_[0, 0]), float(fit.coef_[0, 1])))
    record: dict[str, object] = {
        "validation": check.validation, "n": int(len(y)), "candidates": scores,
        "chosen": best,
        "rule": f"highest AUC on held-out past customers (never the run's --holdout); "
                f"within {MARGIN} of it, the first of {', '.join(CANDIDATES)}",
    }
    if best == BLEND:
        record["blend"] = {"intercept": choice.intercept,
                           "weight_lightgbm": choice.weights[0],
                           "weight_pareto_nbd": choice.weights[1]}
    return choice, record


def _score(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    metrics = churn_metrics(y, np.clip(p, 0.0, 1.0))
    return {"auc": float(metrics["auc"]), "brier": float(metrics["brier"])}  # type: ignore[arg-type]
