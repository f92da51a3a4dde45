"""The demand step in a run of the demo: weekly and daily forecasts, the calendar read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import numpy as np
import pytest

from shopperlens import schema as s
from shopperlens.demand import library_missing


@pytest.mark.slow  # a whole run
def test_a_run_forecasts_weeks_and_days_with_the_calendar(
        tmp_path: Path, service_absent: Callable[[str], NoReturn]) -> None:
    if library_missing() is not None:
        service_absent(str(library_missing()))
    import shopperlens
    from shopperlens.config import Settings
    from shopperlens.demo import generate, write

    write(generate(300, seed=3), tmp_path / "data")
    result = shopperlens.run(tmp_path / "data", None, report=False,
                             settings=Settings(forecast_weeks=4, forecast_days=10))
    metrics = result.record["metrics"]["demand"]
    assert metrics["calendar_days"] > 100 and "daily_forecasts_skipped" not in metrics
    table = result.demand[s.FORECASTS_FILE]
    daily = table[table["frequency"] == "day"]
    weekly = table[table["frequency"] == "week"]
    assert sorted(daily["horizon_days"].unique()) == list(range(1, 11))
    assert sorted(weekly["horizon_weeks"].unique()) == list(range(1, 5))
    by = daily.groupby(["level", "period_start"], observed=True)["units"].sum()
    assert np.allclose(by.loc["category"].to_numpy(), by.loc["total"].to_numpy())
