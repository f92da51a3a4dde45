"""Seeded traffic for judging an allocator: its regret against an oracle's.

A population of customers, each with a true context (what drives their response: in the
demo, the persona) and the key the allocator sees (the segment ShopperLens gave them);
``rates[context, arm]`` is the true chance of the reward for each arm of
:attr:`ThompsonAllocator.arms <shopperlens.campaigns.bandit.ThompsonAllocator.arms>`
(the offers, then ``control``), and ``costs[arm]`` the cost of a send in reward units.

:func:`play` draws the traffic from one seed: which customer comes, whether the control
floor holds them out, and each arm's potential outcome. Two allocators played on the same
seed meet the same customers, the same hold-outs and the same outcomes (common random
numbers), so the difference in their regret is their choices', not the luck of the draw.

Regret is the pseudo-regret of the choices made freely: for each decision not held out
by the floor, the best arm's expected net reward for the customer's true context minus
that of the arm chosen. Held-out decisions are left out: any policy under the same floor
pays them alike (their cost is returned apart, as ``floor_regret``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.campaigns.bandit import ThompsonAllocator
from shopperlens.campaigns.ope import PROPENSITY, REWARD
from shopperlens.errors import InputError

__all__ = ["Played", "play"]


@dataclass(frozen=True)
class Played:
    """What one allocator did on one seed's traffic."""

    regret: float  # over the decisions made freely (not held out by the floor)
    floor_regret: float  # the cost of the held-out decisions, the same for any policy
    control_chosen: np.ndarray  # per context: share of free decisions that sent nothing
    log: pd.DataFrame  # the first ``logged`` decisions: segment, variant, propensity, reward


def play(allocator: ThompsonAllocator, seen: np.ndarray, context: np.ndarray,
         rates: np.ndarray, decisions: int, seed: int, logged: int = 0) -> Played:
    """Play ``decisions`` customers drawn from the population (``seen[i]``: the key the
    allocator is given for customer i, ``context[i]``: the row of ``rates`` that holds
    their true response) through ``allocator``, on traffic drawn from ``seed``."""
    rates = np.asarray(rates, dtype=float)
    if rates.shape[1] != len(allocator.arms):
        raise InputError(f"rates has {rates.shape[1]} arms; the allocator has "
                         f"{len(allocator.arms)} ({', '.join(allocator.arms)}).")
    net = rates - allocator.costs
    best = net.max(axis=1)
    rng = np.random.default_rng(seed)
    who = rng.integers(0, len(seen), decisions)
    floor = rng.random(decisions) < allocator.control_share
    luck = rng.random(decisions)  # one potential outcome per decision, for every arm
    regret = floor_regret = 0.0
    free = np.zeros(len(rates))
    nothing = np.zeros(len(rates))
    control = len(allocator.arms) - 1
    log = []
    for k in range(decisions):
        key, c = seen[who[k]].item(), int(context[who[k]])
        chance = allocator.propensities(key) if k < logged else None
        variant = allocator.predict_one(key, held_out=bool(floor[k]))
        arm = allocator.arms.index(variant)
        reward = float(luck[k] < rates[c, arm])
        allocator.learn_one(key, variant, reward)
        if floor[k]:
            floor_regret += best[c] - net[c, arm]
        else:
            regret += best[c] - net[c, arm]
            free[c] += 1
            nothing[c] += arm == control
        if chance is not None:
            log.append((key, variant, chance[variant], reward))
    with np.errstate(invalid="ignore"):
        share = nothing / free
    return Played(regret, floor_regret, share,
                  pd.DataFrame(log, columns=[s.SEGMENT_ID, s.VARIANT, PROPENSITY, REWARD]))
