"""Scaling of the feature matrix before clustering.

Three steps, all learned in ``fit`` and replayed in ``transform``:

1. impute missing values with the column median (a ratio with a zero denominator is
   NaN upstream; the median keeps such customers in the middle of the crowd);
2. ``log1p`` of heavy-tailed non-negative columns: those the catalogue marks
   ``heavy_tail`` or whose measured skewness exceeds ``skew_threshold``. Spend and counts
   are log-normal-ish, and without the log a few big spenders dominate every distance;
3. quantile-clipped z-scores: clip at the ``clip`` and ``1 - clip`` quantiles, then
   subtract the mean and divide by the standard deviation of the clipped column.
   Clipping keeps outliers from forming their own clusters; the standard deviation
   (unlike the IQR) stays non-zero for share columns that are mostly 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import skew
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import validate_data

from shopperlens._params import check_params
from shopperlens.features.catalog import describe
from shopperlens.segmentation._validation import (
    Constraint,
    ensure_fitted,
    feature_names,
    is_real,
)


class SegmentScaler(TransformerMixin, BaseEstimator):
    """Median-impute, log-transform heavy tails and robustly standardise features.

    Parameters
    ----------
    skew_threshold : float, default=1.0
        A non-negative column whose skewness exceeds this is log1p-transformed, as are
        columns the catalogue marks ``heavy_tail``.
    clip : float, default=0.005
        Quantile at which both tails are clipped before standardising.

    Attributes
    ----------
    medians_ : ndarray of shape (n_features,)
        Imputation values (0 for an all-missing column).
    log_mask_ : ndarray of bool, shape (n_features,)
        Columns that are log1p-transformed.
    lower_, upper_ : ndarray of shape (n_features,)
        Clipping bounds, on the log scale where ``log_mask_`` is set.
    mean_, scale_ : ndarray of shape (n_features,)
        Centre and scale of the clipped columns (scale 1 for a constant column).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"monetary": [10.0, 20.0, None, 4000.0], "store_share": [0, 1, 1, 0.5]})
    >>> scaler = SegmentScaler().fit(X)
    >>> scaler.log_mask_.tolist(), scaler.medians_.tolist()
    ([True, False], [20.0, 0.75])
    >>> scaler.transform(X).shape
    (4, 2)
    """

    _constraints: dict[str, Constraint] = {
        "skew_threshold": (is_real, "a real number"),
        "clip": (lambda v: is_real(v) and 0 <= v < 0.5, "a number in [0, 0.5)"),
    }

    def __init__(self, *, skew_threshold: float = 1.0, clip: float = 0.005) -> None:
        self.skew_threshold = skew_threshold
        self.clip = clip

    def fit(self, X: Any, y: Any = None) -> SegmentScaler:
        """Learn medians, log columns, clipping bounds and scales from ``X``."""
        check_params(self, self._constraints)
        A = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        return self._fit_array(A, feature_names(self))

    def transform(self, X: Any) -> np.ndarray:
        """Scaled copy of ``X`` as a float array of shape (n_samples, n_features)."""
        A = self._validate(X)
        return self._transform_array(A)

    def impute(self, X: Any) -> np.ndarray:
        """Copy of ``X`` with missing values replaced by the fitted medians (unscaled)."""
        return self._impute_array(self._validate(X))

    def _validate(self, X: Any) -> np.ndarray:
        ensure_fitted(self)
        return validate_data(
            self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=False
        )

    # array-level helpers: SegmentModel calls these to avoid validating 1M rows twice
    def _fit_array(self, A: np.ndarray, names: list[str]) -> SegmentScaler:
        n_cols = A.shape[1]
        with np.errstate(all="ignore"):
            finite = ~np.isnan(A)
            medians = np.array(
                [np.median(A[finite[:, j], j]) if finite[:, j].any() else 0.0
                 for j in range(n_cols)]
            )
        self.medians_ = medians
        B = self._impute_array(A)
        self.log_mask_ = np.array(
            [self._wants_log(B[:, j], names[j]) for j in range(n_cols)], dtype=bool
        )
        B[:, self.log_mask_] = np.log1p(np.clip(B[:, self.log_mask_], 0.0, None))
        if self.clip > 0:
            self.lower_, self.upper_ = np.quantile(B, [self.clip, 1 - self.clip], axis=0)
        else:
            self.lower_, self.upper_ = B.min(axis=0), B.max(axis=0)
        B = np.clip(B, self.lower_, self.upper_)
        self.mean_ = B.mean(axis=0)
        scale = B.std(axis=0)
        self.scale_ = np.where(scale > 1e-12, scale, 1.0)
        return self

    def _wants_log(self, column: np.ndarray, name: str) -> bool:
        if column.size == 0 or column.min() < 0:
            return False  # log1p is only meaningful for non-negative amounts and counts
        if describe(name).heavy_tail:
            return True
        if np.ptp(column) == 0:
            return False
        return bool(skew(column) > self.skew_threshold)

    def _impute_array(self, A: np.ndarray) -> np.ndarray:
        missing = np.isnan(A)
        B = A.copy()
        if missing.any():
            B[missing] = np.take(self.medians_, np.nonzero(missing)[1])
        return B

    def _transform_array(self, A: np.ndarray) -> np.ndarray:
        B = self._impute_array(A)
        B[:, self.log_mask_] = np.log1p(np.clip(B[:, self.log_mask_], 0.0, None))
        np.clip(B, self.lower_, self.upper_, out=B)
        B -= self.mean_
        B /= self.scale_
        return B

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


# Facets: what a group of columns says about a customer. Columns of one facet restate
# one fact (three channel shares sum to one; sessions and product views count the same
# visits), so a facet weighs as much as one column, whatever its number of columns.
FACETS: dict[str, str] = {
    "recency_days": "lifecycle", "tenure_days": "lifecycle", "spend_trend": "lifecycle",
    "frequency": "value", "monetary": "value", "avg_order_value": "value",
    "ipt_mean_days": "value", "ipt_std_days": "value", "basket_size": "value",
    "discount_share": "price", "return_rate": "price",
    "category_entropy": "range",
    "store_share": "channel", "online_share": "channel", "app_share": "channel",
}
CORRELATED = 0.9  # |Pearson r| on the scaled columns above which two columns are one


def facet_of(name: str) -> str:
    """The facet of a feature: its entry in :data:`FACETS`, else its catalogue family.

    >>> facet_of("app_share"), facet_of("sessions"), facet_of("x0")
    ('channel', 'browsing', 'text')
    """
    return FACETS.get(name) or describe(name).family


def facet_weights(
    Z: np.ndarray, names: list[str], *, describe_only: tuple[str, ...] = (),
) -> tuple[np.ndarray, list[str]]:
    """Weight of each scaled column in the clustering distance, and its facet.

    Columns are grouped by facet, and columns correlated above :data:`CORRELATED`
    join one group (a near-copy in another facet is no new information); each column
    weighs ``1 / sqrt(group size)``, so every group adds the same variance to distances.
    Constant columns and those of the ``describe_only`` facets weigh 0: they describe
    segments (profiles, names, reasons) without defining them.

    >>> Z = np.c_[np.arange(6.0), np.arange(6.0) % 2, np.arange(6.0) % 3]
    >>> w, facets = facet_weights(Z, ["store_share", "online_share", "monetary"])
    >>> np.round(w, 3).tolist(), facets
    ([0.707, 0.707, 1.0], ['channel', 'channel', 'value'])
    """
    facets = [facet_of(n) for n in names]
    live = Z.std(axis=0) > 1e-12
    parent = list(range(len(names)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for j in range(len(names)):
        for i in range(j):
            if facets[i] == facets[j]:
                parent[root(j)] = root(i)
    if live.sum() > 1:
        with np.errstate(all="ignore"):
            r = np.corrcoef(Z[:, live], rowvar=False)
        cols = np.flatnonzero(live)
        for a, b in zip(*np.nonzero(np.triu(np.abs(r) >= CORRELATED, 1)), strict=True):
            parent[root(cols[b])] = root(cols[a])
    groups = np.array([root(i) for i in range(len(names))])
    keep = live & ~np.isin(facets, describe_only)
    sizes = np.array([np.sum(keep & (groups == g)) for g in groups])
    weights = np.where(keep, 1.0 / np.sqrt(np.maximum(sizes, 1)), 0.0)
    return weights, facets
