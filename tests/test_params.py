"""The one style of parameter checks (shopperlens._params, issue #26)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopperlens._params import Interval, OneOf, Rule, check_params
from shopperlens.errors import ConfigError
from shopperlens.privacy import apply_retention, fairness_audit
from shopperlens.privacy.pseudonymise import normaliser, pseudonymise_frame


@given(st.floats(allow_nan=False), st.floats(-10, 10), st.floats(-10, 10),
       st.booleans(), st.booleans())
def test_interval_accepts_exactly_its_range(value, low, high, low_open, high_open) -> None:  # type: ignore[no-untyped-def]
    rule = Interval(float, low, high, low_open=low_open, high_open=high_open)
    inside = (value > low if low_open else value >= low) and (
        value < high if high_open else value <= high)
    assert rule.accepts(value) == inside
    assert rule.accepts(np.float64(value)) == inside


@pytest.mark.parametrize("value", [True, "1", None, math.nan, 1.5, [1]])
def test_an_int_interval_refuses_what_is_not_an_int(value: object) -> None:
    assert not Interval(int, 0).accepts(value)
    assert Interval(int, 0).accepts(np.int64(3)) and Interval(int, 0).accepts(3.0)
    assert Interval(int, 0, allow_none=True).accepts(None)


class Estimator:
    def __init__(self, k: int = 2, mode: str = "fast") -> None:
        self.k, self.mode = k, mode

    def get_params(self, deep: bool = False) -> dict[str, object]:
        return {"k": self.k, "mode": self.mode}


def test_one_wording_for_estimators_functions_and_legacy_pairs() -> None:
    rules = {"k": Interval(int, 1), "mode": OneOf("fast", "exact")}
    check_params(Estimator(), rules)
    with pytest.raises(ConfigError) as caught:
        check_params(Estimator(k=0), rules)
    assert str(caught.value) == "Estimator got k=0; expected an int in [1, inf]."
    with pytest.raises(ConfigError, match=r"^Estimator got mode='slow'; expected one of 'fast', "
                                          r"'exact'\.$"):
        check_params(Estimator(mode="slow"), rules)
    pair = {"k": (lambda v: v % 2 == 0, "an even number")}  # segmentation's old tables
    with pytest.raises(ConfigError, match=r"^f got k=3; expected an even number\.$"):
        check_params("f", pair, {"k": 3})
    with pytest.raises(ConfigError, match="expected a name"):  # a predicate that raises
        check_params("f", {"k": Rule(str.isidentifier, "a name")}, {"k": 3})
    assert OneOf(1).accepts(1) and not OneOf(1).accepts(True)


def test_privacy_functions_use_it() -> None:
    frame = pd.DataFrame({"timestamp": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(ConfigError, match=r"^apply_retention got days=-1; expected an int"):
        apply_retention(frame, -1, "2024-07-01")
    with pytest.raises(ConfigError, match=r"^normaliser got kind='fax'; expected one of"):
        normaliser("fax")
    with pytest.raises(ConfigError, match=r"^pseudonymise_frame got table='people'"):
        pseudonymise_frame(frame, "people", b"k" * 16)
    groups = pd.DataFrame({"gender": ["f", "m"] * 5})
    with pytest.raises(ConfigError, match=r"^fairness_audit got min_group_size=0"):
        fairness_audit(pd.DataFrame({"x": [1] * 10}), groups, min_group_size=0)
    with pytest.raises(ConfigError, match=r"^fairness_audit got alpha=0; expected a float in "
                                          r"\(0\.0, 1\.0\] or None\.$"):
        fairness_audit(pd.DataFrame({"x": [1] * 10}), groups, alpha=0)
