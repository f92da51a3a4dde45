from __future__ import annotations

import numpy as np
import pytest

from shopperlens.segmentation import surrogate_rules


def test_rules_use_labels_and_rounded_thresholds():
    rng = np.random.default_rng(0)
    spend = np.r_[rng.uniform(100, 1000, 200), rng.uniform(1500, 5000, 100)]
    store = np.r_[rng.uniform(0, 0.3, 200), rng.uniform(0.7, 1, 100)]
    labels = np.r_[np.zeros(200, int), np.ones(100, int)]
    result = surrogate_rules(np.c_[spend, store], labels, ["monetary", "store_share"])
    assert result.fidelity == 1.0
    assert result.segment_fidelity == {0: 1.0, 1: 1.0}
    (rule,) = result.rules[1]
    assert rule.startswith(("total spend above", "share of orders in store above"))
    threshold = rule.rsplit(" ", 1)[1]
    assert len(threshold.replace(",", "").replace(".", "").lstrip("0")) <= 3


def test_ranges_are_merged_and_fidelity_per_segment():
    x = np.arange(300.0)
    labels = np.r_[np.zeros(100, int), np.ones(100, int), np.zeros(100, int)]
    result = surrogate_rules(x[:, None], labels, ["recency_days"])
    assert result.rules[1] == ["days since last order between 99.5 and 200"]
    assert result.fidelity == 1.0


def test_depth_grows_only_when_needed():
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(400, 4))
    labels = (X[:, 0] > 0.5).astype(int)
    assert surrogate_rules(X, labels, ["a", "b", "c", "d"]).tree.get_depth() <= 3


def test_single_segment():
    result = surrogate_rules(np.zeros((5, 2)), np.zeros(5, int), ["a", "b"])
    assert result.rules == {0: ["all customers"]} and result.fidelity == 1.0


def test_leaves_of_one_segment_that_differ_in_one_range_are_merged():
    # e3d3a36 printed both "... and category variety above 1.2" and "... at most 1.2";
    # and two neighbouring ranges of days with the same spend clause are one range
    from shopperlens.segmentation.rules import merge_rules

    rules = [{"recency_days": (None, 50.0), "category_entropy": (1.2, None)},
             {"recency_days": (None, 50.0), "category_entropy": (None, 1.2)},
             {"recency_days": (50.0, 90.0), "monetary": (10.0, None)},
             {"recency_days": (90.0, None), "monetary": (10.0, None)}]
    assert merge_rules(rules) == [{"recency_days": (None, 50.0)},
                                  {"recency_days": (50.0, None), "monetary": (10.0, None)}]


def test_ranges_that_do_not_touch_are_not_merged():
    from shopperlens.segmentation.rules import merge_rules

    rules = [{"monetary": (None, 10.0)}, {"monetary": (20.0, None)}]
    assert merge_rules(rules) == rules


def test_a_clause_implied_by_the_others_is_dropped():
    from shopperlens.segmentation.rules import drop_redundant

    # everyone with more than 2 orders has spent over 50: "total spend above 50" adds nothing
    X = np.array([[1.0, 10], [2, 40], [3, 60], [5, 200], [1, 80]])
    ranges = {"frequency": (2.0, None), "monetary": (50.0, None)}
    assert drop_redundant(ranges, X, ["frequency", "monetary"]) == {"frequency": (2.0, None)}
    needed = {"frequency": (None, 2.0), "monetary": (50.0, None)}
    assert drop_redundant(needed, X, ["frequency", "monetary"]) == needed


def test_rules_never_repeat_a_split_both_sides_of_which_give_one_segment():
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 100, size=(2_000, 3))
    labels = (X[:, 0] > 60).astype(int)  # the other columns are noise
    result = surrogate_rules(X, labels, ["recency_days", "monetary", "frequency"])
    assert result.rules == {0: ["days since last order at most 60"],
                            1: ["days since last order above 60"]}
    assert result.ranges[1] == [{"recency_days": (pytest.approx(60, abs=0.5), None)}]
