from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.errors import ConfigError
from shopperlens.journeys.funnel import check_steps, completion_after, funnel_table, wilson_interval

STEPS = ("a", "b", "c")


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_the_wilson_interval_holds_the_rate_and_stays_in_0_1(k: int, n: int) -> None:
    k = min(k, n)
    low, high = wilson_interval(np.array([k]), np.array([n]))
    assert 0 <= low[0] <= k / n <= high[0] <= 1


def test_the_wilson_interval_narrows_with_more_trials() -> None:
    low, high = wilson_interval(np.array([10, 1000]), np.array([100, 10_000]))
    assert (high - low)[1] < (high - low)[0] / 5


def counts() -> pd.DataFrame:
    return pd.DataFrame({"segment_id": [0, 1], "channel": ["web", "app"],
                         "device": ["mobile", "ios"], "reached_0": [100, 5],
                         "reached_1": [40, 0], "reached_2": [10, 0],
                         "seconds_0": [30.0, np.nan], "seconds_1": [95.0, np.nan]})


def test_the_funnel_keeps_steps_with_sessions_and_its_conversions_are_the_ratios() -> None:
    table = funnel_table(counts(), STEPS)
    assert list(table["step"]) == ["a", "b", "a"]  # cell 1 has no session at b
    assert table["conversion"].tolist() == [0.4, 0.25, 0.0]
    assert (table["conversion_low"] <= table["conversion"]).all()
    assert (table["sessions"] >= table["reached_next"]).all()


def test_completion_after_a_step_is_the_share_that_went_on_to_the_last() -> None:
    completion = completion_after(funnel_table(counts(), STEPS), STEPS)
    assert completion[(0, 0)] == pytest.approx(10 / 40)
    assert completion[(0, 1)] == 1.0


@pytest.mark.parametrize("steps", [("a",), ("a", "a"), ()])
def test_a_funnel_needs_two_distinct_steps(steps: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError, match="two or more different events"):
        check_steps(steps)
