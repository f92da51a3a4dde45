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


@pytest.mark.parametrize("rate", [0.05, 0.3, 0.9])
def test_steady_series_raise_about_one_false_alarm_a_month_at_most(rate: float) -> None:
    """Over the whole shop (40 series), whatever their usual drop-off."""
    found = DropOffMonitor().detect(daily(np.full(150, rate), series=40, seed=3), ["series"])
    assert found["detected_on"].nunique() <= 5


def test_a_bad_parameter_is_named() -> None:
    with pytest.raises(ConfigError, match="odds_ratio"):
        DropOffMonitor(odds_ratio=0.5).detect(daily(np.full(150, 0.3)), ["series"])
