from __future__ import annotations

import numpy as np

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
