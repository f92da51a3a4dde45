"""Supervised churn model: calibrated LightGBM with per-customer drivers in plain words.

References: Ke et al. (2017), "LightGBM: a highly efficient gradient boosting decision
tree", NeurIPS 30; Zadrozny & Elkan (2002), "Transforming classifier scores into
accurate multiclass probability estimates", KDD (isotonic calibration); Lundberg, Erion
et al. (2020), "From local explanations to global understanding with explainable AI for
trees", Nature Machine Intelligence 2 (TreeSHAP, the drivers' attributions).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from lightgbm import LGBMClassifier
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from shopperlens.errors import ConfigError, InputError, NotFittedError
from shopperlens.features.catalog import describe
from shopperlens.models import _treeshap
from shopperlens.segmentation._validation import format_numbers, significant_places, top_columns

CALIBRATIONS = ("isotonic", "sigmoid", None)
IMPORTANCE_SAMPLE = 5_000
# What a feature's missing value means, where it has a meaning a marketer can read.
MISSING_MEANS = {"ipt_mean_days": "only one order", "ipt_std_days": "fewer than three orders"}


class ChurnModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Probability that a customer churns, from their numeric features.

    A LightGBM classifier (deterministic: one thread, fixed seed) whose scores are
    calibrated by ``CalibratedClassifierCV(ensemble=False)``: the calibration map is
    learnt on 3-fold out-of-fold scores and applied to one booster fitted on all rows,
    so the probabilities are calibrated *and* a single booster explains them.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves : int, float, int, default 50, 0.2, 8
        LightGBM settings.
    calibration : {"isotonic", "sigmoid", None}, default "isotonic"
        Probability calibration; None keeps LightGBM's raw probabilities.
    random_state : int, default 0
        Seed of LightGBM and of the calibration folds' model.

    Attributes
    ----------
    feature_names_in_ : numpy.ndarray
        Column names seen in ``fit``.
    feature_importances_ : numpy.ndarray
        Mean absolute SHAP value (log-odds) of each feature over (at most 5,000 of) the
        training rows.
    classes_ : numpy.ndarray
        ``[0, 1]``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"recency_days": rng.uniform(0, 300, 400),
    ...                   "frequency": rng.integers(1, 20, 400).astype(float)})
    >>> y = (X["recency_days"] + rng.normal(0, 40, 400) > 150).astype(int)
    >>> model = ChurnModel(n_estimators=50).fit(X, y)
    >>> model.feature_names_in_[model.feature_importances_.argmax()]
    'recency_days'
    """

    # 50 trees at rate 0.2 score as well as 100 at 0.1 on demo data (holdout AUC 0.9440
    # vs 0.9439, Brier 0.0881 both) and halve the TreeSHAP cost of every customer's drivers.
    def __init__(self, *, n_estimators: int = 50, learning_rate: float = 0.2,
                 num_leaves: int = 8, calibration: str | None = "isotonic",
                 random_state: int = 0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.calibration = calibration
        self.random_state = random_state

    def _booster_model(self) -> LGBMClassifier:
        return LGBMClassifier(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate,
            num_leaves=self.num_leaves, random_state=self.random_state, n_jobs=1,
            deterministic=True, force_row_wise=True, verbose=-1,
        )

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray) -> ChurnModel:
        """Fit on numeric features ``X`` and 0/1 churn labels ``y``.

        Parameters
        ----------
        X : pandas.DataFrame
            One row per customer, numeric columns (NaN allowed: LightGBM routes it).
        y : array-like of shape (n_customers,)
            1 for churned, 0 for retained; both must occur.

        Returns
        -------
        ChurnModel
            The fitted model.

        Examples
        --------
        >>> X = pd.DataFrame({"recency_days": np.arange(60.0)})
        >>> ChurnModel(n_estimators=5, calibration=None).fit(X, X["recency_days"] > 30).classes_
        array([0, 1])
        """
        if self.calibration not in CALIBRATIONS:
            raise ConfigError(f"ChurnModel: calibration={self.calibration!r} is not allowed; "
                              "expected 'isotonic', 'sigmoid' or None.")
        frame = _numeric_frame(X, "ChurnModel.fit")
        labels = np.asarray(y).astype(int)
        if set(np.unique(labels)) != {0, 1} or len(labels) != len(frame):
            raise InputError("ChurnModel.fit needs one 0/1 label per row with both classes "
                             f"present (got {len(labels)} labels, values {np.unique(labels)}).")
        self.feature_names_in_ = np.array(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        if self.calibration is None:
            self._calibrated = self._booster_model().fit(frame, labels)
            self._lgbm = self._calibrated
        else:
            self._calibrated = CalibratedClassifierCV(
                self._booster_model(), method=self.calibration, cv=3, ensemble=False,
            ).fit(frame, labels)
            self._lgbm = self._calibrated.calibrated_classifiers_[0].estimator
        self.classes_ = np.array([0, 1])
        self._medians = frame.median()
        self._directions = _directions(frame, labels)
        # SHAP costs ~50 us a row: a fixed-size sample estimates the mean well enough
        sample = frame.sample(min(len(frame), IMPORTANCE_SAMPLE), random_state=self.random_state)
        self.feature_importances_ = np.abs(self._contributions(sample)[:, :-1]).mean(axis=0)
        return self

    def median_values(self) -> pd.Series:
        """The training median of each feature: where "high" starts in the drivers."""
        if not hasattr(self, "_medians"):
            raise NotFittedError("This ChurnModel instance is not fitted yet.")
        return self._medians.copy()

    def _check(self, X: pd.DataFrame, where: str) -> pd.DataFrame:
        if not hasattr(self, "_calibrated"):
            raise NotFittedError("This ChurnModel instance is not fitted yet. Call 'fit' "
                                 "with features and churn labels first.")
        frame = _numeric_frame(X, where)
        missing = [c for c in self.feature_names_in_ if c not in frame.columns]
        if missing:
            raise InputError(f"{where}: X lacks feature(s) {', '.join(map(repr, missing))} "
                             "seen in fit.")
        return frame[list(self.feature_names_in_)]

    def _contributions(self, frame: pd.DataFrame) -> np.ndarray:
        # LightGBM's TreeSHAP (pred_contrib): one column per feature plus the bias, in
        # log-odds. From many rows, computed once per tree and decision pattern (the same
        # numbers up to rounding; ~30x faster at 1M rows); see models/_treeshap.py.
        # (num_threads=0: every core; rows are independent, so results do not change)
        return _treeshap.contributions(self._lgbm.booster_, frame, num_threads=0)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, 2)``: column 1 is the churn probability.

        Examples
        --------
        >>> X = pd.DataFrame({"recency_days": np.arange(60.0)})
        >>> m = ChurnModel(n_estimators=5, calibration=None).fit(X, X["recency_days"] > 30)
        >>> m.predict_proba(X).shape
        (60, 2)
        """
        return np.asarray(self._calibrated.predict_proba(self._check(X, "predict_proba")))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where the churn probability is at least 0.5.

        Examples
        --------
        >>> X = pd.DataFrame({"recency_days": np.arange(60.0)})
        >>> m = ChurnModel(n_estimators=20, calibration=None).fit(X, X["recency_days"] > 30)
        >>> m.predict(X.iloc[[0, 59]])
        array([0, 1])
        """
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def explain(self, X: pd.DataFrame, top: int = 3, *, scale: float = 1.0,
                extra: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        """The ``top`` churn drivers of each customer, in plain words.

        Drivers are the features with the largest absolute SHAP value (LightGBM's
        ``pred_contrib``) for that customer, among those whose effect agrees with the
        feature's direction. Each reads ``"<label> <high|low> (<value>) <raises|lowers>
        risk"``: high/low compares the value with the training median, and the feature's
        direction (the sign of its rank correlation with churn in training) says which
        side raises risk. A tree may bend that way locally (a middling value raising risk
        when both ends lower it); such an effect is left out rather than shown, so no two
        customers read "high" with opposite effects and every "high" value exceeds every
        "low" one. A missing value is named by what it means ("only one order", see
        :data:`MISSING_MEANS`) when it raises risk, and never shown as "missing". Fewer
        than ``top`` drivers (even none) is possible.

        Parameters
        ----------
        X : pandas.DataFrame
            Features of the customers to explain.
        top : int, default 3
            Drivers per customer.
        scale, extra : float, dict, optional
            When the published risk is not this model's alone (a blend of its log-odds
            with weight ``scale``, 0 when unused), the effect of each feature is
            ``scale`` times its SHAP value plus ``extra[feature]`` (one log-odds effect
            per row, e.g. of the transaction model): the same rules then name them.

        Returns
        -------
        pandas.DataFrame
            Indexed like ``X``, columns ``driver_1`` ... ``driver_<top>`` (``""`` where
            no further feature qualifies).

        Examples
        --------
        >>> X = pd.DataFrame({"recency_days": np.arange(60.0), "frequency": 3.0})
        >>> m = ChurnModel(n_estimators=20, calibration=None).fit(X, X["recency_days"] > 30)
        >>> m.explain(X.iloc[[59]], top=1)["driver_1"].iloc[0]
        'days since last order high (59) raises risk'
        """
        frame = self._check(X, "explain")
        contrib = scale * self._contributions(frame)[:, :-1] if scale else np.zeros(frame.shape)
        for name, effect in (extra or {}).items():
            contrib[:, list(self.feature_names_in_).index(name)] += effect
        values = frame.to_numpy(dtype=np.float64)
        agree = _agreeing(values, contrib, self._medians.to_numpy(np.float64),
                          self._directions, list(self.feature_names_in_))
        order, named = top_columns(np.where(agree, np.abs(contrib), -1.0), top)
        rows = np.arange(len(frame))
        columns = {}
        for k, j in enumerate(order.T, 1):  # column-wise: one phrase per customer
            phrase = self._phrases(values[rows, j], contrib[rows, j], j)
            columns[f"driver_{k}"] = np.where(named[:, k - 1], phrase, "")
        return pd.DataFrame(columns, index=X.index)

    def _phrases(self, value: np.ndarray, effect: np.ndarray, j: np.ndarray) -> np.ndarray:
        labels = pa.array([describe(n).label for n in self.feature_names_in_], pa.string())
        missing = pa.array([MISSING_MEANS.get(n, "") for n in self.feature_names_in_],
                           pa.string())
        high = value > self._medians.to_numpy(np.float64)[j]
        side = pc.if_else(pa.array(high), " high (", " low (")
        raises = pc.if_else(pa.array(effect > 0), ") raises risk", ") lowers risk")
        shown = pa.array(format_numbers(value, _number, _decimals), pa.string())
        phrase = pc.binary_join_element_wise(labels.take(j), side, shown, raises, "")
        gone = pc.binary_join_element_wise(missing.take(j), pa.scalar(" raises risk"), "")
        out = pc.if_else(pa.array(np.isnan(value)), gone, phrase)
        return np.asarray(out.to_numpy(zero_copy_only=False), dtype=object)


def _directions(frame: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    """+1 where higher values go with churn in training, -1 where lower ones do, 0 where
    neither (constant or unrelated): the sign of Spearman's rank correlation."""
    ranks = frame.rank()
    target = pd.Series(labels, index=frame.index, dtype=np.float64)
    # a constant column (or too few rows) has no correlation: NaN, then 0; pandas 2 lets
    # numpy warn about it on the way
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rho = ranks.corrwith(target.rank()).fillna(0.0).to_numpy()
    return np.sign(rho)


def _agreeing(values: np.ndarray, contrib: np.ndarray, medians: np.ndarray,
              directions: np.ndarray, names: list[str]) -> np.ndarray:
    """Which (customer, feature) effects may be named: a value off the median on the
    side the feature's direction says raises (lowers) risk, with an effect that does; or
    a missing value with a meaning (:data:`MISSING_MEANS`) that raises risk."""
    side = np.sign(values - medians)  # NaN where missing, 0 at the median
    agree = (side * directions == np.sign(contrib)) & (side != 0) & (contrib != 0)
    meaningful = np.array([n in MISSING_MEANS for n in names])
    return np.where(np.isnan(values), meaningful & (contrib > 0), agree)


def _number(value: float) -> str:
    if not np.isfinite(value):
        return "missing"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _decimals(values: np.ndarray) -> np.ndarray:
    """Decimal places :func:`_number` shows: none from 100 up, else 3 significant."""
    return np.where(np.abs(values) >= 100, 0, significant_places(values))


def _numeric_frame(X: pd.DataFrame, where: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"{where} expects a pandas DataFrame of numeric features "
                         f"(got {type(X).__name__}).")
    bad = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise InputError(f"{where}: feature(s) {', '.join(map(repr, bad))} are not numeric; "
                         "encode them first.")
    return X.astype(np.float64)


def churn_metrics(y_true: np.ndarray | pd.Series, p: np.ndarray | pd.Series) -> dict[str, object]:
    """Discrimination and calibration of churn probabilities.

    Parameters
    ----------
    y_true : array-like of 0/1
        What happened.
    p : array-like of float
        Predicted churn probabilities.

    Returns
    -------
    dict
        ``auc`` (ROC AUC), ``pr_auc`` (average precision), ``brier``, ``base_rate``,
        ``n`` and ``calibration``: a list of 10 dicts (``decile`` 1 = lowest
        predictions, ``n``, ``mean_predicted``, ``observed_rate``) over equal-count bins.

    Examples
    --------
    >>> m = churn_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> m["auc"], m["brier"]
    (0.75, 0.158125)
    """
    y = np.asarray(y_true).astype(int)
    prob = np.asarray(p, dtype=np.float64)
    order = np.argsort(prob, kind="stable")
    bins = [b for b in np.array_split(order, 10) if len(b)]
    calibration = [
        {"decile": k + 1, "n": len(b), "mean_predicted": float(prob[b].mean()),
         "observed_rate": float(y[b].mean())}
        for k, b in enumerate(bins)
    ]
    return {
        "auc": float(roc_auc_score(y, prob)),
        "pr_auc": float(average_precision_score(y, prob)),
        "brier": float(brier_score_loss(y, prob)),
        "base_rate": float(y.mean()),
        "n": len(y),
        "calibration": calibration,
    }
