"""Vectorised, log-space log-likelihoods of the BTYD models and their gradients.

Every function takes natural-scale parameters and per-customer arrays and returns the
per-customer log-likelihood (and, where given, its gradient with respect to the
parameters, one row per parameter). Everything is evaluated in logs (``gammaln``,
``logaddexp``, ``log1p``) so that customers with hundreds of purchases or parameters far
from the optimum give finite values instead of ``inf / inf``.

References
----------
.. [FHL05] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers"
   the easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.
.. [FH05] Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model
   and related expressions. http://brucehardie.com/notes/009/
.. [FHL05b] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using
   iso-value curves for customer base analysis. Journal of Marketing Research 42(4),
   415-430; and Fader & Hardie (2013), The Gamma-Gamma model of monetary value,
   http://brucehardie.com/notes/025/
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, expit, gammaln, hyp2f1


@dataclass(frozen=True)
class Grouped:
    """A column as its distinct values plus each row's index into them.

    Frequencies, recencies and ages of day-level data take few distinct values (at most
    one per day), so costly functions of one column (``gammaln``, ``log``) are evaluated
    once per distinct value and gathered, which makes the fits several times faster.
    """

    unique: np.ndarray
    index: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> Grouped:
        unique, index = np.unique(values, return_inverse=True)
        return cls(unique, index.ravel(), unique[index.ravel()])

    def map(self, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        return np.asarray(fn(self.unique))[self.index]


def bg_nbd_loglik(
    params: np.ndarray, x: Grouped, tx: Grouped, T: Grouped
) -> tuple[np.ndarray, np.ndarray]:
    """BG/NBD log-likelihood per customer and its gradient in (r, alpha, a, b).

    [FHL05] equation (6)::

        L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
            + [x>0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

    written as ``A1 + A2 + log(exp(A3) + [x>0] exp(A4))`` because
    ``B(a+1, b+x-1) / B(a, b+x) = a / (b+x-1)``.
    """
    r, alpha, a, b = params
    xs = x.values
    rx, repeat = r + xs, xs > 0
    head = x.map(lambda u: gammaln(r + u) - gammaln(r) + gammaln(a + b) + gammaln(b + u)
                 - gammaln(b) - gammaln(a + b + u)) + r * np.log(alpha)
    log_at, log_atx = T.map(lambda u: np.log(alpha + u)), tx.map(lambda u: np.log(alpha + u))
    # b + x - 1 may be < 0 when x = 0, where the second term is absent anyway.
    log_a_bx1 = x.map(lambda u: np.log(a) - np.log(np.where(u > 0, b + u - 1.0, 1.0)))
    # A4 - A3 on repeat customers only: functions of -inf take numpy's slow path.
    gap = (log_a_bx1 - rx * (log_atx - log_at))[repeat]
    softplus = np.zeros_like(xs)
    softplus[repeat] = np.maximum(gap, 0.0) + np.log1p(np.exp(-np.abs(gap)))
    tail = -rx * log_at + softplus
    w4 = np.zeros_like(xs)
    w4[repeat] = expit(gap)  # share of the second term; the first has 1 - w4
    w3 = 1.0 - w4
    d_r = x.map(lambda u: digamma(r + u) - digamma(r)) + np.log(alpha)
    d_r -= w3 * log_at + w4 * log_atx
    d_alpha = r / alpha - w3 * rx * T.map(lambda u: 1 / (alpha + u))
    d_alpha -= w4 * rx * tx.map(lambda u: 1 / (alpha + u))
    d_a = x.map(lambda u: digamma(a + b) - digamma(a + b + u)) + w4 / a
    d_b = x.map(lambda u: digamma(a + b) + digamma(b + u) - digamma(b) - digamma(a + b + u))
    d_b -= w4 * x.map(lambda u: 1 / np.where(u > 0, b + u - 1.0, 1.0))
    return head + tail, np.stack([d_r, d_alpha, d_a, d_b])


def log_hyp2f1_a_b_a1(a: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``log 2F1(a, b; a + 1; z)`` for ``0 <= z < 1``, without overflow.

    Euler's transformation gives ``2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z)``.
    In the Pareto/NBD terms ``a + 1 - b`` is ``r + x`` or ``s + 1``, so the second series
    has positive terms below ``z^n`` and lies in ``[1, 1/(1-z))``: it never overflows, and
    the large power ``(1-z)^(1-b)`` is taken in logs. The direct series overflows for a
    customer with a few hundred purchases, and Pfaff's form loses accuracy in scipy's
    ``hyp2f1`` (checked against quadrature of Euler's integral over 2,000 random draws).
    """
    d, c = np.broadcast_arrays(a + 1.0 - b, a + 1.0)
    z = np.broadcast_to(z, d.shape)
    with np.errstate(all="ignore"):
        h = np.asarray(hyp2f1(1.0, d, c, z), dtype=np.float64)
    # The series lies in [1, 1/(1-z)]; scipy's hyp2f1 occasionally returns inf or a wrong
    # value (e.g. 2F1(1, 1; 101; 10/11) = inf in scipy 1.17), so re-sum those directly.
    bad = ~((h >= 1.0) & (h * (1.0 - z) <= 1.0 + 1e-12))
    if np.any(bad):
        h = h.copy()
        h[bad] = _series_1_d_c(d[bad], c[bad], z[bad])
    return (1.0 - b) * np.log1p(-z) + np.log(h)


def hyp2f1_checked(A: np.ndarray, B: np.ndarray, C: np.ndarray, z: np.ndarray) -> np.ndarray:
    """scipy's ``hyp2f1`` for ``0 <= z < 1``, re-summed as the Gauss series where scipy
    returns a non-finite value (it does, e.g., for ``2F1(-0.5, -0.5; 99; 0.9)``)."""
    A, B, C, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (A, B, C, z)))
    with np.errstate(all="ignore"):
        h = np.asarray(hyp2f1(A, B, C, z), dtype=np.float64)
    bad = ~np.isfinite(h)
    if np.any(bad):
        h = h.copy()
        total, term = np.ones(int(bad.sum())), np.ones(int(bad.sum()))
        a, b, c, w = A[bad], B[bad], C[bad], z[bad]
        # where even the series overflows (parameters the optimiser probes far from any
        # optimum), inf is the answer, as scipy's: that likelihood is rejected
        with np.errstate(over="ignore", invalid="ignore"):
            for n in range(100_000):
                term = term * (a + n) * (b + n) / ((c + n) * (n + 1)) * w
                total += term
                if n > 5 and np.all(np.abs(term) <= 1e-17 * np.abs(total)):
                    break
        h[bad] = total
    return h


def _series_1_d_c(d: np.ndarray, c: np.ndarray, z: np.ndarray, max_terms: int = 2000) -> np.ndarray:
    """``2F1(1, d; c; z) = sum_n (d)_n / (c)_n z^n`` for ``0 < d < c``, ``0 <= z < 1``.

    Positive terms whose ratio ``z (d+n)/(c+n)`` rises towards ``z``: summed until they
    stop counting, or for ``max_terms`` terms, after which the tail is bracketed by
    geometric series of the current ratio and of ``z`` and their mean is added. That
    only happens for ``z`` within about ``1e-4`` of 1, which the optimiser meets when it
    probes extreme parameters, not at a fitted optimum.
    """
    total, term = np.ones_like(z), np.ones_like(z)
    for n in range(max_terms):
        term = term * (d + n) / (c + n) * z
        total += term
        if np.all(term <= 1e-17 * total):
            return total
    ratio = z * (d + max_terms) / (c + max_terms)
    low, high = ratio / (1.0 - ratio), z / (1.0 - z)
    return total + term * (low + high) / 2.0


def pareto_log_a0(
    params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """``log A_0`` of [FH05] equations (19) and (20), ``-inf`` where ``t_x = T``.

    ``A_0 / (r+s+x)`` equals ``int_{t_x}^{T} (alpha+y)^-(r+x) (beta+y)^-(s+1) dy``; each
    bound is ``2F1(r+s+x, b'; r+s+x+1; |alpha-beta| / (max+y)) / (max+y)^(r+s+x)`` with
    ``b' = s+1`` when ``alpha >= beta`` and ``b' = r+x`` otherwise, and the difference is
    taken as ``L1 + log(1 - exp(L2 - L1))``.
    """
    r, alpha, s, beta = params
    rsx = r + s + x
    if alpha >= beta:
        big, small, bb = alpha, beta, s + 1.0 + 0.0 * x
    else:
        big, small, bb = beta, alpha, r + x
    gap = big - small

    def bound(y: np.ndarray) -> np.ndarray:
        return log_hyp2f1_a_b_a1(rsx, bb, gap / (big + y)) - rsx * np.log(big + y)

    low, high = bound(tx), bound(T)
    with np.errstate(divide="ignore"):
        # t_x = T gives log(0) = -inf on purpose: the integral is empty.
        return low + np.log(-np.expm1(np.minimum(high - low, 0.0)))


def pareto_nbd_loglik(
    params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Pareto/NBD log-likelihood per customer, [FH05] equation (18)::

        L = G(r+x) alpha^r beta^s / G(r) * { 1 / ((alpha+T)^(r+x) (beta+T)^s)
                                              + s / (r+s+x) * A_0 }
    """
    r, alpha, s, beta = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) - np.log(r + s + x) + pareto_log_a0(params, x, tx, T)
    return head + np.logaddexp(alive, died)


def gamma_gamma_loglik(
    params: np.ndarray, x: Grouped, m: np.ndarray, log_m: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Gamma-Gamma log-likelihood of mean spend ``m`` over ``x`` purchases, and gradient.

    [FHL05b] appendix / Fader & Hardie (2013) equation (1a), the density of the mean of
    ``x`` Gamma(p, nu) spends with ``nu ~ Gamma(q, gamma)``::

        f(m | x) = G(px+q) / (G(px) G(q)) * gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q)

    ``log_m`` (``log(m)``) may be passed in by the fit so it is computed once.
    """
    p, q, v = params
    xs = x.values
    log_m = np.log(m) if log_m is None else log_m
    mx = m * xs
    log_gm = np.log(v + mx)
    px = p * xs
    ll = (x.map(lambda u: gammaln(p * u + q) - gammaln(p * u) - gammaln(q) + p * u * np.log(u))
          + q * np.log(v) + (px - 1.0) * log_m - (px + q) * log_gm)
    d_p = x.map(lambda u: u * (digamma(p * u + q) - digamma(p * u) + np.log(u)))
    d_p += xs * (log_m - log_gm)
    d_q = x.map(lambda u: digamma(p * u + q) - digamma(q)) + np.log(v) - log_gm
    d_v = q / v - (px + q) / (v + mx)
    return ll, np.stack([d_p, d_q, d_v])
