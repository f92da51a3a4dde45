"""Parameter constraints and input helpers shared by the segmentation estimators.

scikit-learn's ``_param_validation`` is private, so each estimator declares a small
``_constraints`` table of ``name -> (predicate, wording)`` and calls
:func:`shopperlens._params.check_params` (the one parameter check of the package) at the
start of ``fit``; the predicates below are the segmentation estimators' own.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.exceptions import NotFittedError as _SklearnNotFitted
from sklearn.utils.validation import check_is_fitted

from shopperlens.errors import NotFittedError

Constraint = tuple[Callable[[Any], bool], str]


def is_int(value: Any) -> bool:
    """True for integers (not booleans)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for real numbers (not booleans)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def in_unit_interval(value: Any) -> bool:
    """True for a real number in [0, 1]."""
    return is_real(value) and 0.0 <= float(value) <= 1.0


def is_seed(value: Any) -> bool:
    """True for what ``check_random_state`` accepts."""
    return value is None or is_int(value) or isinstance(value, np.random.RandomState)


def ensure_fitted(estimator: Any) -> None:
    """``check_is_fitted`` that raises ShopperLens' :class:`NotFittedError`."""
    try:
        check_is_fitted(estimator)
    except _SklearnNotFitted as exc:
        raise NotFittedError(str(exc)) from None


def feature_names(estimator: Any) -> list[str]:
    """Column names seen in ``fit``, or ``x0, x1, ...`` for plain arrays."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    return [f"x{i}" for i in range(estimator.n_features_in_)]


def format_numbers(values: np.ndarray,
                   formatter: Callable[[float], str] | None = None,
                   decimals: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """``formatter`` (default :func:`format_number`) of each value, as an object array.

    ``decimals`` gives the decimal places the formatter shows of each value
    (vectorised; default :func:`shown_decimals`, those of :func:`format_number`).
    Values that show the same (the same places, the same rounding cell and side of its
    half) are formatted once: a million spends hold a few thousand displays. Values
    within a hair of a half are formatted on their own, as the formatter rounds them.

    >>> format_numbers(np.array([3.0, 1247.3, 3.0, np.nan, -0.0, 0.0, 1251.0])).tolist()
    ['3', '1,250', '3', 'missing', '0', '0', '1,250']
    """
    # + 0.0 turns -0.0 into 0.0, which would show as "-0" or "0" by whichever came first
    values = np.asarray(values, dtype=np.float64) + 0.0
    formatter = formatter or format_number
    finite = np.isfinite(values)
    with np.errstate(all="ignore"):  # non-finite values go through as they are
        places = np.where(finite, (decimals or shown_decimals)(values), 0)
        scaled = values * 10.0 ** places
        cell = np.floor(scaled)
        # near a half, or too small for the scaling: formatted one by one
        tie = (np.abs(scaled - cell - 0.5) < 1e-6) | ((values != 0) & (np.abs(values) < 1e-250))
        # non-finite values and ties are keyed by themselves
        key = np.where(finite & ~tie, 2 * cell + (scaled - cell > 0.5), values)
    missing = np.isnan(values)  # NaN never equals itself: keyed apart by its places
    key, places = np.where(missing, 0.0, key), np.where(missing, -1000, places)
    # (places, key) pairs as complex numbers: NumPy sorts those by both parts, fast
    pairs = np.empty(len(values), dtype=complex)
    pairs.real, pairs.imag = places, key
    _, first, inverse = np.unique(pairs, return_index=True, return_inverse=True)
    texts = [formatter(v) for v in values[first].tolist()]
    shown = np.array(texts, dtype=object)[inverse.ravel()]
    for k in np.flatnonzero(tie & finite):  # as the formatter rounds them
        shown[k] = formatter(float(values[k]))
    return shown


def shown_decimals(values: np.ndarray) -> np.ndarray:
    """Decimal places :func:`format_number` shows of each value (negative: rounded to
    tens, hundreds, ...).

    >>> shown_decimals(np.array([0.8567, 12.34, 1247.3])).tolist()
    [2, 1, -1]
    """
    magnitude = np.abs(values)
    return np.where(magnitude < 1, 2, np.where(magnitude < 100, 1, significant_places(values)))


def significant_places(values: np.ndarray, figures: int = 3) -> np.ndarray:
    """Decimal places that keep ``figures`` significant figures of each value (0 for
    zero and non-finite values).

    >>> significant_places(np.array([0.001234, 12.34, 1247.3, 0.0])).tolist()
    [5, 1, -1, 0]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        places = figures - 1 - np.floor(np.log10(np.abs(values)))
    return np.where(np.isfinite(places), places, 0).astype(int)


def format_number(value: float) -> str:
    """Round a number for a marketer: 3 significant figures, thousands separators.

    Examples
    --------
    >>> format_number(1247.3), format_number(0.8567), format_number(12.0), format_number(0)
    ('1,250', '0.86', '12', '0')
    """
    if not np.isfinite(value):
        return "missing"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude < 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if magnitude < 100:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    digits = int(np.floor(np.log10(magnitude))) - 2
    return f"{round(value, -digits):,.0f}"


def join_present(parts: Sequence[pa.Array], separator: str) -> pa.Array:
    """Join each row's non-null parts with ``separator``; null where every part is null.

    Pyarrow's ``binary_join_element_wise(..., null_handling="skip")`` drops a row whose
    parts are all null (pyarrow 26), which shifted every later reason onto the wrong
    customer; pairwise joins with ``coalesce`` keep one output row per input row.

    >>> import pyarrow as pa
    >>> join_present([pa.array(["a", None, None]), pa.array(["b", None, "c"])], "; ").to_pylist()
    ['a; b', None, 'c']
    """
    joined = parts[0]
    for part in parts[1:]:
        both = pc.binary_join_element_wise(joined, part, separator)  # null if either is
        joined = pc.coalesce(both, joined, part)
    return joined


def top_columns(score: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns of the ``top`` highest scores per row, the first of equals first, and
    whether each score is positive (only those are named): what a stable arg-sort of
    the row gives for its positive scores, in a fraction of the time.

    >>> best, positive = top_columns(np.array([[1.0, 3.0, 3.0], [np.nan, 0.0, 2.0]]), 2)
    >>> best.tolist(), positive.tolist()
    ([[1, 2], [2, 1]], [[True, True], [True, False]])
    """
    score = np.where(np.isnan(score), -np.inf, score)
    rows = np.arange(len(score))
    shape = (len(score), min(top, score.shape[1]))
    best, positive = np.empty(shape, dtype=np.intp), np.empty(shape, dtype=bool)
    for rank in range(shape[1]):
        best[:, rank] = column = score.argmax(axis=1)
        positive[:, rank] = score[rows, column] > 0  # -inf once a row's scores run out
        score[rows, column] = -np.inf
    return best, positive
