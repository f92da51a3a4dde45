from __future__ import annotations

import pandas as pd
import pytest

from shopperlens.journeys.friction import rank_friction, segment_baselines
from shopperlens.journeys.funnel import funnel_table

STEPS = ("view", "add", "buy")


def cells(mobile_add: int) -> pd.DataFrame:
    """Two segments on two devices; segment 0's mobile passes ``add`` less often."""
    rows = []
    for segment, view_pass in ((0, 0.5), (1, 0.2)):
        for device in ("desktop", "mobile"):
            add = mobile_add if (segment, device) == (0, "mobile") else 500
            rows.append({"segment_id": segment, "channel": "web", "device": device,
                         "reached_0": 2000, "reached_1": int(2000 * view_pass),
                         "reached_2": int(2000 * view_pass) * add // 1000,
                         "seconds_0": 10.0, "seconds_1": 10.0})
    return funnel_table(pd.DataFrame(rows), STEPS)


def test_the_baseline_is_the_rest_of_the_segment() -> None:
    table = cells(mobile_add=250)
    baseline = segment_baselines(table)
    mobile_add = (table["segment_id"] == 0) & (table["device"] == "mobile") & (
        table["step"] == "add")
    assert baseline[mobile_add].item() == pytest.approx(0.5)  # desktop's drop-off


def test_the_worse_device_ranks_first_and_a_segment_that_always_browses_is_not_friction(
) -> None:
    friction = rank_friction(cells(mobile_add=250), STEPS, {0: 80.0, 1: 40.0})
    top = friction.iloc[0]
    assert (top["step"], top["segment_id"], top["device"]) == ("add", 0, "mobile")
    assert top["lost_orders"] == pytest.approx(1000 * 0.25)  # every add lost was an order
    assert top["lost_revenue"] == pytest.approx(top["lost_orders"] * 80.0)
    assert not (friction["segment_id"] == 1).any()  # segment 1 browses more everywhere


def test_no_friction_when_every_cell_drops_off_alike() -> None:
    assert rank_friction(cells(mobile_add=500), STEPS).empty
