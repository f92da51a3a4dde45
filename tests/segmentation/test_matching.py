from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopperlens.errors import InputError
from shopperlens.segmentation import SegmentModel, match_segments, relabel_model, renumber


def test_hungarian_matching_by_overlap():
    old = [0, 0, 0, 1, 1, 2, 2]
    new = [1, 1, 0, 0, 0, 2, 3]
    # new 1 overlaps old 0 twice, new 0 overlaps old 1 twice; new 2 and 3 compete for
    # old 2 (one customer each) and the tie goes to the lower id.
    assert match_segments(old, new) == {0: 1, 1: 0, 2: 2, 3: 3}


def test_one_to_one_even_when_greedy_would_clash():
    # Greedy would pair new 0 with old 0 (3 shared) and leave new 1 with old 1 (0 shared);
    # the optimum pairs new 0 with old 1 and new 1 with old 0 (2 + 3 = 5 > 3 + 0).
    old = [0, 0, 0, 1, 1, 0, 0, 0]
    new = [0, 0, 0, 0, 0, 1, 1, 1]
    assert match_segments(old, new) == {0: 1, 1: 0}


def test_series_are_matched_on_common_customers():
    old = pd.Series([5, 5, 7], index=["a", "b", "c"])
    new = pd.Series([0, 1, 1, 0], index=["a", "b", "c", "d"])
    assert match_segments(old, new) == {0: 5, 1: 7}


def test_new_segments_without_overlap_get_fresh_ids():
    assert match_segments([3, 3], [0, 1]) == {0: 3, 1: 4}


def test_lengths_must_agree():
    with pytest.raises(InputError, match="same customers"):
        match_segments([0, 1], [0])


def test_relabel_model_keeps_ids_with_the_same_people():
    X = np.r_[np.zeros((60, 2)), np.full((40, 2), 9.0), np.full((30, 2), [0.0, 9.0])]
    X = X + (np.arange(len(X))[:, None] % 3) * 0.1
    model = SegmentModel(k_range=(3, 3), n_resamples=1).fit(X)
    old = np.choose(model.labels_, [7, 3, 4])  # last year's ids of the same groups
    moved = relabel_model(model, old)
    assert (moved.labels_ == old).all()
    assert (moved.predict(X) == old).all()
    assert sorted(moved.names_) == [3, 4, 7]
    assert list(moved.profiles_.index) == [7, 3, 4]
    assert moved.names_[7] == model.names_[0]
    assert (model.predict(X) == model.labels_).all()  # original untouched


def test_renumber_can_join_two_segments_under_one_id():
    X = np.r_[np.zeros((60, 2)), np.full((40, 2), 9.0), np.full((30, 2), [0.0, 9.0])]
    X = X + (np.arange(len(X))[:, None] % 3) * 0.1
    model = SegmentModel(k_range=(3, 3), n_resamples=1).fit(X)
    joined = renumber(model, {0: 5, 1: 6, 2: 6}, names={6: "kept name"}, first={2})
    assert set(joined.predict(X)) == {5, 6} and (joined.labels_ == joined.predict(X)).all()
    assert list(joined.profiles_.index) == [5, 6] and joined.names_ == {
        5: model.names_[0], 6: "kept name"}
    assert joined.rules_[6] == model.rules_[2]  # described by the one in ``first``
