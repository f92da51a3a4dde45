"""What the BTYD estimators share: parameter checks, the optimiser, standard errors."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.base import BaseEstimator

from shopperlens._params import Interval, check_params
from shopperlens.errors import ConvergenceWarning, InputError, NotFittedError

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
# Mean log-likelihood and its gradient in natural parameters (gradient may be unused).
MeanLL = Callable[[np.ndarray], tuple[float, np.ndarray]]


class BTYDBase(BaseEstimator):  # type: ignore[misc]
    """Shared fit machinery. Subclasses define ``_names``, ``_columns`` and the likelihood."""

    _names: tuple[str, ...] = ()
    _columns: tuple[str, ...] = ()
    _constraints: dict[str, Interval] = {
        "penalizer": Interval(float, 0.0),
        "tol": Interval(float, 0.0, low_open=True),
        "max_iter": Interval(int, 1),
    }

    def _validate_params(self) -> None:
        check_params(self, self._constraints)

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "a summary frame before using this estimator."
            )

    def _param_array(self) -> np.ndarray:
        self._check_fitted()
        return np.array([self.params_[k] for k in self._names], dtype=np.float64)

    def _store_fit(self, theta: np.ndarray, mean_ll: MeanLL, total: float,
                   with_grad: bool,
                   mean_value: Callable[[np.ndarray], float] | None = None) -> None:
        """Set the fitted attributes from the optimum ``theta`` (log-parameters).

        ``mean_value``, when given, is the mean log-likelihood alone: the Hessian by
        second differences then costs one evaluation per point, not the 2k + 1 of a
        ``mean_ll`` whose gradient is numerical (Pareto/NBD: about 40% of a run).
        """

        def nll(t: np.ndarray) -> float:
            value = mean_value(np.exp(t)) if mean_value else mean_ll(np.exp(t))[0]
            return -float(value) * total

        def grad(t: np.ndarray) -> np.ndarray:
            return -np.asarray(mean_ll(np.exp(t))[1]) * np.exp(t) * total

        params = np.exp(theta)
        self.params_ = {k: float(v) for k, v in zip(self._names, params, strict=True)}
        self.log_likelihood_ = -nll(theta)
        self.standard_errors_ = standard_errors(
            nll, theta, self._names, total_grad=grad if with_grad else None)
        self.n_customers_ = round(total)


def compress(columns: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Collapse identical customer rows into one row with a weight (its count).

    Customers with the same summary contribute the same likelihood term; with day-level
    data most large customer bases collapse several-fold.
    """
    counts = pd.DataFrame(columns).value_counts(sort=False)
    levels = counts.index.to_frame(index=False)
    unique = {k: levels[k].to_numpy(np.float64) for k in columns}
    return unique, counts.to_numpy(np.float64)


def maximise(
    objective: Objective, theta0: np.ndarray, *, tol: float, max_iter: int, name: str
) -> np.ndarray:
    """Minimise a mean negative log-likelihood over log-parameters with BFGS.

    Working in ``log`` space keeps every parameter positive without bounds, and the
    objective is a *mean* so that ``tol`` means the same for 100 or 10 million customers.
    """
    with np.errstate(all="ignore"):  # trial steps may leave the finite region
        result = minimize(objective, theta0, jac=True, method="BFGS",
                          options={"maxiter": max_iter, "gtol": tol})
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise InputError(f"{name}: the likelihood is not finite at the optimum; check X.")
    # BFGS reports "precision loss" when the line search cannot improve the last digits;
    # with a small gradient that is convergence, not failure.
    settled = result.status == 2 and np.max(np.abs(result.jac)) < max(tol, 1e-6) * 100
    if not (result.success or settled):
        warnings.warn(
            f"{name} did not converge in max_iter={max_iter} iterations "
            f"({result.message}); raise max_iter or check the data.",
            ConvergenceWarning, stacklevel=3,
        )
    return np.asarray(result.x, dtype=np.float64)


def numeric_gradient(f: Callable[[np.ndarray], float], theta: np.ndarray,
                     step: float = 1e-6) -> np.ndarray:
    """Central-difference gradient, for likelihoods without a closed-form one."""
    grad = np.empty_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = step
        grad[i] = (f(theta + e) - f(theta - e)) / (2 * step)
    return grad


def standard_errors(total_nll: Callable[[np.ndarray], float], theta: np.ndarray,
                    names: tuple[str, ...], *,
                    total_grad: Callable[[np.ndarray], np.ndarray] | None = None,
                    step: float = 1e-4) -> dict[str, float]:
    """Standard errors from the inverse of the numerical Hessian at the optimum.

    The Hessian of the total negative log-likelihood is taken in log-parameters, by
    central differences of the gradient when one is given (``2k`` evaluations) and by
    second differences of the function otherwise. By the delta method
    ``se(p) = p * se(log p)``, exact at the optimum where the gradient vanishes. NaN
    where the Hessian is not positive definite.
    """
    # at a capped (degenerate) optimum a neighbour's likelihood may be infinite: the
    # Hessian is then not finite and the errors are NaN, not a warning
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        hess = (_hessian_from_grad(total_grad, theta, step) if total_grad is not None
                else _hessian_from_value(total_nll, theta, step * 10))
    try:
        var = (np.diag(np.linalg.inv(hess)) if np.isfinite(hess).all()
               else np.full(len(theta), np.nan))
    except np.linalg.LinAlgError:
        var = np.full(len(theta), np.nan)
    with np.errstate(invalid="ignore"):
        se = np.exp(theta) * np.sqrt(np.where(var > 0, var, np.nan))
    return {name: float(v) for name, v in zip(names, se, strict=True)}


def _hessian_from_grad(grad: Callable[[np.ndarray], np.ndarray], theta: np.ndarray,
                       step: float) -> np.ndarray:
    eye = np.eye(len(theta)) * step
    rows = [(grad(theta + e) - grad(theta - e)) / (2 * step) for e in eye]
    hess = np.array(rows)
    return (hess + hess.T) / 2


def _hessian_from_value(f: Callable[[np.ndarray], float], theta: np.ndarray,
                        step: float) -> np.ndarray:
    k = len(theta)
    hess, f0, eye = np.empty((k, k)), f(theta), np.eye(k) * step
    for i in range(k):
        for j in range(i, k):
            if i == j:
                val = f(theta + eye[i]) - 2 * f0 + f(theta - eye[i])
            else:
                val = (f(theta + eye[i] + eye[j]) - f(theta + eye[i] - eye[j])
                       - f(theta - eye[i] + eye[j]) + f(theta - eye[i] - eye[j])) / 4
            hess[i, j] = hess[j, i] = val / step**2
    return hess


def penalised(mean_ll: MeanLL, penalizer: float) -> Objective:
    """Objective ``-mean LL + penalizer * sum(params**2)`` (lifetimes' L2 penalty) in log space.

    ``mean_ll`` returns the mean log-likelihood and its gradient in natural parameters.
    """

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(theta)
        with np.errstate(all="ignore"):
            value, grad = mean_ll(params)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return math.inf, np.zeros_like(theta)  # L-BFGS-B backtracks from here
        value = -value + penalizer * float(np.sum(params**2))
        return value, -grad * params + 2 * penalizer * params**2

    return objective
