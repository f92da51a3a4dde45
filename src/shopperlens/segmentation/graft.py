"""Grow a fitted segment model by the segments born since, less the ones that died.

A re-fit on today's data finds a group the previous segments did not have (a birth), or
no longer finds one of them (a death). Adopting the re-fit whole would move every
customer near a boundary it draws a little differently, though their behaviour did not
change. :func:`graft` keeps the previous model for everyone it still describes and
takes from the re-fit (the *donor*) only what changed:

* a customer the donor puts in a born segment takes that segment's id (when it takes
  from the customer's segment: see ``sources``);
* a customer the previous model puts in a dead segment takes the id the donor's segment
  for them goes to (its *heir*);
* everyone else keeps the previous model's segment.

The grafted model is a copy of the previous one whose ``predict`` applies that rule
after its own clustering (grafts chain: a later run grafts onto a grafted model), and
whose profiles, names, rules and actions describe its segments on today's data. The
segments kept keep their ids and names.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import validate_data

from shopperlens.errors import ModelError
from shopperlens.segmentation._selection import MAX_SEED, sample_rows
from shopperlens.segmentation._validation import ensure_fitted, feature_names

__all__ = ["MAX_GRAFTS", "Graft", "graft"]

# Each graft keeps its donor inside the saved model and runs it on every prediction; past
# this many the next change re-fits whole, so a model watched for years stays small.
MAX_GRAFTS = 3


@dataclass
class Graft:
    """One graft: internal segments of the model before it -> internal segments after."""

    donor: Any  # the re-fit SegmentModel
    columns: np.ndarray  # the donor's feature columns, as positions in the model's
    keep: np.ndarray  # internal segment before -> after; -1 for a dead one
    born: dict[int, int]  # donor segment id -> internal segment after
    heirs: dict[int, int]  # donor segment id -> internal segment after, for the dead's
    sources: dict[int, np.ndarray]  # born donor id -> internal segments before it takes from

    def apply(self, A: np.ndarray, internal: np.ndarray) -> np.ndarray:
        donor = np.asarray(self.donor.predict_array(A[:, self.columns]))
        out = self.keep[internal]
        for segment, target in self.born.items():
            out[(donor == segment) & np.isin(internal, self.sources[segment])] = target
        dead = out < 0
        if dead.any():
            out[dead] = [self.heirs[int(d)] for d in donor[dead]]
        return out


def graft(model: Any, donor: Any, X: pd.DataFrame, *, born: dict[int, int],
          dead: set[int], heirs: dict[int, int], names: dict[int, str],
          sources: dict[int, set[int]] | None = None) -> Any:
    """``model`` grown by the ``donor``'s ``born`` segments (donor id -> id shown), less
    the ``dead`` ones (ids of ``model``), whose customers go to ``heirs[donor id]``.

    ``sources[donor id]``: the segments of ``model`` whose customers the born segment
    takes (default: all); the customers of the others keep their segment.

    ``X``: today's customers in ``model``'s feature columns, on which the grafted
    model's segments are described; ``names``: the names of the ids ``model`` does not
    have. Raises :class:`~shopperlens.errors.ModelError` when the donor needs a feature
    ``model`` lacks, when an heir is itself dead, or when a segment would hold none of
    ``X``'s customers, or when ``model`` already carries :data:`MAX_GRAFTS` grafts.
    """
    ensure_fitted(model)
    ensure_fitted(donor)
    if len(getattr(model, "grafts_", [])) >= MAX_GRAFTS:
        raise ModelError(f"the previous model already carries {MAX_GRAFTS} grafts; "
                         "a re-fit keeps its size and prediction time bounded.")
    columns = _positions(feature_names(model), feature_names(donor))
    old_ids = [int(i) for i in model.segment_ids_]
    kept = [i for i in old_ids if i not in dead]
    added = sorted({*born.values(), *heirs.values()} - set(kept))
    if set(heirs.values()) & dead or set(added) & set(old_ids):
        raise ModelError("a grafted segment takes the id of a dead or existing one.")
    ids = kept + added
    index = {sid: k for k, sid in enumerate(ids)}
    position = {sid: k for k, sid in enumerate(old_ids)}
    takes = {int(d): np.array(sorted(position[i] for i in (sources or {}).get(d, old_ids)),
                              dtype=np.intp) for d in born}
    step = Graft(donor, columns,
                 np.array([index.get(i, -1) for i in old_ids], dtype=np.intp),
                 {int(d): index[t] for d, t in born.items()},
                 {int(d): index[t] for d, t in heirs.items()}, takes)
    out = copy.deepcopy(model)
    out.grafts_ = [*getattr(model, "grafts_", []), step]
    out.segment_ids_ = np.array(ids)
    out.n_segments_ = len(ids)
    _redescribe(out, X, {**{i: model.names_[i] for i in kept}, **names})
    return out


def _positions(columns: list[str], wanted: list[str]) -> np.ndarray:
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ModelError(f"the re-fit uses features the previous model lacks: "
                         f"{', '.join(missing)}; it cannot be grafted onto it.")
    return np.array([columns.index(c) for c in wanted], dtype=np.intp)


def _redescribe(model: Any, X: pd.DataFrame, names: dict[int, str]) -> None:
    """Profiles, names, rules and actions of ``model``'s segments on ``X``; the ids in
    ``names`` keep those names."""
    A = validate_data(model, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=False)
    Z = model._scaled(A)
    internal = model._internal(A, Z)
    empty = np.flatnonzero(np.bincount(internal, minlength=model.n_segments_) == 0)
    if len(empty):
        raise ModelError(f"segments {', '.join(str(model.segment_ids_[e]) for e in empty)} "
                         "would hold no customer of today's data.")
    rng = np.random.RandomState(model.random_state if isinstance(model.random_state, int)
                                else 0)
    sample = sample_rows(len(A), model.sample_size, rng)
    model._describe(A, Z, internal, feature_names(model), sample, int(rng.randint(MAX_SEED)))
    ids = {k: int(sid) for k, sid in enumerate(model.segment_ids_)}
    for attr in ("names_", "rules_", "rule_ranges_", "actions_", "segment_fidelity_"):
        setattr(model, attr, {ids[k]: v for k, v in getattr(model, attr).items()})
    model.names_.update({k: v for k, v in names.items() if k in model.names_})
    model.profiles_ = model.profiles_.rename(index=ids)
    model.profiles_["name"] = [model.names_[int(i)] for i in model.profiles_.index]
    model.labels_ = model.segment_ids_[internal]
