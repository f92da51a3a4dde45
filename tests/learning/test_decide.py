"""Keep the previous model, or adopt the re-fit with the old ids."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from shopperlens.learning import decide
from shopperlens.segmentation import SegmentModel


class _ByColumn:
    """A stand-in model: the segment is column ``g``."""

    def __init__(self, ids: list[int]) -> None:
        self.segment_ids_ = np.array(ids)
        self.names_ = {i: f"segment {i}" for i in ids}

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return X["g"].to_numpy()


def _customers(groups: list[int], start: int = 0) -> pd.DataFrame:
    index = [f"c{i}" for i in range(start, start + len(groups))]
    return pd.DataFrame({"g": groups, "avg_order_value": np.linspace(10, 20, len(groups))},
                        index=index)


def test_unchanged_segments_keep_the_previous_model_whatever_the_refit_numbers() -> None:
    today = _customers([0] * 60 + [1] * 40)
    old = _ByColumn([0, 1])
    renumbered = today.assign(g=1 - today["g"])  # the re-fit calls them the other way
    decision = decide(old, _ByColumn([0, 1]), today, renumbered, today["g"], today, 91)
    assert not decision.refit and decision.model is old
    assert decision.summary()["decision"] == "kept" and decision.changes.paired == {1: 0, 0: 1}


def test_a_drift_that_leaves_the_mix_alone_is_reported_not_acted_on() -> None:
    before = _customers([0] * 60 + [1] * 40)
    today = before.assign(avg_order_value=before["avg_order_value"] * 3)
    decision = decide(_ByColumn([0, 1]), _ByColumn([0, 1]), today, today, before["g"],
                      before, 91)
    assert decision.drift.set_index("feature").loc["avg_order_value", "alarm"]
    assert not decision.refit and "avg_order_value drifted" in decision.reasons[0]


def _blobs(centres: list[tuple[float, float]], n: int, seed: int, start: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(np.vstack([rng.normal(c, 0.3, (n, 2)) for c in centres]),
                         columns=["monetary", "frequency"])
    frame.index = [f"c{i}" for i in range(start, start + len(frame))]
    return frame


def test_a_birth_of_customers_who_stay_in_their_segments_names_no_id_and_changes_nothing(
) -> None:
    today = _customers([0] * 40 + [1] * 40 + [2] * 40)
    regrouped = today.assign(g=today["g"].mask(np.arange(120) % 40 < 10, 3))  # ten of each
    old = _ByColumn([0, 1, 2])
    decision = decide(old, _ByColumn([0, 1, 2, 3]), today, regrouped, today["g"], today, 91)
    assert not decision.refit and decision.model is old
    assert decision.summary()["decision"] == "kept"
    [event] = decision.changes.events
    assert event["type"] == "regroup" and "new_id" not in event
    assert "no new id" in event["reason"]


@pytest.mark.slow  # two segment models fitted
def test_a_new_group_is_a_birth_and_the_old_segments_keep_ids_and_names() -> None:
    centres = [(0.0, 0.0), (5.0, 0.0), (0.0, 5.0)]
    before = _blobs(centres, 60, 0)
    old = SegmentModel(k_range=(2, 4), n_resamples=1, random_state=0).fit(before)
    previous = pd.Series(old.labels_, index=before.index)
    newcomers = _blobs([(5.0, 5.0)], 60, 1, start=1000)
    today = pd.concat([before, newcomers])
    refit = SegmentModel(k_range=(2, 5), n_resamples=1, random_state=3).fit(today)
    decision = decide(old, refit, today, today, previous, before, 91)
    assert decision.refit and [e["type"] for e in decision.changes.events] == ["birth"]
    born = decision.changes.events[0]["new_id"]
    assert born == 3 and set(decision.model.predict(newcomers)) == {born}
    assert (decision.model.predict(before) == previous.to_numpy()).all()
    assert {k: decision.model.names_[k] for k in range(3)} == old.names_


def test_a_born_segment_takes_no_old_segment_s_own_customers() -> None:
    from shopperlens.learning.decide import _sources

    previous = pd.Series([0] * 10 + [1] * 10, index=[f"c{i}" for i in range(20)])
    old = pd.concat([previous, pd.Series([1] * 5, index=[f"n{i}" for i in range(5)])])
    new = old.copy()
    new.iloc[:4] = 2  # four of segment 0's own customers
    new.iloc[20:] = 2  # and five newcomers the previous model puts in 1
    assert _sources(previous, old, new, {2: 2}, dead=set()) == {2: {1}}
    assert _sources(previous, old, new, {2: 2}, dead={0}) == {2: {0, 1}}
