"""Parameter constraints and input helpers shared by the segmentation estimators.

scikit-learn's ``_param_validation`` is private, so each estimator declares a small
``_constraints`` table of ``name -> (predicate, wording)`` and calls :func:`check_params`
at the start of ``fit``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError as _SklearnNotFitted
from sklearn.utils.validation import check_is_fitted

from shopperlens.errors import ConfigError, NotFittedError

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


def check_params(estimator: Any, constraints: Mapping[str, Constraint]) -> None:
    """Raise :class:`ConfigError` naming the first parameter that breaks its constraint."""
    params = estimator.get_params(deep=False)
    for name, (ok, wording) in constraints.items():
        value = params[name]
        try:
            valid = bool(ok(value))
        except (TypeError, ValueError):
            valid = False
        if not valid:
            raise ConfigError(
                f"{type(estimator).__name__} got {name}={value!r}; "
                f"expected {wording}."
            )


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
                   formatter: Callable[[float], str] | None = None) -> np.ndarray:
    """``formatter`` (default :func:`format_number`) of each value, as an object array,
    formatting each distinct value once: customers share most feature values (order
    counts, days).

    >>> format_numbers(np.array([3.0, 1247.3, 3.0, np.nan, -0.0, 0.0])).tolist()
    ['3', '1,250', '3', 'missing', '0', '0']
    """
    # + 0.0 turns -0.0 into 0.0: np.unique would show whichever of the two came first
    distinct, inverse = np.unique(np.asarray(values, dtype=np.float64) + 0.0,
                                  return_inverse=True)
    formatter = formatter or format_number
    return np.array([formatter(v) for v in distinct], dtype=object)[inverse.ravel()]


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
