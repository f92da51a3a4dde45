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
    Each label is a claim about every one of its customers, so a label is given only
    where its scores make the claim true (the claims are checked customer by customer in
    :func:`shopperlens.segmentation.claims.check_rfm`). The first row that holds wins;
    "orders" is the raw count, so a customer with one order is never called a repeat
    buyer, whatever ties do to the F score:

===================  ==============================================  ==================
label                condition                                       claims
===================  ==============================================  ==================
Champions            R = 5, F >= 4, M >= 4, orders >= 2              recent, frequent,
                                                                     high spend
Loyal                R >= 3, F >= 4, orders >= 2                     not lapsed,
                                                                     frequent
Potential loyalists  R >= 4, orders >= 2                             fairly recent,
                                                                     repeat
New                  R = 5, one order                                recent, one order
Promising            R >= 4                                          fairly recent
Need attention       R = 3, orders >= 2                              middling, repeat
About to sleep       R = 3                                           middling recency
Can't lose them      R <= 2, F >= 4, M >= 4, orders >= 2             lapsed, frequent,
                                                                     high spend
At risk              R <= 2, orders >= 2                             lapsed, repeat
Lost                 R = 1, F <= 2                                   long lapsed,
                                                                     few orders
Hibernating          R <= 2 (the rest)                               lapsed
===================  ==============================================  ==================

    R = 5 is the best fifth by days since the last order, as the data's quintiles put
    it: on a file where most customers lapsed long ago, R = 4 can mean a year without an
    order, which is why only R = 5 earns "recent". (Putler's classic grid of R x FM, which
    gave Champions to R = 4 and to FM = 4 with F = 2, made a third of CDNOW "Champions",
    702 of them with no order for over a year.)
"""

from __future__ import annotations

from collections.abc import Callable
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
# (label, condition on R, F, M scores and the raw order count), first match wins.
LABELS: tuple[tuple[str, Callable[..., np.ndarray]], ...] = (
    ("Champions", lambda r, f, m, n: (r == 5) & (f >= 4) & (m >= 4) & (n >= 2)),
    ("Loyal", lambda r, f, m, n: (r >= 3) & (f >= 4) & (n >= 2)),
    ("Potential loyalists", lambda r, f, m, n: (r >= 4) & (n >= 2)),
    ("New", lambda r, f, m, n: (r == 5) & (n < 2)),
    ("Promising", lambda r, f, m, n: r >= 4),
    ("Need attention", lambda r, f, m, n: (r == 3) & (n >= 2)),
    ("About to sleep", lambda r, f, m, n: r == 3),
    ("Can't lose them", lambda r, f, m, n: (r <= 2) & (f >= 4) & (m >= 4) & (n >= 2)),
    ("At risk", lambda r, f, m, n: (r <= 2) & (n >= 2)),
    ("Lost", lambda r, f, m, n: (r == 1) & (f <= 2)),
    ("Hibernating", lambda r, f, m, n: r >= 1),
)
SEGMENTS = tuple(label for label, _ in LABELS)
_N_SCORES = 5


def _edges(values: np.ndarray) -> np.ndarray:
    """Cut values so that ``1 + #(edges < x)`` is the min-rank quintile score of ``x``."""
    ordered = np.sort(values)
    n = len(ordered)
    ranks = -(-n * np.arange(1, _N_SCORES) // _N_SCORES)  # ceil(n k / 5), exact in integers
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
    ['Loyal', 'Need attention', 'Hibernating', 'Lost', 'No purchases']
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
        orders = np.nan_to_num(self._validate(X, reset=False)[:, 1])
        r, f, m = s[:, 0], s[:, 1], s[:, 2]
        conditions = [rule(r, f, m, orders) & (r > 0) for _, rule in LABELS]
        return np.select(conditions, list(SEGMENTS), default=NO_PURCHASES).astype(object)

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
