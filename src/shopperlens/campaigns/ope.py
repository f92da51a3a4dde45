"""Off-policy evaluation: what a new allocation policy would earn, from logged decisions.

Logs hold, per decision, the segment, the variant chosen, the propensity with which it
was chosen and the reward. A new ``policy`` gives, per segment, the probability of each
variant. :func:`policy_value` estimates its mean reward two ways, each with a normal 95%
interval (both estimators are means of independent per-decision terms):

- IPW: reward x pi(variant | segment) / propensity.
- Doubly robust: the reward model's value of the policy plus the IPW-weighted residual;
  the reward model is the mean reward per segment and variant, cross-fitted on two folds
  so no decision's own reward enters its prediction.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.errors import InputError

__all__ = ["PROPENSITY", "REWARD", "policy_value"]

PROPENSITY, REWARD = "propensity", "reward"
Policy = Mapping[Any, Mapping[str, float]]  # segment -> variant -> probability


def policy_value(logs: pd.DataFrame, policy: Policy, level: float = 0.95,
                 seed: int = 0) -> dict[str, float]:
    """IPW and doubly robust estimates of ``policy``'s mean reward, with intervals, and
    the logged policy's own mean reward (``logged``)."""
    if (logs[PROPENSITY] <= 0).any():
        raise InputError("Every logged decision needs a propensity above 0; a zero means "
                         "the logged policy could never have made it.")
    pi = _target_probabilities(logs, policy)
    w = pi / logs[PROPENSITY].to_numpy(dtype=float)
    r = logs[REWARD].to_numpy(dtype=float)
    q_taken, q_policy = _cross_fitted(logs, policy, seed)
    out = {"decisions": float(len(logs)), "logged": float(r.mean())}
    out.update(_mean_interval("ipw", w * r, level))
    out.update(_mean_interval("dr", q_policy + w * (r - q_taken), level))
    return out


def _target_probabilities(logs: pd.DataFrame, policy: Policy) -> np.ndarray:
    segments, variants = logs[s.SEGMENT_ID].tolist(), logs[s.VARIANT].tolist()
    missing = sorted({str(g) for g in segments if g not in policy})
    if missing:
        raise InputError(f"The policy says nothing for segment(s) {', '.join(missing[:5])}; "
                         "give every logged segment its variants' probabilities.")
    return np.array([policy[g].get(v, 0.0) for g, v in zip(segments, variants, strict=True)])


def _cross_fitted(logs: pd.DataFrame, policy: Policy, seed: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The reward model's prediction for the variant taken, and its value under the
    policy, each from the other fold's means (backed by the variant's, then the overall)."""
    fold = np.random.default_rng(seed).integers(0, 2, len(logs))
    taken, under = np.zeros(len(logs)), np.zeros(len(logs))
    for k in (0, 1):
        train, rows = logs[fold != k], np.flatnonzero(fold == k)
        cell = train.groupby([s.SEGMENT_ID, s.VARIANT])[REWARD].mean().to_dict()
        arm = train.groupby(s.VARIANT)[REWARD].mean().to_dict()
        overall = float(train[REWARD].mean()) if len(train) else 0.0

        def q(g: object, v: str, cell: dict = cell, arm: dict = arm,
              overall: float = overall) -> float:
            return float(cell.get((g, v), arm.get(v, overall)))

        sub = logs.iloc[rows]
        taken[rows] = [q(g, v) for g, v in zip(sub[s.SEGMENT_ID], sub[s.VARIANT], strict=True)]
        under[rows] = [sum(p * q(g, v) for v, p in policy[g].items())
                       for g in sub[s.SEGMENT_ID]]
    return taken, under


def _mean_interval(name: str, terms: np.ndarray, level: float) -> dict[str, float]:
    mean = float(terms.mean())
    se = float(terms.std(ddof=1) / np.sqrt(len(terms))) if len(terms) > 1 else float("nan")
    half = NormalDist().inv_cdf(0.5 + level / 2) * se
    return {name: mean, f"{name}_low": mean - half, f"{name}_high": mean + half}
