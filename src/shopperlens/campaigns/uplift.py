"""Who is persuadable: meta-learners of the uplift on LightGBM, and how to judge them.

:class:`UpliftModel` follows the scikit-learn contract (``fit(X, y, treatment)``,
``predict(X)`` -> the predicted incremental probability of the outcome if treated):

- ``learner="t"``: two classifiers, one per arm; uplift = p1(x) - p0(x).
- ``learner="x"``: the X-learner (Kunzel et al. 2019): the T-learner's imputed effects
  regressed per arm and blended by the propensity (the treated share, as the campaign
  was randomised).
- ``learner="s"``: one classifier with the arm as a feature (the usual baseline).

:func:`qini_curve`, :func:`uplift_curve` and :func:`qini_coefficient` rank customers by
predicted uplift and count the incremental outcomes among the first k, on a holdout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from shopperlens._params import Constraint, Interval, OneOf, check_params
from shopperlens.errors import InputError, NotFittedError

__all__ = [
    "UpliftModel", "expected_profit", "qini_coefficient", "qini_curve", "uplift_curve",
]


class UpliftModel(BaseEstimator):  # type: ignore[misc]
    """A T-, X- or S-learner of uplift on LightGBM (see the module)."""

    _constraints: dict[str, Constraint] = {
        "learner": OneOf("t", "x", "s"),
        "n_estimators": Interval(int, 1),
        "learning_rate": Interval(float, 0.0, low_open=True),
        "num_leaves": Interval(int, 2),
        "min_child_samples": Interval(int, 1),
    }

    def __init__(self, learner: str = "t", n_estimators: int = 100,
                 learning_rate: float = 0.05, num_leaves: int = 15,
                 min_child_samples: int = 50, random_state: int = 0, n_jobs: int = 1) -> None:
        self.learner = learner
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _lgbm(self, kind: str) -> Any:
        import lightgbm as lgb

        cls = lgb.LGBMClassifier if kind == "classifier" else lgb.LGBMRegressor
        return cls(n_estimators=self.n_estimators, learning_rate=self.learning_rate,
                   num_leaves=self.num_leaves, min_child_samples=self.min_child_samples,
                   random_state=self.random_state, n_jobs=self.n_jobs, verbose=-1,
                   deterministic=True, force_row_wise=True)

    def fit(self, X: pd.DataFrame, y: Any, treatment: Any) -> UpliftModel:
        """Fit on features ``X``, a 0/1 outcome ``y`` and a 0/1 ``treatment``."""
        check_params(type(self).__name__, self._constraints, self.get_params())
        y, t = np.asarray(y, dtype=int), np.asarray(treatment, dtype=bool)
        if t.all() or not t.any():
            raise InputError("Uplift needs both treated and control customers; this "
                             "campaign has only one group. Hold some customers out.")
        self.treated_share_ = float(t.mean())
        X = _frame(X)
        if self.learner == "s":
            self.models_ = [self._arm_model(X.assign(_treated=t.astype(int)), y)]
            return self
        m0, m1 = self._arm_model(X[~t], y[~t]), self._arm_model(X[t], y[t])
        self.models_ = [m0, m1]
        if self.learner == "x":
            d1 = y[t] - m0.predict_proba(X[t])[:, 1]
            d0 = m1.predict_proba(X[~t])[:, 1] - y[~t]
            self.models_ += [self._lgbm("regressor").fit(X[~t], d0),
                             self._lgbm("regressor").fit(X[t], d1)]
        return self

    def _arm_model(self, X: pd.DataFrame, y: np.ndarray) -> Any:
        if len(np.unique(y)) < 2:  # every customer of the arm alike: a constant rate
            return _Constant(float(y.mean()) if len(y) else 0.0)
        return self._lgbm("classifier").fit(X, y)

    def predict_arms(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(P(outcome | control, x), P(outcome | treated, x)): the two arms' models of
        the T- and X-learners, the S-learner's with the arm flag set each way."""
        X = self._fitted_frame(X)
        if self.learner == "s":
            (m,) = self.models_
            return (np.asarray(m.predict_proba(X.assign(_treated=0))[:, 1]),
                    np.asarray(m.predict_proba(X.assign(_treated=1))[:, 1]))
        return (np.asarray(self.models_[0].predict_proba(X)[:, 1]),
                np.asarray(self.models_[1].predict_proba(X)[:, 1]))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The predicted uplift: P(outcome | treated, x) - P(outcome | control, x)."""
        if self.learner in ("s", "t"):
            p0, p1 = self.predict_arms(X)
            return np.asarray(p1 - p0)
        # the X-learner: its effect models only (its arm models served the fit)
        X = self._fitted_frame(X)
        g = self.treated_share_
        return np.asarray(g * self.models_[2].predict(X) + (1 - g) * self.models_[3].predict(X))

    def _fitted_frame(self, X: Any) -> pd.DataFrame:
        if not hasattr(self, "models_"):
            raise NotFittedError("UpliftModel is not fitted yet; call fit first.")
        return _frame(X)


class _Constant:
    """A classifier that always gives the same probability."""

    def __init__(self, p: float) -> None:
        self.p = p

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.column_stack([np.full(len(X), 1 - self.p), np.full(len(X), self.p)])


def _frame(X: Any) -> pd.DataFrame:
    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))


def _cumulative(y: Any, treatment: Any, uplift: Any) -> tuple[np.ndarray, ...]:
    """Cumulative treated/control counts and outcomes, best predicted uplift first."""
    order = np.argsort(-np.asarray(uplift, dtype=float), kind="stable")
    y = np.asarray(y, dtype=float)[order]
    t = np.asarray(treatment, dtype=bool)[order]
    zero = np.zeros(1)
    nt, nc = np.concatenate([zero, np.cumsum(t)]), np.concatenate([zero, np.cumsum(~t)])
    yt = np.concatenate([zero, np.cumsum(y * t)])
    yc = np.concatenate([zero, np.cumsum(y * ~t)])
    return nt, nc, yt, yc


def qini_curve(y: Any, treatment: Any, uplift: Any) -> tuple[np.ndarray, np.ndarray]:
    """(share targeted, incremental outcomes among them): treated outcomes minus control
    outcomes scaled to the treated count, for the top-k by predicted uplift."""
    nt, nc, yt, yc = _cumulative(y, treatment, uplift)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = yt - np.where(nc > 0, yc * nt / nc, 0.0)
    return np.arange(len(q)) / (len(q) - 1), q


def uplift_curve(y: Any, treatment: Any, uplift: Any) -> tuple[np.ndarray, np.ndarray]:
    """(share targeted, (treated rate - control rate) x customers targeted)."""
    nt, nc, yt, yc = _cumulative(y, treatment, uplift)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(nt > 0, yt / nt, 0.0) - np.where(nc > 0, yc / nc, 0.0)
    return np.arange(len(nt)) / (len(nt) - 1), rate * (nt + nc)


def qini_coefficient(y: Any, treatment: Any, uplift: Any) -> float:
    """Area between the Qini curve and random targeting, per customer of the holdout:
    0 for a random ranking, higher for a better one."""
    x, q = qini_curve(y, treatment, uplift)
    gain = q - x * q[-1]
    area = float(np.sum((gain[1:] + gain[:-1]) / 2 * np.diff(x)))
    return area / max(len(q) - 1, 1)


def expected_profit(uplift: Any, value: float, cost: Any) -> np.ndarray:
    """Expected incremental profit of sending: uplift x value of an outcome - cost."""
    return np.asarray(uplift, dtype=float) * value - np.asarray(cost, dtype=float)
