"""Adaptive allocation of offers: Thompson sampling per segment, with a control floor.

:class:`ThompsonAllocator` is a small streaming model in River's style:
``predict_one(segment)`` picks a variant for one customer of that segment,
``learn_one(segment, variant, reward)`` folds in what happened (a reward in [0, 1], e.g.
ordered in the window). Each (segment, variant) has a Beta posterior, ``control`` (no
send) included. A customer is held out as ``control`` with probability
``control_share`` whatever the posteriors say, so the control group is never starved
and effects stay measurable; the others go to the variant whose posterior draw, less
its cost of a send, is highest, and that may be ``control`` too: when no offer beats
sending nothing, the allocator learns to send nothing. Every decision comes with its
propensity, logged for off-policy evaluation (:mod:`~shopperlens.campaigns.ope`).

>>> bandit = ThompsonAllocator(["a", "b"], control_share=0.1, seed=1)
>>> bandit.learn_one("s1", "a", 1.0)
>>> bandit.predict_one("s1") in {"a", "b", "control"}
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from shopperlens._params import Interval, check_params
from shopperlens.campaigns.holdout import CONTROL
from shopperlens.errors import InputError

__all__ = ["ThompsonAllocator"]


class ThompsonAllocator:
    """Beta-Bernoulli Thompson sampling over ``variants`` and ``control`` per segment
    (see the module).

    ``control_share``: the share of decisions that are ``control``, always (the floor);
    ``prior``: the Beta prior's (successes, failures) of every arm;
    ``costs``: per offer, the cost of a send in units of the reward (e.g. the cost over
    the value of an order when the reward is "ordered"); 0 when not given. An offer is
    chosen over sending nothing only when its sampled rate beats control's by its cost;
    ``draws``: Monte Carlo draws behind :meth:`propensities`.
    """

    def __init__(self, variants: Sequence[str], control_share: float = 0.1,
                 prior: tuple[float, float] = (1.0, 1.0), seed: int = 0,
                 draws: int = 2000, costs: Mapping[str, float] | None = None) -> None:
        check_params("ThompsonAllocator", {
            "control_share": Interval(float, 0.0, 1.0),
            "draws": Interval(int, 1)}, {"control_share": control_share, "draws": draws})
        offers = [v for v in dict.fromkeys(variants) if v != CONTROL]
        if not offers:
            raise InputError("The allocator needs at least one offer besides 'control'.")
        costs = dict(costs or {})
        if unknown := set(costs) - set(offers):
            raise InputError(f"Costs given for {', '.join(sorted(unknown))}, which are not "
                             f"among the offers {', '.join(offers)}.")
        self.variants, self.control_share, self.prior = offers, control_share, prior
        self.draws = draws
        # the arms: the offers, then control (no send, no cost)
        self.arms = [*offers, CONTROL]
        self.costs = np.array([float(costs.get(v, 0.0)) for v in offers] + [0.0])
        self.rng = np.random.default_rng(seed)
        self.counts: dict[Hashable, np.ndarray] = {}  # segment -> (arms, 2): wins, losses

    def _posterior(self, segment: Hashable) -> np.ndarray:
        if segment not in self.counts:
            self.counts[segment] = np.tile(np.asarray(self.prior, dtype=float),
                                           (len(self.arms), 1))
        return self.counts[segment]

    def predict_one(self, segment: Hashable, held_out: bool | None = None) -> str:
        """The variant for one customer of ``segment``. ``held_out``: the customer's
        persistent hold-out (:func:`~shopperlens.campaigns.held_out` with the same share),
        used instead of a coin so a customer stays in control send after send."""
        coin = self.rng.random() < self.control_share if held_out is None else held_out
        if coin:
            return CONTROL
        ab = self._posterior(segment)
        return self.arms[int(np.argmax(self.rng.beta(ab[:, 0], ab[:, 1]) - self.costs))]

    def learn_one(self, segment: Hashable, variant: str, reward: float) -> None:
        """Fold in one outcome. Control's outcomes, held out or chosen, inform the
        posterior of sending nothing (the hold-out is random, so they are unbiased)."""
        if not 0.0 <= reward <= 1.0:
            raise InputError(f"A reward is between 0 and 1 (e.g. 1 = ordered); got {reward}.")
        if variant not in self.arms:
            raise InputError(f"Unknown variant {variant!r}; the allocator's offers are "
                             f"{', '.join(self.variants)} (and 'control').")
        ab = self._posterior(segment)
        i = self.arms.index(variant)
        ab[i, 0] += reward
        ab[i, 1] += 1.0 - reward

    def propensities(self, segment: Hashable) -> dict[str, float]:
        """The probability of each variant for ``segment`` now (Monte Carlo, seeded by
        the posterior so the same state always gives the same answer)."""
        ab = self._posterior(segment)
        digest = hashlib.sha256(ab.tobytes()).digest()  # not hash(): salted per process
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        draws = rng.beta(ab[:, 0], ab[:, 1], size=(self.draws, len(ab))) - self.costs
        share = np.bincount(np.argmax(draws, axis=1), minlength=len(ab)) / self.draws
        free = {v: float((1 - self.control_share) * p)
                for v, p in zip(self.arms, share, strict=True)}
        return {**free, CONTROL: self.control_share + free[CONTROL]}
