from __future__ import annotations

import numpy as np
import pytest

from shopperlens.campaigns.bandit import ThompsonAllocator
from shopperlens.errors import InputError


def play(bandit: ThompsonAllocator, rates: dict[str, float], n: int, seed: int = 0) -> list[str]:
    rng, chosen = np.random.default_rng(seed), []
    for _ in range(n):
        v = bandit.predict_one("s")
        bandit.learn_one("s", v, float(rng.random() < rates.get(v, 0.0)))
        chosen.append(v)
    return chosen


def test_it_learns_the_best_offer_and_never_starves_control() -> None:
    bandit = ThompsonAllocator(["a", "b"], control_share=0.1, seed=0)
    chosen = play(bandit, {"a": 0.05, "b": 0.3, "control": 0.02}, 2000)
    late = chosen[1000:]
    assert late.count("b") / len(late) > 0.8
    assert 0.07 < chosen.count("control") / len(chosen) < 0.13


def test_propensities_sum_to_one_and_follow_the_posteriors() -> None:
    bandit = ThompsonAllocator(["a", "b"], control_share=0.2, seed=0)
    play(bandit, {"a": 0.05, "b": 0.4}, 500)
    p = bandit.propensities("s")
    assert sum(p.values()) == pytest.approx(1.0)
    assert p["control"] >= 0.2 and p["b"] > p["a"]
    assert bandit.propensities("s") == p  # the same state, the same answer


def test_the_persistent_hold_out_decides_control() -> None:
    bandit = ThompsonAllocator(["a"], control_share=0.5, seed=0)
    assert all(bandit.predict_one("s", held_out=True) == "control" for _ in range(20))
    bandit.learn_one("s", "a", 1.0)
    bandit.learn_one("s", "control", 0.0)
    assert {bandit.predict_one("s", held_out=False) for _ in range(50)} >= {"a"}


def test_same_seed_same_decisions() -> None:
    rates = {"a": 0.1, "b": 0.2}
    first = play(ThompsonAllocator(["a", "b"], seed=3), rates, 300)
    assert first == play(ThompsonAllocator(["a", "b"], seed=3), rates, 300)


def test_bad_calls_say_what_to_do() -> None:
    bandit = ThompsonAllocator(["a"])
    with pytest.raises(InputError, match="between 0 and 1"):
        bandit.learn_one("s", "a", 2.0)
    with pytest.raises(InputError, match="Unknown variant"):
        bandit.learn_one("s", "zzz", 1.0)
    with pytest.raises(InputError, match="at least one offer"):
        ThompsonAllocator(["control"])


def test_control_wins_where_no_offer_beats_it_and_not_elsewhere() -> None:
    bandit = ThompsonAllocator(["a", "b"], control_share=0.1, seed=0)
    chosen = play(bandit, {"a": 0.05, "b": 0.08, "control": 0.2}, 3000)
    assert chosen[1500:].count("control") / 1500 > 0.9  # far above the 10% floor
    p = bandit.propensities("s")
    assert p["control"] > 0.9 and sum(p.values()) == pytest.approx(1.0)


def test_a_cost_of_a_send_tips_a_tie_towards_sending_nothing() -> None:
    rates = {"a": 0.1, "control": 0.1}  # the offer changes nothing
    free = play(ThompsonAllocator(["a"], control_share=0.0, seed=1), rates, 2000)
    costly = play(ThompsonAllocator(["a"], control_share=0.0, seed=1, costs={"a": 0.05}),
                  rates, 2000)
    assert costly[1000:].count("control") > 900
    assert costly.count("control") > free.count("control")


def test_control_outcomes_inform_control_and_unknown_costs_are_refused() -> None:
    bandit = ThompsonAllocator(["a"], prior=(1.0, 1.0))
    bandit.learn_one("s", "control", 1.0)
    assert bandit.counts["s"][bandit.arms.index("control")].tolist() == [2.0, 1.0]
    with pytest.raises(InputError, match="not among the offers"):
        ThompsonAllocator(["a"], costs={"b": 0.1})
