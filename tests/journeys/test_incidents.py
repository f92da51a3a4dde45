from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.errors import ConfigError
from shopperlens.journeys.incidents import DropOffMonitor

DAYS = pd.date_range("2025-01-01", periods=150)


def daily(rate: np.ndarray, sessions: int = 300, seed: int = 0, series: int = 1
          ) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = [pd.DataFrame({"day": DAYS, "series": i, "sessions": sessions,
                            "dropped": rng.binomial(sessions, rate)}) for i in range(series)]
    return pd.concat(frames, ignore_index=True)


def test_a_jump_is_found_within_three_days_of_its_start() -> None:
    rate = np.where((np.arange(150) >= 90) & (np.arange(150) < 110), 0.45, 0.25)
    found = DropOffMonitor().detect(daily(rate), ["series"])
    assert len(found) == 1
    incident = found.iloc[0]
    assert 0 <= (incident["detected_on"] - DAYS[90]).days <= 3
    assert abs((incident["started_on"] - DAYS[90]).days) <= 2
    assert incident["ended_on"] <= DAYS[115]
    assert incident["drop_off_before"] == pytest.approx(0.25, abs=0.03)
    assert incident["drop_off_during"] == pytest.approx(0.45, abs=0.05)


@pytest.mark.parametrize("sessions", [3, 300])
@pytest.mark.parametrize("rate", [0.05, 0.3, 0.9])
def test_steady_series_raise_about_one_false_alarm_a_month_at_most(rate: float,
                                                                   sessions: int) -> None:
    """Over the whole shop (40 series), whatever their usual drop-off and volume."""
    found = DropOffMonitor().detect(daily(np.full(150, rate), sessions, series=40, seed=3),
                                    ["series"])
    assert found["detected_on"].nunique() <= 5


def test_a_large_jump_on_a_quiet_series_is_found_sooner_with_the_larger_sums() -> None:
    """4 sessions a day, drop-off from 20% to 70% for 20 days: the sums tuned to larger
    rises find it days sooner than the one tuned to 1.8 alone, each once per series."""
    rate = np.where((np.arange(150) >= 90) & (np.arange(150) < 110), 0.7, 0.2)
    data = daily(rate, sessions=4, series=30, seed=5)
    delays = {}
    for name, ratios in (("one", ()), ("bank", (1.8 ** 2, 1.8 ** 4))):
        found = DropOffMonitor(larger_ratios=ratios).detect(data, ["series"])
        hits = found[found["detected_on"] >= DAYS[88]]
        assert hits["series"].is_unique
        delays[name] = (hits.groupby("series")["detected_on"].min() - DAYS[90]).dt.days
    assert len(delays["bank"]) >= len(delays["one"]) >= 25
    assert delays["bank"].median() + 2 <= delays["one"].median()
    assert delays["bank"].median() <= 4  # with 30 series watched: a threshold of 7.9


def test_a_bad_parameter_is_named() -> None:
    with pytest.raises(ConfigError, match="odds_ratio"):
        DropOffMonitor(odds_ratio=0.5).detect(daily(np.full(150, 0.3)), ["series"])


def test_a_bad_larger_ratio_is_named() -> None:
    with pytest.raises(ConfigError, match="larger_ratios"):
        DropOffMonitor(larger_ratios=(3.0, 0.9)).detect(daily(np.full(150, 0.3)), ["series"])
