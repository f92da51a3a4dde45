from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.campaigns.ope import policy_value
from shopperlens.errors import InputError

RATES = {(0, "a"): 0.1, (0, "b"): 0.3, (1, "a"): 0.25, (1, "b"): 0.05}


def logs(n: int, seed: int = 0) -> pd.DataFrame:
    """A uniformly random logging policy over two offers in two segments."""
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, 2, n)
    variant = rng.choice(["a", "b"], n)
    reward = rng.random(n) < [RATES[(g, v)] for g, v in zip(segment, variant, strict=True)]
    return pd.DataFrame({"segment_id": segment, "variant": variant, "propensity": 0.5,
                         "reward": reward.astype(float)})


def test_ipw_and_dr_intervals_contain_the_true_value_of_a_better_policy() -> None:
    best = {0: {"b": 1.0}, 1: {"a": 1.0}}
    value = policy_value(logs(4000), best)
    truth = (0.3 + 0.25) / 2
    for name in ("ipw", "dr"):
        assert value[f"{name}_low"] <= truth <= value[f"{name}_high"]
    assert value["logged"] < value["dr_low"]  # the new policy is measurably better
    assert value["dr_high"] - value["dr_low"] <= value["ipw_high"] - value["ipw_low"] + 1e-9


def test_the_logging_policy_is_valued_at_its_own_mean_reward() -> None:
    frame = logs(2000, seed=1)
    same = {g: {"a": 0.5, "b": 0.5} for g in (0, 1)}
    assert policy_value(frame, same)["ipw"] == pytest.approx(frame["reward"].mean())


def test_bad_logs_or_policies_are_refused() -> None:
    frame = logs(10)
    with pytest.raises(InputError, match="segment"):
        policy_value(frame, {0: {"a": 1.0}})
    with pytest.raises(InputError, match="propensity"):
        policy_value(frame.assign(propensity=0.0), {0: {"a": 1.0}, 1: {"a": 1.0}})
