from __future__ import annotations

import pytest

from shopperlens.report._journeys import EXIT, path_sankey

PATHS = [{"path": ["Product Viewed", "Product Added", "Product Viewed"], "share": 0.2},
         {"path": ["Product Viewed"], "share": 0.5}]


def test_the_sankey_has_a_node_per_step_and_position_so_loops_stay_drawable() -> None:
    sankey = path_sankey(PATHS).data[0]
    labels = list(sankey.node.customdata)  # the full names (the chart shows short ones)
    assert labels.count("Product Viewed") == 2  # the loop comes back at position 2
    assert labels.count(EXIT) == 2
    assert len(sankey.link.source) == 4  # 3 moves of the loop path + 1 of the other


def test_each_path_carries_its_share_to_its_end() -> None:
    sankey = path_sankey(PATHS).data[0]
    into_exit = sum(v for t, v in zip(sankey.link.target, sankey.link.value, strict=True)
                    if sankey.node.customdata[t] == EXIT)
    assert into_exit == pytest.approx(70.0)
