"""The classic RFM grid: quintile scores for recency, frequency and monetary value.

Scores
    Each of R, F and M is scored 1-5 against the customers with purchases seen in
    ``fit``. A value's score is ``1 + floor(5 * p)``, where ``p`` is the share of fitted
    customers strictly below it (strictly *more* recent days for R, so R = 5 is the most
    recent). Ties share the score of their lowest rank, as ``rank(method="min")`` does:
    when 60% of customers have one order they all get F = 1 instead of ``qcut`` failing
    on duplicate edges. ``fit`` stores the four cut values per score, so ``predict`` is a
    binary search.

Customers without purchases
    A row whose ``frequency`` is 0 or missing, or whose ``recency_days`` is missing, is not
    scored: its scores are 0 and its segment is ``"No purchases"``. A missing
    ``monetary`` counts as 0 spend.

Segments
    FM is the rounded-half-up mean of F and M, ``(F + M + 1) // 2``. The segment is read
    from the R x FM grid below (after Putler's RFM segment definitions, which name the
    same 11 segments by score ranges; the grid settles their overlaps):

=  ==============  ===================  ===================  ===============  ===============
R  FM 1            FM 2                 FM 3                 FM 4             FM 5
=  ==============  ===================  ===================  ===============  ===============
5  New             Potential loyalists  Potential loyalists  Champions        Champions
4  Promising       Potential loyalists  Loyal                Champions        Champions
3  About to sleep  Need attention       Need attention       Loyal            Loyal
2  Hibernating     About to sleep       At risk              At risk          Can't lose them
1  Lost            Hibernating          At risk              Can't lose them  Can't lose them
=  ==============  ===================  ===================  ===============  ===============
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import validate_data

from shopperlens.errors import InputError
from shopperlens.features.catalog import FEATURES
from shopperlens.segmentation._validation import ensure_fitted

RECENCY = FEATURES["recency_days"].name
FREQUENCY = FEATURES["frequency"].name
MONETARY = FEATURES["monetary"].name
COLUMNS = (RECENCY, FREQUENCY, MONETARY)
NO_PURCHASES = "No purchases"
GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("New", "Potential loyalists", "Potential loyalists", "Champions", "Champions"),
    4: ("Promising", "Potential loyalists", "Loyal", "Champions", "Champions"),
    3: ("About to sleep", "Need attention", "Need attention", "Loyal", "Loyal"),
    2: ("Hibernating", "About to sleep", "At risk", "At risk", "Can't lose them"),
    1: ("Lost", "Hibernating", "At risk", "Can't lose them", "Can't lose them"),
}
SEGMENTS = (
    "Champions", "Loyal", "Potential loyalists", "New", "Promising", "Need attention",
    "About to sleep", "At risk", "Can't lose them", "Hibernating", "Lost",
)
_N_SCORES = 5


def _edges(values: np.ndarray) -> np.ndarray:
    """Cut values so that ``1 + #(edges < x)`` is the min-rank quintile score of ``x``."""
    ordered = np.sort(values)
    n = len(ordered)
    ranks = np.ceil(n * np.arange(1, _N_SCORES) / _N_SCORES).astype(int)
    return ordered[ranks - 1]


class RFMGrid(BaseEstimator):
    """Classic RFM segmentation of a feature matrix (see the module docstring).

    Needs the columns ``recency_days``, ``frequency`` and ``monetary`` (other columns are
    ignored); a plain array must have exactly these three columns in this order.

    Attributes
    ----------
    edges_ : ndarray of shape (3, 4)
        Cut values for R (on negated recency), F and M.
    n_scored_ : int
        Customers with purchases used in ``fit``.

    Examples
    --------
    >>> X = pd.DataFrame({"recency_days": [5, 40, 200, 400, None],
    ...                   "frequency": [12, 3, 1, 1, 0], "monetary": [900, 150, 40, 20, 0]})
    >>> grid = RFMGrid().fit(X)
    >>> grid.scores(X).values.tolist()
    [[4, 4, 4], [3, 3, 3], [2, 1, 2], [1, 1, 1], [0, 0, 0]]
    >>> grid.predict(X).tolist()
    ['Champions', 'Need attention', 'About to sleep', 'Lost', 'No purchases']
    """

    def fit(self, X: Any, y: Any = None) -> RFMGrid:
        """Learn the quintile cut values from the customers with purchases in ``X``."""
        A = self._validate(X, reset=True)
        scored = self._scored(A)
        if not scored.any():
            raise InputError(
                "RFMGrid.fit needs at least one customer with purchases "
                f"({FREQUENCY} > 0 and {RECENCY} present); got none."
            )
        B = self._oriented(A[scored])
        self.edges_ = np.vstack([_edges(B[:, j]) for j in range(3)])
        self.n_scored_ = int(scored.sum())
        return self

    def scores(self, X: Any) -> pd.DataFrame:
        """R, F and M scores 1-5 (0 for customers without purchases), index of ``X``."""
        ensure_fitted(self)
        A = self._validate(X, reset=False)
        B = self._oriented(A)
        out = np.zeros(A.shape, dtype=np.int64)
        for j in range(3):
            out[:, j] = 1 + np.searchsorted(self.edges_[j], B[:, j], side="left")
        out[~self._scored(A)] = 0
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(out, columns=["R", "F", "M"], index=index)

    def predict(self, X: Any) -> np.ndarray:
        """RFM segment name of each customer (object array)."""
        s = self.scores(X).to_numpy()
        fm = (s[:, 1] + s[:, 2] + 1) // 2
        names = np.array([NO_PURCHASES] * len(s), dtype=object)
        for i in np.flatnonzero(s[:, 0] > 0):
            names[i] = GRID[int(s[i, 0])][int(fm[i]) - 1]
        return names

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X).predict(X)``."""
        return self.fit(X).predict(X)

    @staticmethod
    def _scored(A: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return ~np.isnan(A[:, 0]) & (np.nan_to_num(A[:, 1]) > 0)

    @staticmethod
    def _oriented(A: np.ndarray) -> np.ndarray:
        """Recency negated (fewer days is better) and missing spend as 0."""
        B = np.nan_to_num(A, nan=0.0)
        B[:, 0] = -B[:, 0]
        return B

    def _validate(self, X: Any, *, reset: bool) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            missing = [c for c in COLUMNS if c not in X.columns]
            if missing:
                found = ", ".join(map(str, X.columns[:8]))
                raise InputError(
                    f"RFMGrid needs columns {', '.join(map(repr, missing))} "
                    f"(found: {found}). Compute the RFM features first."
                )
            X = X.loc[:, list(COLUMNS)]
        elif np.ndim(X) == 2 and np.shape(X)[1] != len(COLUMNS):
            raise InputError(
                f"RFMGrid needs 3 columns ({', '.join(COLUMNS)}) in a plain array; "
                f"got {np.shape(X)[1]}."
            )
        return validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan",
                             reset=reset)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
