from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.errors import InputError, NotFittedError
from shopperlens.segmentation import RFMGrid
from shopperlens.segmentation.claims import RFM_CLAIMS, check_rfm
from shopperlens.segmentation.rfm import NO_PURCHASES, SEGMENTS


@pytest.fixture
def ten() -> pd.DataFrame:
    """Ten customers with distinct values: quintiles are pairs of customers."""
    return pd.DataFrame(
        {
            "recency_days": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "frequency": [10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
            "monetary": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        },
        index=pd.Index([f"c{i}" for i in range(10)], name="customer_id"),
    )


def test_scores_are_quintiles_with_r5_most_recent(ten):
    scores = RFMGrid().fit(ten).scores(ten)
    assert scores["R"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert scores["F"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert scores["M"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores.index.equals(ten.index)


def test_labels_follow_the_conditions(ten):
    # R = F = 5 5 4 4 3 3 2 2 1 1, M the reverse: the most recent and frequent spend the
    # least, so nobody is a Champion (M >= 4); c8 has two orders, c9 one.
    names = RFMGrid().fit_predict(ten).tolist()
    assert names == ["Loyal"] * 4 + ["Need attention"] * 2 + ["At risk"] * 3 + ["Lost"]


def test_grid_corners():
    X = pd.DataFrame(
        {"recency_days": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
         "frequency": [10.0, 9, 1, 1, 1, 1, 1, 1, 8, 10],
         "monetary": [10.0, 9, 1, 1, 1, 1, 1, 1, 8, 10]}
    )
    # F = M = [5, 4, 1, 1, 1, 1, 1, 1, 4, 5]: six one-time buyers tie at the lowest rank.
    names = RFMGrid().fit_predict(X).tolist()
    assert names == [
        "Champions", "Champions", "Promising", "Promising", "About to sleep",
        "About to sleep", "Hibernating", "Hibernating", "Can't lose them", "Can't lose them",
    ]
    new = RFMGrid().fit(X).predict(X.assign(recency_days=0.5, frequency=1.0, monetary=1.0))
    assert set(new) == {"New"}


def test_ties_share_their_lowest_rank():
    X = pd.DataFrame({"recency_days": np.arange(10.0),
                      "frequency": [1.0] * 6 + [2, 2, 3, 5],
                      "monetary": np.arange(10.0)})
    f = RFMGrid().fit(X).scores(X)["F"].tolist()
    assert f == [1] * 6 + [4, 4, 5, 5]


def test_no_purchases_get_score_zero_and_their_own_name(ten):
    X = ten.copy()
    X.loc["c0", "frequency"] = 0
    X.loc["c1", "recency_days"] = np.nan
    grid = RFMGrid().fit(X)
    assert grid.n_scored_ == 8
    assert grid.scores(X).loc[["c0", "c1"]].to_numpy().tolist() == [[0, 0, 0], [0, 0, 0]]
    assert grid.predict(X)[:2].tolist() == [NO_PURCHASES] * 2


def test_labels_are_the_eleven_classics_each_with_claims():
    assert len(SEGMENTS) == 11
    assert set(RFM_CLAIMS) == {*SEGMENTS, NO_PURCHASES}


def test_champions_need_the_best_fifth_by_recency_not_the_best_two():
    # e3d3a36 gave Champions to R = 4: on a file where most customers lapsed long ago
    # that is a year without an order (702 such Champions on CDNOW).
    rec = np.r_[np.arange(10.0, 60, 5), [400.0] * 10, np.full(30, 500.0)]
    freq = np.r_[[5.0] * 20, [1.0] * 30]
    X = pd.DataFrame({"recency_days": rec, "frequency": freq, "monetary": freq * 30})
    names = RFMGrid().fit_predict(X)
    assert set(names[10:20]) == {"Loyal"}  # R = 4 at 400 days: not Champions
    assert (X["recency_days"][names == "Champions"] < 60).all()
    assert check_rfm(X, names) == []


def test_one_time_buyers_are_never_called_repeat_buyers():
    # 90% repeat buyers: a one-time buyer ties nobody below and still scores F = 1, and a
    # one-time big spender is not a "Potential loyalist" (two orders or more)
    X = pd.DataFrame({"recency_days": np.arange(20.0), "frequency": [1.0] * 2 + [3.0] * 18,
                      "monetary": [1e4] * 2 + [10.0] * 18})
    names = RFMGrid().fit_predict(X)
    assert names[:2].tolist() == ["New", "New"]
    assert check_rfm(X, names) == []


def test_missing_column_is_named(ten):
    with pytest.raises(InputError, match="needs columns 'monetary'"):
        RFMGrid().fit(ten.drop(columns="monetary"))


def test_plain_array_in_r_f_m_order_and_extra_columns_ignored(ten):
    grid = RFMGrid().fit(ten.assign(other=1.0))
    expected = RFMGrid().fit(ten.to_numpy()).scores(ten.to_numpy())
    assert (grid.scores(ten.assign(other=2.0)).to_numpy() == expected.to_numpy()).all()


def test_not_fitted_and_pickle_and_no_mutation(ten):
    with pytest.raises(NotFittedError):
        RFMGrid().predict(ten)
    before = ten.copy()
    grid = pickle.loads(pickle.dumps(RFMGrid().fit(ten)))
    assert grid.predict(ten).tolist() == RFMGrid().fit_predict(ten).tolist()
    pd.testing.assert_frame_equal(ten, before)


def test_all_without_purchases_is_an_error():
    X = pd.DataFrame({"recency_days": [np.nan], "frequency": [0.0], "monetary": [0.0]})
    with pytest.raises(InputError, match="at least one customer with purchases"):
        RFMGrid().fit(X)


rfm_rows = st.lists(
    st.tuples(st.integers(0, 1000), st.integers(1, 50), st.floats(0, 1e5)),
    min_size=1, max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(rows=rfm_rows, seed=st.integers(0, 2**32 - 1))
def test_scores_within_1_to_5_and_permutation_invariant(rows, seed):
    X = pd.DataFrame(rows, columns=["recency_days", "frequency", "monetary"], dtype=float)
    scores = RFMGrid().fit(X).scores(X)
    assert scores.isin([1, 2, 3, 4, 5]).all().all()
    order = np.random.default_rng(seed).permutation(len(X))
    shuffled = X.iloc[order]
    again = RFMGrid().fit(shuffled).scores(shuffled)
    pd.testing.assert_frame_equal(again.loc[X.index], scores.loc[X.index])


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(st.one_of(st.integers(0, 600), st.none()), st.integers(0, 12),
                               st.floats(0, 1e4)), min_size=1, max_size=80))
def test_every_label_is_true_of_every_member(rows):
    X = pd.DataFrame(rows, columns=["recency_days", "frequency", "monetary"], dtype=float)
    if not ((X["frequency"] > 0) & X["recency_days"].notna()).any():
        return
    assert check_rfm(X, RFMGrid().fit_predict(X)) == []
