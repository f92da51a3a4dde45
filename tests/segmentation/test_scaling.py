from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from shopperlens.errors import ConfigError, NotFittedError
from shopperlens.segmentation import SegmentScaler


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "monetary": rng.lognormal(5, 1, 500),          # catalogue heavy_tail
        "store_share": rng.uniform(0, 1, 500),          # bounded, not skewed
        "x_skewed": rng.exponential(1, 500) ** 3,       # not in the catalogue, skewed
        "x_negative": rng.normal(0, 1, 500) ** 3,       # skewed but negative: no log
    })


def test_log_mask(frame):
    scaler = SegmentScaler().fit(frame)
    assert scaler.log_mask_.tolist() == [True, False, True, False]


def test_median_imputation_and_standardised_output(frame):
    X = frame.copy()
    X.iloc[:10, 1] = np.nan
    scaler = SegmentScaler(clip=0).fit(X)
    assert scaler.medians_[1] == pytest.approx(X["store_share"].median())
    Z = scaler.transform(X)
    assert not np.isnan(Z).any()
    assert Z.mean(axis=0) == pytest.approx(np.zeros(4), abs=1e-9)
    assert Z.std(axis=0) == pytest.approx(np.ones(4))
    assert (scaler.impute(X)[:10, 1] == scaler.medians_[1]).all()


def test_clipping_bounds_outliers(frame):
    X = frame.copy()
    X.iloc[0, 1] = 1e6
    Z = SegmentScaler().fit(X).transform(X)
    assert abs(Z[0, 1]) < 5


def test_constant_and_all_missing_columns():
    X = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [np.nan] * 3})
    Z = SegmentScaler().fit(X).transform(X)
    assert (Z == 0).all()


def test_errors_and_pickle(frame):
    with pytest.raises(NotFittedError):
        SegmentScaler().transform(frame)
    with pytest.raises(ConfigError, match=r"clip=0.7"):
        SegmentScaler(clip=0.7).fit(frame)
    scaler = pickle.loads(pickle.dumps(SegmentScaler().fit(frame)))
    assert np.allclose(scaler.transform(frame), SegmentScaler().fit(frame).transform(frame))
