"""Adaptive allocation of offers: Thompson sampling per segment, with a control floor.

:class:`ThompsonAllocator` is a small streaming model in River's style:
``predict_one(segment)`` picks a variant for one customer of that segment,
``learn_one(segment, variant, reward)`` folds in what happened (a reward in [0, 1], e.g.
ordered in the window). Each (segment, offer) has a Beta posterior; a customer is held
out as ``control`` with probability ``control_share`` whatever the posteriors say, so
the control group is never starved and effects stay measurable. Every decision comes
with its propensity, logged for off-policy evaluation (:mod:`~shopperlens.campaigns.ope`).

>>> bandit = ThompsonAllocator(["a", "b"], control_share=0.1, seed=1)
>>> bandit.learn_one("s1", "a", 1.0)
>>> bandit.predict_one("s1") in {"a", "b", "control"}
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence

import numpy as np

from shopperlens._params import Interval, check_params
from shopperlens.campaigns.holdout import CONTROL
from shopperlens.errors import InputError

__all__ = ["ThompsonAllocator"]


class ThompsonAllocator:
    """Beta-Bernoulli Thompson sampling over ``variants`` per segment (see the module).

    ``control_share``: the share of decisions that are ``control``, always;
    ``prior``: the Beta prior's (successes, failures) of every arm;
    ``draws``: Monte Carlo draws behind :meth:`propensities`.
    """

    def __init__(self, variants: Sequence[str], control_share: float = 0.1,
                 prior: tuple[float, float] = (1.0, 1.0), seed: int = 0,
                 draws: int = 2000) -> None:
        check_params("ThompsonAllocator", {
            "control_share": Interval(float, 0.0, 1.0),
            "draws": Interval(int, 1)}, {"control_share": control_share, "draws": draws})
        offers = [v for v in dict.fromkeys(variants) if v != CONTROL]
        if not offers:
            raise InputError("The allocator needs at least one offer besides 'control'.")
        self.variants, self.control_share, self.prior = offers, control_share, prior
        self.draws = draws
        self.rng = np.random.default_rng(seed)
        self.counts: dict[Hashable, np.ndarray] = {}  # segment -> (arms, 2): wins, losses

    def _posterior(self, segment: Hashable) -> np.ndarray:
        if segment not in self.counts:
            self.counts[segment] = np.tile(np.asarray(self.prior, dtype=float),
                                           (len(self.variants), 1))
        return self.counts[segment]

    def predict_one(self, segment: Hashable, held_out: bool | None = None) -> str:
        """The variant for one customer of ``segment``. ``held_out``: the customer's
        persistent hold-out (:func:`~shopperlens.campaigns.held_out` with the same share),
        used instead of a coin so a customer stays in control send after send."""
        coin = self.rng.random() < self.control_share if held_out is None else held_out
        if coin:
            return CONTROL
        ab = self._posterior(segment)
        return self.variants[int(np.argmax(self.rng.beta(ab[:, 0], ab[:, 1])))]

    def learn_one(self, segment: Hashable, variant: str, reward: float) -> None:
        """Fold in one outcome; control outcomes inform no offer's posterior."""
        if not 0.0 <= reward <= 1.0:
            raise InputError(f"A reward is between 0 and 1 (e.g. 1 = ordered); got {reward}.")
        if variant == CONTROL:
            return
        if variant not in self.variants:
            raise InputError(f"Unknown variant {variant!r}; the allocator's offers are "
                             f"{', '.join(self.variants)} (and 'control').")
        ab = self._posterior(segment)
        i = self.variants.index(variant)
        ab[i, 0] += reward
        ab[i, 1] += 1.0 - reward

    def propensities(self, segment: Hashable) -> dict[str, float]:
        """The probability of each variant for ``segment`` now (Monte Carlo, seeded by
        the posterior so the same state always gives the same answer)."""
        ab = self._posterior(segment)
        digest = hashlib.sha256(ab.tobytes()).digest()  # not hash(): salted per process
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        wins = np.argmax(rng.beta(ab[:, 0], ab[:, 1], size=(self.draws, len(ab))), axis=1)
        share = np.bincount(wins, minlength=len(ab)) / self.draws
        offered = zip(self.variants, share, strict=True)
        out = {v: float((1 - self.control_share) * p) for v, p in offered}
        return {CONTROL: self.control_share, **out}
