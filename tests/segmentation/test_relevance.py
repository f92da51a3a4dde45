"""The relevance screen: a facet independent of the others leaves the distance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from shopperlens.segmentation import SegmentModel
from shopperlens.segmentation._relevance import relevant


def _groups(seed: int = 0, n: int = 1_200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    value = truth * 2.0 + rng.normal(0, 0.5, n)
    recency = -truth * 2.0 + rng.normal(0, 0.5, n)
    channel = rng.integers(0, 2, n) * 3.0 + rng.normal(0, 0.3, n)  # independent mix
    noise = rng.uniform(-2, 2, n)
    return np.c_[value, recency, channel, noise], truth


def test_columns_independent_of_the_other_facets_are_dropped():
    Z, _ = _groups()
    keep, z = relevant(Z, ["value", "lifecycle", "channel", "range"], np.ones(4, bool),
                       np.random.RandomState(0))
    assert keep.tolist() == [True, True, False, False]
    assert z[0] < -10 and abs(z[3]) < 4


def test_no_shared_structure_keeps_every_column():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(800, 3))
    keep, _ = relevant(Z, ["value", "lifecycle", "channel"], np.ones(3, bool),
                       np.random.RandomState(0))
    assert keep.all()


def test_a_facet_is_kept_whole_when_one_column_vouches_for_it():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 2, 1_000)
    value = truth * 3.0 + rng.normal(0, 0.5, 1_000)
    store = truth * 2.0 + rng.normal(0, 0.5, 1_000)
    app = rng.normal(0, 1, 1_000)  # the facet's other column carries nothing itself
    keep, _ = relevant(np.c_[value, store, app], ["value", "channel", "channel"],
                       np.ones(3, bool), np.random.RandomState(0))
    assert keep.all()


def test_the_model_finds_the_groups_not_the_independent_channel_split():
    Z, truth = _groups()
    X = pd.DataFrame(Z[:, :3], columns=["monetary", "recency_days", "store_share"])
    model = SegmentModel(k_range=(2, 6), n_resamples=2).fit(X)
    assert model.n_segments_ == 3
    assert model.weights_[2] == 0  # the channel mix describes, it does not define
    assert adjusted_rand_score(truth, model.labels_) > 0.95
    assert "mean_store_share" in model.profiles_.columns


def test_features_considered_says_what_each_column_did_and_why():
    Z, _ = _groups()
    X = pd.DataFrame(Z[:, :3], columns=["monetary", "recency_days", "store_share"])
    model = SegmentModel(k_range=(2, 4), n_resamples=1).fit(X)
    table = model.features_considered_.set_index("feature")
    assert table.loc["monetary", "decision"] == "defines segments"
    assert table.loc["store_share", "decision"].startswith("describes only: no shared")
    told = SegmentModel(k_range=(2, 4), n_resamples=1, describe_only=("value",)).fit(X)
    assert told.features_considered_.set_index("feature").loc[
        "monetary", "decision"] == "describes only: set by describe_only"
