"""The over-segmentation guard, facet weights and the describe-only setting (issue #27)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.errors import ConfigError
from shopperlens.segmentation import SegmentModel
from shopperlens.segmentation._guard import GAP, Guard
from shopperlens.segmentation.scaling import CORRELATED, facet_of, facet_weights


def _channel_split_frame(seed: int = 0, n: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    """Two behavioural groups (value), each split half in-store, half online."""
    rng = np.random.default_rng(seed)
    value = np.r_[rng.normal(100, 10, 2 * n), rng.normal(900, 60, 2 * n)]
    recency = np.r_[rng.normal(300, 20, 2 * n), rng.normal(20, 5, 2 * n)]
    store = np.tile(np.r_[rng.uniform(0.9, 1, n), rng.uniform(0, 0.1, n)], 2)
    frame = pd.DataFrame({"monetary": value, "recency_days": recency,
                          "store_share": store, "online_share": 1 - store})
    return frame, np.repeat([0, 1], 2 * n)


def test_guard_merges_segments_apart_only_on_a_nuisance_facet():
    rng = np.random.default_rng(1)
    Z = np.c_[rng.normal(0, 1, 400), np.r_[np.full(200, -1.0), np.full(200, 1.0)]]
    labels = np.repeat([0, 1], 200)
    facets = ["value", "channel"]
    assert Guard(Z, facets, np.array([True, False])).mapping(labels, 2).tolist() == [0, 0]
    assert Guard(Z, facets, np.array([True, True])).mapping(labels, 2).tolist() == [0, 1]


def test_guard_keeps_a_split_at_the_gap_and_merges_below_it():
    for shift, merged in [(GAP * 1.2, False), (GAP * 0.8, True)]:
        Z = np.r_[np.zeros((50, 1)), np.full((50, 1), shift)]
        mapping = Guard(Z, ["value"], np.array([True])).mapping(np.repeat([0, 1], 50), 2)
        assert bool(mapping[0] == mapping[1]) is merged


def test_guard_merges_transitively_and_numbers_from_zero():
    Z = np.r_[np.zeros((30, 1)), np.full((30, 1), 0.3), np.full((30, 1), 0.6),
              np.full((30, 1), 5.0)]
    labels = np.repeat([0, 1, 2, 3], 30)
    assert Guard(Z, ["value"], np.array([True])).mapping(labels, 4).tolist() == [0, 0, 0, 1]


def test_channel_as_nuisance_keeps_the_behavioural_groups_only():
    X, truth = _channel_split_frame()
    # Without the relevance screen (which drops the channel mix here, see
    # test_relevance.py) and without the setting, channel halves are segments.
    free = SegmentModel(k_range=(2, 5), n_resamples=2, select_features=False).fit(X)
    guarded = SegmentModel(k_range=(2, 5), n_resamples=2, nuisance=("channel",),
                           select_features=False).fit(X)
    assert free.n_segments_ == 4
    assert guarded.n_segments_ == 2
    assert pd.crosstab(guarded.labels_, truth).gt(0).sum(axis=1).eq(1).all()
    chosen = guarded.selection_[guarded.selection_["chosen"]].iloc[0]
    assert chosen["segments"] == 2
    merged = guarded.selection_.query("segments < k")
    assert len(merged) > 0  # the table shows which candidates were merged
    assert (guarded.predict(X) == guarded.labels_).all()


def test_describe_only_facets_are_out_of_the_distance_but_in_the_profiles():
    X, truth = _channel_split_frame()
    model = SegmentModel(k_range=(2, 5), n_resamples=2, describe_only=("channel",)).fit(X)
    assert model.n_segments_ == 2
    assert model.weights_.tolist() == [1.0, 1.0, 0.0, 0.0]
    assert "mean_store_share" in model.profiles_.columns


def test_facet_weights_make_a_facet_weigh_one_column():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(500, 4))
    w, facets = facet_weights(Z, ["store_share", "online_share", "app_share", "monetary"])
    assert facets == ["channel"] * 3 + ["value"]
    assert (w[:3] ** 2).sum() == pytest.approx(1.0)
    assert w[3] == 1.0


def test_near_duplicate_columns_of_different_facets_share_one_weight():
    rng = np.random.default_rng(0)
    x = rng.normal(size=500)
    Z = np.c_[x, x + rng.normal(0, 0.01, 500), rng.normal(size=500)]
    assert abs(np.corrcoef(Z[:, 0], Z[:, 1])[0, 1]) >= CORRELATED
    w, _ = facet_weights(Z, ["sessions", "monetary", "recency_days"])
    assert w.round(3).tolist() == [0.707, 0.707, 1.0]


def test_constant_and_describe_only_columns_weigh_nothing():
    Z = np.c_[np.zeros(10), np.arange(10.0), np.arange(10.0) % 3]
    w, _ = facet_weights(Z, ["sessions", "store_share", "monetary"], describe_only=("channel",))
    assert w.tolist() == [0.0, 0.0, 1.0]


def test_unknown_features_fall_back_to_their_catalogue_family():
    assert facet_of("email_clicks") == "engagement"
    assert facet_of("not_a_feature") == "text"


@pytest.mark.parametrize("params", [{"nuisance": "channel"}, {"describe_only": [1]},
                                    {"weigh_facets": 1}])
def test_invalid_settings(params):
    X, _ = _channel_split_frame(n=20)
    with pytest.raises(ConfigError):
        SegmentModel(**params).fit(X)
