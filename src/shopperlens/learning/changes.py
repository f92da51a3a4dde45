"""What became of the segments between two runs: births, deaths, splits and merges.

Three labellings of the customers are compared: ``previous``, their segment in the
previous run; ``old``, the segment the previous model gives them on today's data; and
``new``, the segment of a model re-fitted on today's data. The ``old`` and ``new``
segments are paired by member overlap (a maximum-overlap one-to-one assignment, as in
:mod:`shopperlens.segmentation.matching`); a pair holds when the two share at least half
of the smaller one (:data:`MATCH`). Then, for a new segment left unpaired, its parent is
the old segment most of its members fall in:

* **birth**: at least half of its members are new buyers (a group that was not there);
* **split**: otherwise, when at least half of its members were in the parent in the
  previous run (the parent's own customers, now told apart), or when the previous model
  puts at least half of them in the parent today (customers who moved into it: the
  previous segments describe them, the re-fit cuts the parent finer);
* **birth**: otherwise (established customers the previous model spreads over several
  segments, and the re-fit groups together).

An old segment **died** when most of its customers of the previous run are gone (no
longer buyers in today's data), or when the previous model gives it no buyer of today.
A segment whose customers are still buyers but mostly moved out (the previous model
itself now puts them elsewhere) has not died: the ones it still holds did not change,
and keep it. When its share fell under a quarter of what it was (:data:`VANISHED`), it
**shrank** (reported, paired or not). An old segment otherwise left unpaired:

* **merge**: at least half of its members went to one new segment paired with another;
* **unmatched**: otherwise (the re-fit spreads its customers over several segments).

Only births and deaths are structural: the previous model cannot say them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

MATCH = 0.5  # a pair shares at least half of the smaller segment
MAJORITY = 0.5  # "most of its members"
VANISHED = 0.25  # an old segment down to under a quarter of its share has shrunk
ABSENT = -2  # in transitions: not a customer of that run

__all__ = ["ABSENT", "Changes", "continuity", "segment_changes", "segment_mix", "transitions"]


@dataclass
class Changes:
    """The pairing of new to old segments and the events, each with its reason."""

    paired: dict[int, int] = field(default_factory=dict)  # new id -> old id
    events: list[dict[str, Any]] = field(default_factory=list)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    @property
    def structural(self) -> bool:
        """A segment was born or died: the previous model cannot say it."""
        return bool(self.of("birth") or self.of("death"))


def _overlap(old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    old_ids, new_ids = np.unique(old), np.unique(new)
    table = np.zeros((len(old_ids), len(new_ids)), dtype=np.int64)
    np.add.at(table, (np.searchsorted(old_ids, old), np.searchsorted(new_ids, new)), 1)
    return old_ids, new_ids, table


def _pairs(table: np.ndarray) -> dict[int, int]:
    """Column -> row of the maximum-overlap assignment, pairs that share enough."""
    sizes_old, sizes_new = table.sum(axis=1), table.sum(axis=0)
    pairs = {}
    for r, c in zip(*linear_sum_assignment(table, maximize=True), strict=True):
        if table[r, c] >= MATCH * min(sizes_old[r], sizes_new[c]):
            pairs[int(c)] = int(r)
    return pairs


def segment_changes(previous: pd.Series, old: pd.Series, new: pd.Series,
                    previous_shares: dict[int, float]) -> Changes:
    """Pair ``new`` segments with ``old`` ones and name what happened to the others.

    ``old`` and ``new`` label the same buyers of today (Series on customer id);
    ``previous`` labels the buyers of the previous run; ``previous_shares`` is each old
    segment's share of the previous run's buyers.
    """
    aligned = new.reindex(old.index).to_numpy()
    old_ids, new_ids, table = _overlap(old.to_numpy(), aligned)
    pairs = _pairs(table)
    shares_now = table.sum(axis=1) / max(table.sum(), 1)
    stayed = pd.Series(previous.index.isin(old.index)).groupby(previous.to_numpy()).mean()
    vanished = {r: float(1 - stayed.get(o, 1.0)) for r, o in enumerate(old_ids)
                if stayed.get(o, 1.0) <= 1 - MAJORITY}
    shrunk = {r for r, o in enumerate(old_ids) if r not in vanished
              and shares_now[r] < VANISHED * previous_shares.get(int(o), 0.0)}
    pairs = {c: r for c, r in pairs.items() if r not in vanished}
    changes = Changes(paired={int(new_ids[c]): int(old_ids[r]) for c, r in pairs.items()})
    was = previous.reindex(old.index)
    for c, n in enumerate(new_ids):
        if c not in pairs:
            changes.events.append(_new_event(int(n), old_ids, table[:, c], was[aligned == n]))
    for r, o in enumerate(old_ids):
        if r in vanished:
            changes.events.append({
                "type": "death", "previous_id": int(o), "customers": int(table[r].sum()),
                "reason": f"{vanished[r]:.0%} of its customers are gone from the data; its "
                          f"share of buyers went from {previous_shares.get(int(o), 0.0):.1%} "
                          f"to {shares_now[r]:.1%}"})
        elif r in shrunk:
            changes.events.append(_shrink(int(o), table[r], shares_now[r],
                                          previous_shares.get(int(o), 0.0)))
        elif r not in pairs.values():
            changes.events.append(_old_event(int(o), new_ids, table[r], pairs))
    for o in set(previous_shares) - {int(i) for i in old_ids}:
        changes.events.append({"type": "death", "previous_id": int(o), "customers": 0,
                               "reason": "no customer of today falls in it"})
    return changes


def _new_event(n: int, old_ids: np.ndarray, column: np.ndarray,
               was: pd.Series) -> dict[str, Any]:
    members = int(column.sum())
    top = int(np.argmax(column))
    parent, held = int(old_ids[top]), float(column[top] / max(members, 1))
    stayed = float((was == parent).mean()) if members else 0.0
    newcomers = float(was.isna().mean()) if members else 0.0
    if newcomers < MAJORITY and stayed >= MAJORITY:
        return {"type": "split", "new_id": n, "previous_id": parent, "customers": members,
                "reason": f"{stayed:.0%} of its customers were in segment {parent} last run, "
                          "now told apart from the rest of it"}
    if newcomers < MAJORITY and held >= MAJORITY:  # the previous model describes them
        return {"type": "split", "new_id": n, "previous_id": parent, "customers": members,
                "reason": f"{held:.0%} of its customers are in segment {parent} under the "
                          f"previous model ({held - stayed:.0%} moved there since the last "
                          "run), now told apart from the rest of it"}
    return {"type": "birth", "new_id": n, "customers": members,
            "reason": f"a group the previous segments did not have: {newcomers:.0%} of its "
                      f"customers are new buyers, {stayed:.0%} were in segment {parent}, "
                      "the closest one"}


def _shrink(o: int, row: np.ndarray, share_now: float, share_before: float) -> dict[str, Any]:
    return {"type": "shrink", "previous_id": o, "customers": int(row.sum()),
            "reason": f"its share of buyers went from {share_before:.1%} to {share_now:.1%}: "
                      "most of its customers moved out (the previous model itself puts "
                      "them elsewhere); those it still holds did not change and keep it"}


def _old_event(o: int, new_ids: np.ndarray, row: np.ndarray,
               pairs: dict[int, int]) -> dict[str, Any]:
    members = int(row.sum())
    target = int(np.argmax(row))
    if row[target] >= MAJORITY * members and target in pairs:
        return {"type": "merge", "previous_id": o, "new_id": int(new_ids[target]),
                "customers": members,
                "reason": f"{row[target] / members:.0%} of its customers now fall in a "
                          "segment that continues another one"}
    return {"type": "unmatched", "previous_id": o, "customers": members,
            "reason": f"no segment of the re-fit continues it (its customers spread over "
                      f"several, at most {row[target] / members:.0%} in one); the previous "
                      "model still finds them in it, so it stays"}


def transitions(previous: pd.Series, current: pd.Series) -> pd.DataFrame:
    """Customers by (previous segment, current segment); :data:`ABSENT` for a customer
    missing from one of the runs."""
    both = pd.concat({"from_segment_id": previous, "to_segment_id": current}, axis=1)
    both = both.fillna(ABSENT).astype("int64")
    counts = both.groupby(["from_segment_id", "to_segment_id"]).size()
    return counts.rename("customers").reset_index()


def continuity(previous: pd.Series, old: pd.Series, current: pd.Series) -> dict[str, Any]:
    """Of the customers the previous model leaves where they were (``old`` equals
    ``previous``), the share whose segment id is still the same (``current``)."""
    common = previous.index.intersection(old.index).intersection(current.index)
    stayers = common[(previous.loc[common] == old.loc[common]).to_numpy()]
    kept = float((current.loc[stayers] == previous.loc[stayers]).mean()) if len(stayers) else 1.0
    return {"stayers": len(stayers), "kept": kept, "common_buyers": len(common)}


def segment_mix(previous: pd.Series, current: pd.Series,
                names: dict[int, str]) -> list[dict[str, Any]]:
    """Each segment's share of all customers in the previous run and now."""
    before = previous.value_counts(normalize=True)
    now = current.value_counts(normalize=True)
    rows = []
    for sid in sorted(set(before.index) | set(now.index)):
        was, share = float(before.get(sid, 0.0)), float(now.get(sid, 0.0))
        rows.append({"segment_id": int(sid), "segment_name": names.get(int(sid), ""),
                     "previous_share": round(was, 4), "share": round(share, 4),
                     "change": round(share - was, 4)})
    return rows
