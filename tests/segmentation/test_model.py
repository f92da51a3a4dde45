from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from shopperlens.errors import ConfigError, NotFittedError
from shopperlens.segmentation import SegmentModel, segment

FAST = {"k_range": (2, 5), "n_resamples": 2}


def test_finds_the_planted_segments(planted, planted_model):
    X, truth = planted
    assert planted_model.n_segments_ == 4
    assert adjusted_rand_score(truth, planted_model.labels_) >= 0.95
    assert planted_model.rule_fidelity_ >= 0.85
    assert (planted_model.predict(X) == planted_model.labels_).all()


def test_labels_are_ordered_by_size(planted_model):
    sizes = np.bincount(planted_model.labels_)
    assert (np.diff(sizes) <= 0).all()
    assert planted_model.profiles_["size"].tolist() == sizes.tolist()


def test_profiles(planted, planted_model):
    X, _ = planted
    p = planted_model.profiles_
    assert p["share"].sum() == pytest.approx(1.0)
    assert p["revenue_share"].sum() == pytest.approx(1.0)
    assert {f"mean_{c}" for c in X.columns} <= set(p.columns)
    assert {f"diff_{c}" for c in X.columns} <= set(p.columns)
    first = planted_model.labels_ == 0
    assert p.loc[0, "mean_monetary"] == pytest.approx(X["monetary"][first].mean())
    assert p["name"].tolist() == [planted_model.names_[s] for s in p.index]


def test_names_are_unique_and_meaningful(planted, planted_model):
    X, truth = planted
    names = planted_model.names_
    assert len(set(names.values())) == len(names) == 4
    lapsed = np.bincount(planted_model.labels_[truth == 3]).argmax()  # lapsed big spenders
    assert "Lapsed" in names[lapsed] or "lapsed" in names[lapsed]
    assert "big spenders" in names[lapsed]
    app = np.bincount(planted_model.labels_[truth == 2]).argmax()
    assert "App" in names[app] and "cart-abandon" in names[app]
    assert any("win-back" in a.lower() for a in planted_model.actions_[lapsed])
    assert any("cart-reminder" in a.lower() for a in planted_model.actions_[app])


def test_rules_are_readable(planted_model):
    for segment_id, rules in planted_model.rules_.items():
        assert rules, f"segment {segment_id} has no rule"
        assert all(("above" in r or "at most" in r) for r in rules)
        assert "_" not in " ".join(rules)  # catalogue labels, not column names
    assert set(planted_model.segment_fidelity_) == set(range(4))


def test_explain_names_features_with_values(planted, planted_model):
    X, _ = planted
    reasons = planted_model.explain(X.iloc[:5], top=2)
    assert reasons.index.equals(X.index[:5])
    assert reasons.name == "segment_reason"
    for text in reasons:
        parts = text.split("; ")
        assert 1 <= len(parts) <= 2
        assert all((" high (" in p or " low (" in p) and p.endswith(")") for p in parts)


def test_predict_explain_is_predict_and_explain(planted, planted_model):
    X, _ = planted
    noisy = X.iloc[:200] * np.random.default_rng(5).uniform(0.5, 2.0, size=(200, X.shape[1]))
    labels, reasons = planted_model.predict_explain(noisy, top=2)
    assert np.array_equal(labels, planted_model.predict(noisy))
    assert reasons.equals(planted_model.explain(noisy, top=2))
    assert len(set(labels)) > 1  # the rows fall in several segments


def test_single_blob_is_not_split():
    X = np.random.default_rng(3).normal(size=(1500, 6))
    model = SegmentModel(**FAST).fit(X)
    assert model.n_segments_ <= 2
    assert model.selection_["chosen"].sum() == 1


def test_tiny_cluster_is_not_a_segment(retail_frame):
    sizes = {"loyal_store": 700, "discount_occ": 600, "app_abandoners": 500, "lapsed_big": 18}
    X, truth = retail_frame(sizes, seed=5)
    model = SegmentModel(**FAST).fit(X)
    assert model.n_segments_ == 3
    assert model.profiles_["share"].min() >= 0.02
    table = model.selection_
    reasons = table.loc[~table["valid"], "reason"]
    assert reasons.str.contains("min_share|unstable|stability not measured").all()


def test_selection_table(planted_model):
    table = planted_model.selection_
    assert list(table.columns) == [
        "algorithm", "k", "segments", "silhouette", "calinski_harabasz", "davies_bouldin",
        "stability", "min_share", "valid", "reason", "chosen",
    ]
    chosen = table[table["chosen"]].iloc[0]
    assert chosen["algorithm"] == planted_model.algorithm_
    assert chosen["segments"] == planted_model.n_segments_
    assert chosen["reason"].startswith("chosen")
    best = table.loc[table["valid"], "silhouette"].max()
    assert chosen["silhouette"] >= best - 0.01


def test_deterministic(planted):
    X = planted[0].iloc[::2]  # 800 customers of the four segments: two fits, same model
    a = SegmentModel(**FAST).fit(X)
    b = SegmentModel(**FAST).fit(X)
    assert (a.labels_ == b.labels_).all()
    pd.testing.assert_frame_equal(a.selection_, b.selection_)
    assert a.names_ == b.names_ and a.rules_ == b.rules_


def test_pickle_roundtrip_and_input_not_mutated(planted, planted_model):
    X, _ = planted
    before = X.copy()
    again = pickle.loads(pickle.dumps(planted_model))
    assert (again.predict(X) == planted_model.predict(X)).all()
    assert again.explain(X.iloc[:3]).tolist() == planted_model.explain(X.iloc[:3]).tolist()
    pd.testing.assert_frame_equal(X, before)


def test_missing_values_are_allowed(planted):
    X, truth = planted
    X = X.copy()
    X.loc[X.index[::7], "discount_share"] = np.nan
    model = SegmentModel(**FAST).fit(X)
    assert adjusted_rand_score(truth, model.labels_) >= 0.95
    assert not model.profiles_["mean_discount_share"].isna().any()
    assert "missing" in " ".join(model.explain(X.iloc[:30], top=16))


def test_plain_arrays_get_x_names():
    X = np.r_[np.zeros((60, 2)), np.full((40, 2), 9.0)] + (np.arange(100)[:, None] % 3)
    model = segment(X, k_range=(2, 3), n_resamples=1)
    assert model.n_segments_ == 2
    assert not hasattr(model, "feature_names_in_")
    assert "x0" in model.rules_[0][0] or "x1" in model.rules_[0][0]
    assert "mean_x0" in model.profiles_.columns


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"k_range": (1, 4)}, r"k_range=\(1, 4\); expected a pair"),
        ({"algorithms": ("kmeans", "dbscan")}, "algorithms="),
        ({"min_share": 0.7}, r"min_share=0.7; expected a number in \[0, 0.5\)"),
        ({"n_resamples": 0}, "n_resamples=0"),
    ],
)
def test_invalid_parameters(params, message):
    with pytest.raises(ConfigError, match=message):
        SegmentModel(**params).fit(np.zeros((20, 2)))


def test_not_fitted():
    with pytest.raises(NotFittedError):
        SegmentModel().predict(np.zeros((3, 2)))


def test_predict_array_matches_predict(planted, planted_model):
    X, _ = planted
    A = X.to_numpy(dtype=np.float64).copy()
    A[::7, 0] = np.nan
    expected = planted_model.predict(pd.DataFrame(A, columns=X.columns))
    np.testing.assert_array_equal(planted_model.predict_array(A), expected)
    with pytest.raises(ValueError, match="feature columns"):
        planted_model.predict_array(A[:, :-1])
