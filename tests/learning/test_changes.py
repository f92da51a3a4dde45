"""Births, deaths, splits and merges of segments; transitions; continuity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.learning import ABSENT, continuity, segment_changes, transitions
from shopperlens.learning.changes import segment_mix


def _series(values: list[int], start: int = 0) -> pd.Series:
    return pd.Series(values, index=[f"c{i}" for i in range(start, start + len(values))])


def _shares(previous: pd.Series) -> dict[int, float]:
    return {int(k): float(v) for k, v in previous.value_counts(normalize=True).items()}


def test_the_same_segments_renumbered_are_paired_with_no_event() -> None:
    previous = _series([0] * 50 + [1] * 30 + [2] * 20)
    changes = segment_changes(previous, previous, (previous + 1) % 3, _shares(previous))
    assert changes.paired == {1: 0, 2: 1, 0: 2} and changes.events == []
    assert not changes.structural


def test_newcomers_forming_their_own_segment_are_a_birth() -> None:
    previous = _series([0] * 50 + [1] * 50)
    old = pd.concat([previous, _series([1] * 30, start=100)])  # the old model: in 1
    new = pd.concat([previous, _series([2] * 30, start=100)])  # the re-fit: apart
    changes = segment_changes(previous, old, new, _shares(previous))
    assert [e["type"] for e in changes.events] == ["birth"] and changes.structural
    assert changes.events[0]["new_id"] == 2 and changes.events[0]["customers"] == 30


def test_a_segment_told_apart_from_its_own_customers_is_a_split() -> None:
    previous = _series([0] * 50 + [1] * 50)
    new = _series([0] * 50 + [1] * 20 + [2] * 30)
    changes = segment_changes(previous, previous, new, _shares(previous))
    assert [(e["type"], e["previous_id"]) for e in changes.events] == [("split", 1)]
    assert not changes.structural


def test_a_vanished_segment_is_a_death_and_two_joined_a_merge() -> None:
    previous = _series([0] * 50 + [1] * 30 + [2] * 20)
    today = _series([0] * 50 + [1] * 30)  # segment 2's customers are gone
    changes = segment_changes(previous, today, today, _shares(previous))
    assert [(e["type"], e["previous_id"]) for e in changes.events] == [("death", 2)]
    merged = _series([0] * 50 + [0] * 30 + [2] * 20)
    changes = segment_changes(previous, previous, merged, _shares(previous))
    assert [(e["type"], e["previous_id"], e["new_id"]) for e in changes.events] == [
        ("merge", 1, 0)]


def test_transitions_count_every_customer_once_with_absent_ones() -> None:
    previous = _series([0, 0, 1, -1])
    current = pd.Series([0, 1, 1, 2], index=["c0", "c1", "c2", "new"])
    table = transitions(previous, current)
    assert table["customers"].sum() == 5
    assert set(map(tuple, table[["from_segment_id", "to_segment_id"]].to_numpy())) == {
        (0, 0), (0, 1), (1, 1), (-1, ABSENT), (ABSENT, 2)}


def test_continuity_counts_only_those_the_old_model_leaves_in_place() -> None:
    rng = np.random.default_rng(0)
    previous = _series(list(rng.integers(0, 3, 200)))
    old = previous.copy()
    old.iloc[:20] = (old.iloc[:20] + 1) % 3  # they moved
    current = old.copy()
    current.iloc[20:30] = (current.iloc[20:30] + 1) % 3  # ids lost for ten stayers
    found = continuity(previous, old, current)
    assert found["stayers"] == 180 and abs(found["kept"] - 170 / 180) < 1e-12


def test_segment_mix_lists_every_segment_of_either_run() -> None:
    mix = segment_mix(_series([0, 0, 1, 1]), _series([0, 2, 2, 2]), {0: "a", 2: "c"})
    assert [(m["segment_id"], m["previous_share"], m["share"]) for m in mix] == [
        (0, 0.5, 0.25), (1, 0.5, 0.0), (2, 0.0, 0.75)]


def test_a_segment_whose_customers_are_gone_died_even_with_a_remnant() -> None:
    previous = _series([0] * 50 + [1] * 30 + [2] * 20)
    remnant = previous.drop([f"c{i}" for i in range(80, 94)])  # 14 of segment 2 gone
    new = remnant.replace({2: 1})  # the re-fit puts the six left with segment 1
    changes = segment_changes(previous, remnant, new, _shares(previous))
    assert [(e["type"], e["previous_id"]) for e in changes.events] == [("death", 2)]
    assert changes.events[0]["reason"].startswith("70% of its customers are gone")


def test_a_segment_whose_customers_moved_out_shrank_and_did_not_die() -> None:
    previous = _series([0] * 50 + [1] * 30 + [2] * 20)
    old = previous.copy()
    old.iloc[80:97] = 0  # 17 of segment 2's customers now look like segment 0's
    new = old.replace({2: 1})  # the re-fit no longer has segment 2
    changes = segment_changes(previous, old, new, _shares(previous))
    assert [(e["type"], e["previous_id"]) for e in changes.events] == [("shrink", 2)]
    assert not changes.structural and changes.events[0]["customers"] == 3


def test_an_old_segment_the_refit_spreads_is_unmatched_not_dead() -> None:
    previous = _series([0] * 40 + [1] * 40 + [2] * 20)
    new = previous.copy()
    new.iloc[60:80] = 3  # half of segment 1 apart, and segment 2 spread over three:
    new.iloc[80:87], new.iloc[87:94], new.iloc[94:100] = 0, 1, 3
    changes = segment_changes(previous, previous, new, _shares(previous))
    kinds = [e["type"] for e in changes.events]
    assert "unmatched" in kinds and "death" not in kinds and not changes.structural


def test_customers_who_moved_into_a_segment_and_are_told_apart_are_a_split() -> None:
    previous = _series([0] * 50 + [1] * 50)
    old = previous.copy()
    old.iloc[:20] = 1  # twenty of segment 0 now look like segment 1's customers
    new = old.copy()
    new.iloc[:20], new.iloc[50:55] = 2, 2  # the re-fit tells them (and five) apart
    changes = segment_changes(previous, old, new, _shares(previous))
    assert [(e["type"], e["previous_id"]) for e in changes.events] == [("split", 1)]
    assert "moved there since the last run" in changes.events[0]["reason"]


def test_established_customers_the_old_model_spreads_out_and_the_refit_groups_are_a_birth(
) -> None:
    previous = _series([0] * 40 + [1] * 40 + [2] * 40)
    new = previous.copy()
    new.iloc[[*range(0, 10), *range(40, 50), *range(80, 90)]] = 3  # ten of each, together
    changes = segment_changes(previous, previous, new, _shares(previous))
    assert [e["type"] for e in changes.events] == ["birth"] and changes.structural
