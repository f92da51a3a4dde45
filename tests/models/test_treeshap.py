"""The per-pattern TreeSHAP gives LightGBM's pred_contrib numbers, row for row."""

from __future__ import annotations

import functools

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from shopperlens.models import ChurnModel, _treeshap

N_FEATURES = 6
K_ZERO = _treeshap.K_ZERO
# Values where a decision rule that is almost LightGBM's goes astray: zeros of both signs,
# tiny values either side of kZeroThreshold (which the row reader turns into 0.0), the
# double 1e-35 (not kZeroThreshold), infinities and NaN.
SPECIALS = [0.0, -0.0, np.nan, np.inf, -np.inf, K_ZERO, -K_ZERO, 1e-35, -1e-35, 1e-36, -1e-36,
            np.nextafter(K_ZERO, 1.0), -np.nextafter(K_ZERO, 1.0), 1e-300, 5e-324]
# name: (NaN in the training data, extra LightGBM parameters)
MODELS = {
    "nan": (True, {}),                                   # missing_type NaN and None
    "none": (False, {}),                                 # missing_type None
    "zero": (False, {"zero_as_missing": True}),          # missing_type Zero
    "zero_nan": (True, {"zero_as_missing": True}),       # Zero, NaN present
    "uint16_codes": (True, {"num_leaves": 14}),          # 13 internal nodes a tree
    "int64_codes": (True, {"num_leaves": 30, "min_data_in_leaf": 2}),  # np.unique path
}


def _training_data(nan: bool, n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([
        rng.normal(size=n), rng.exponential(size=n), rng.integers(-2, 3, n).astype(float),
        rng.normal(size=n) * 1e-30, rng.uniform(-1, 1, n), rng.normal(size=n),
    ])
    X[rng.random(n) < 0.3, 2] = 0.0
    X[rng.random(n) < 0.2, 4] = 0.0
    if nan:
        X[:, :5][rng.random((n, 5)) < 0.1] = np.nan  # column 5 never: missing_type None
    clean = np.nan_to_num(X)
    logit = (clean[:, 0] + clean[:, 2] - 2 * clean[:, 4] + 2 * np.isnan(X[:, 1])
             + (X[:, 3] > 0) + clean[:, 5])
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@functools.cache
def _model(name: str) -> lgb.Booster:
    nan, params = MODELS[name]
    X, y = _training_data(nan)
    config = {"objective": "binary", "num_leaves": 8, "learning_rate": 0.2,
              "min_data_in_leaf": 5, "verbose": -1, "num_threads": 1, "seed": 0, **params}
    return lgb.train(config, lgb.Dataset(X, y), num_boost_round=20)


def _thresholds(booster: lgb.Booster) -> list[list[float]]:
    """Each feature's split thresholds, with the doubles either side of them."""
    found: list[set[float]] = [set() for _ in range(N_FEATURES)]
    for nodes in _treeshap.tree_splits(booster) or []:
        for node in nodes:
            t = node.threshold
            found[node.feature] |= {t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf)}
    return [sorted(f) for f in found]


def _column(n: int, thresholds: list[float]) -> st.SearchStrategy[np.ndarray]:
    values = st.one_of(
        st.sampled_from(SPECIALS),
        st.sampled_from(thresholds or [1.0]),
        st.floats(-5, 5),
        st.floats(allow_nan=True, allow_infinity=True),
    )
    return hnp.arrays(np.float64, n, elements=values)


def test_models_cover_every_code_path() -> None:
    """The models below reach every missing_type, both default sides, all code widths."""
    seen = set()
    widths = set()
    for name in MODELS:
        trees = _treeshap.tree_splits(_model(name))
        assert trees is not None
        seen |= {(n.missing_type, n.default_left) for nodes in trees for n in nodes}
        widths |= {_treeshap._code_dtype(len(nodes)) for nodes in trees}
    assert {m for m, _ in seen} == {"None", "Zero", "NaN"}
    assert {("Zero", True), ("Zero", False), ("NaN", True), ("NaN", False)} <= seen
    assert widths == {np.uint8, np.uint16, np.int64}
    assert any(abs(t) == K_ZERO for f in _thresholds(_model("none")) for t in f)


# int64 codes: the deepest trees, the slowest case by far; "none" and "zero" are slow too:
# the quick run's "nan" (missing types NaN and None), "zero_nan" (Zero) and "uint16_codes"
# reach each missing type and the narrow code widths (test_models_cover_every_code_path)
SLOW_MODELS = ("int64_codes", "none", "zero")


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_MODELS
                                  else n for n in MODELS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_pattern_path_equals_pred_contrib(name: str, data: st.DataObject) -> None:
    booster = _model(name)
    n = data.draw(st.integers(1, 120), label="rows")
    thresholds = _thresholds(booster)
    X = np.column_stack([data.draw(_column(n, thresholds[j]), label=f"f{j}")
                         for j in range(N_FEATURES)])
    if data.draw(st.booleans(), label="plus real rows"):  # realistic rows: many patterns
        X = np.vstack([X, _training_data(name.endswith("nan"), 300, seed=n)[0]])
    trees = _treeshap.tree_splits(booster)
    assert trees is not None
    fast = _treeshap.pattern_contributions(booster, X, trees)
    np.testing.assert_allclose(fast, booster.predict(X, pred_contrib=True),
                               rtol=1e-9, atol=1e-12)


def test_float32_and_frames_are_read_as_lightgbm_reads_them() -> None:
    booster = _model("nan")
    X = _training_data(True, 4000, seed=7)[0]
    thresholds = _thresholds(booster)
    # thresholds, and in float32 their nearest floats (either side of the double threshold)
    X[::7, 0] = np.resize(thresholds[0], len(X[::7]))
    for data in (X.astype(np.float32), pd.DataFrame(X).astype(np.float32),
                 pd.DataFrame(X, columns=[f"c{j}" for j in range(N_FEATURES)])):
        np.testing.assert_allclose(_treeshap.contributions(booster, data, min_rows=0),
                                   booster.predict(data, pred_contrib=True),
                                   rtol=1e-9, atol=1e-12)


def test_threads_share_the_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_treeshap, "_MIN_CHUNK", 100)
    booster = _model("zero_nan")
    X = _training_data(True, 2500, seed=3)[0]
    assert len(_treeshap._chunks(len(X), 3)) == 3
    np.testing.assert_allclose(_treeshap.contributions(booster, X, num_threads=3),
                               booster.predict(X, pred_contrib=True), rtol=1e-9, atol=1e-12)


def test_best_iteration_is_respected() -> None:
    X, y = _training_data(True, 3000, seed=5)
    booster = lgb.train({"objective": "binary", "num_leaves": 8, "verbose": -1, "seed": 0,
                         "learning_rate": 0.5},
                        lgb.Dataset(X[:2000], y[:2000]), num_boost_round=200,
                        valid_sets=[lgb.Dataset(X[2000:], y[2000:])],
                        callbacks=[lgb.early_stopping(3, verbose=False)],
                        keep_training_booster=True)  # keeps the trees past the best
    assert 0 < booster.best_iteration < booster.num_trees()
    np.testing.assert_allclose(_treeshap.contributions(booster, X, min_rows=0),
                               booster.predict(X, pred_contrib=True), rtol=1e-9, atol=1e-12)


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = _treeshap.pattern_contributions

    def spy(booster: lgb.Booster, matrix: np.ndarray, *args: object, **kwargs: object):  # noqa: ANN202
        calls.append(len(matrix))
        return real(booster, matrix, *args, **kwargs)

    monkeypatch.setattr(_treeshap, "pattern_contributions", spy)
    return calls


def test_churn_model_takes_the_fast_path_on_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"recency_days": rng.uniform(0, 365, 3000),
                      "frequency": rng.poisson(4, 3000).astype(float),
                      "aov": np.where(rng.random(3000) < 0.2, np.nan, rng.gamma(2, 30, 3000))})
    y = (X["recency_days"] + rng.normal(0, 60, 3000) > 180).astype(int)
    model = ChurnModel(n_estimators=30).fit(X, y)
    calls = _spy(monkeypatch)
    drivers = model.explain(X, top=2)
    assert calls == [3000]
    np.testing.assert_allclose(model._contributions(X),
                               model._lgbm.booster_.predict(X, pred_contrib=True),
                               rtol=1e-9, atol=1e-12)
    model._contributions(X.iloc[: _treeshap.MIN_ROWS - 1])  # few rows: the plain call
    assert calls == [3000, 3000]
    assert drivers.shape == (3000, 2)


def test_categorical_splits_take_the_plain_call(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    n = 3000
    X = np.column_stack([rng.integers(0, 12, n).astype(float), rng.normal(size=n)])
    y = (np.isin(X[:, 0], [1, 4, 7, 9]) ^ (rng.random(n) < 0.1)).astype(int)
    booster = lgb.train({"objective": "binary", "num_leaves": 8, "verbose": -1, "seed": 0,
                         "min_data_per_group": 5, "cat_smooth": 1},
                        lgb.Dataset(X, y, categorical_feature=[0]), num_boost_round=10)
    assert '"decision_type": "=="' in str(booster.dump_model()).replace("'", '"')
    assert _treeshap.tree_splits(booster) is None
    calls = _spy(monkeypatch)
    np.testing.assert_allclose(_treeshap.contributions(booster, X),
                               booster.predict(X, pred_contrib=True), rtol=1e-9, atol=1e-12)
    assert calls == []


def test_linear_trees_and_multiclass_take_the_plain_call() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 3))
    linear = lgb.train({"objective": "regression", "linear_tree": True, "verbose": -1},
                       lgb.Dataset(X, X[:, 0] * 2 + X[:, 1]), num_boost_round=5)
    assert _treeshap.tree_splits(linear) is None
    multi = lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1},
                      lgb.Dataset(X, rng.integers(0, 3, 600)), num_boost_round=3)
    assert _treeshap.tree_splits(multi) is None
    np.testing.assert_allclose(_treeshap.contributions(multi, X, min_rows=0),
                               multi.predict(X, pred_contrib=True))
