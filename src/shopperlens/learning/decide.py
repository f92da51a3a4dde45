"""Keep the previous segment model, grow it by the segments born and less the dead, or
(when it cannot be grown) adopt the re-fitted one with the old ids.

The rule (:func:`decide`): the previous model changes when the re-fit shows a segment
born or dead, or when the features drifted (a PSI, ageing apart, above
:data:`~shopperlens.learning.drift.PSI_ALARM`) *and* the previous model, applied to
today's buyers, draws a segment mix that moved by at least :data:`MIX_SHIFT` (total
variation distance) from the previous run's: the drift changed what its segments hold.
Otherwise the previous model keeps assigning as it is. A drift that leaves the mix where
it was (seasonality in a trend, a shift inside every segment alike) is reported, not
acted on; so are splits and merges alone (a re-fit cutting the same customers a little
differently, or more finely).

A change is *grafted* (:func:`~shopperlens.segmentation.graft.graft`): the previous
model keeps assigning everyone it still describes; only the customers the re-fit puts in
a born segment take its (fresh) id (but not an old segment's own: of the born segment's
customers the previous model puts in segment S, if most were in S last run, they keep
S), and only those of a dead segment go where the re-fit puts them; every segment is
described again on today's data, the kept ones under their ids and names. So a birth or
a death costs no customer outside it their id, whatever else the re-fit cuts
differently. Splits, merges and shrinks stay reported, not enacted; so does a birth
with nobody to take (each of its customers in a segment most of whose share was there
last run): it becomes a ``regroup`` event, with no id, and is no reason to change.
Only when the previous model cannot be grown (the re-fit uses features it lacks, a
segment would be left empty, or it already carries
:data:`~shopperlens.segmentation.graft.MAX_GRAFTS` grafts) is the re-fit adopted whole,
its segments paired with old ones keeping their ids and names and the others taking
fresh ids above every old one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from shopperlens.errors import ModelError
from shopperlens.learning.changes import MAJORITY, Changes, segment_changes
from shopperlens.learning.drift import feature_drift
from shopperlens.segmentation import renumber
from shopperlens.segmentation.graft import graft

MIX_SHIFT = 0.1  # a tenth of the buyers in net changed segment under the same model

__all__ = ["MIX_SHIFT", "Decision", "decide"]


@dataclass
class Decision:
    """What :func:`decide` chose, and the evidence."""

    refit: bool  # the model assigning changed (grafted or re-fitted)
    reasons: list[str]
    drift: pd.DataFrame  # feature_drift's table
    changes: Changes
    old_labels: pd.Series  # the previous model on today's buyers
    model: Any  # the SegmentModel to assign with: the previous one, grafted, or the re-fit
    mix_shift: float  # total variation between the previous mix and the previous model's now
    kept_if_refitted: float  # of the stayers, the share the whole re-fit would keep
    mode: str = "kept"  # "kept", "grafted" or "refitted"

    def summary(self) -> dict[str, Any]:
        return {"decision": self.mode, "reasons": self.reasons,
                "drift_alarms": self.drift.loc[self.drift["alarm"], "feature"].tolist(),
                "mix_shift": round(self.mix_shift, 4),
                "kept_if_refitted": round(self.kept_if_refitted, 4),
                "events": self.changes.events}


def decide(old_model: Any, new_model: Any, old_X: pd.DataFrame, new_X: pd.DataFrame,
           previous: pd.Series, previous_features: pd.DataFrame, days: float) -> Decision:
    """Choose between ``old_model``, ``old_model`` grafted, and the re-fitted ``new_model``.

    ``old_X`` and ``new_X``: today's buyers in each model's feature columns (same index,
    the customer ids); ``previous``: the previous run's segment of its buyers;
    ``previous_features``: the previous run's buyers' features; ``days`` between the
    two cutoffs.
    """
    drift = feature_drift(previous_features, old_X, days, list(old_X.columns))
    old_labels = pd.Series(old_model.predict(old_X), index=old_X.index)
    new_labels = pd.Series(new_model.predict(new_X), index=new_X.index)
    shares = previous.value_counts(normalize=True)
    changes = segment_changes(previous, old_labels, new_labels,
                              {int(k): float(v) for k, v in shares.items()})
    shift = 0.5 * float(old_labels.value_counts(normalize=True).subtract(
        shares, fill_value=0.0).abs().sum())
    born = [int(e["new_id"]) for e in changes.of("birth")]  # re-fit ids, before _ids
    dead = {int(e["previous_id"]) for e in changes.of("death")}
    sources = _sources(previous, old_labels, new_labels, born, dead)
    regrouped = {b for b in born if not sources[b]}  # a graft moves none of them
    reasons = _reasons(drift, shift, changes, regrouped)
    mapping = _ids(old_model, new_model, changes)
    stayers = old_labels[old_labels == previous.reindex(old_labels.index)]
    kept = float((new_labels.loc[stayers.index].map(mapping) == stayers).mean()
                 ) if len(stayers) else 1.0
    evidence = (drift, changes, old_labels)
    if not reasons:
        _regroup(changes, {mapping[b] for b in regrouped})
        why = (f"{', '.join(drift.loc[drift['alarm'], 'feature'])} drifted but the previous "
               f"segments' mix moved by {shift:.0%} only; no segment born or dead"
               if drift["alarm"].any() else "no drift, no segment born or dead")
        return Decision(False, [why], *evidence, old_model, shift, kept)
    try:
        grafted = _graft(old_model, new_model, old_X, (old_labels, new_labels), changes,
                         {b: mapping[b] for b in born if b not in regrouped}, sources)
    except ModelError as exc:  # the previous model cannot be grown: the re-fit, whole
        names = {old: old_model.names_[old] for old in changes.paired.values()}
        model = renumber(new_model, mapping, names, first=set(changes.paired))
        return Decision(True, [*reasons, f"the re-fit adopted whole: {exc}"], *evidence,
                        model, shift, kept, "refitted")
    _regroup(changes, {mapping[b] for b in regrouped})
    return Decision(True, reasons, *evidence, grafted, shift, kept, "grafted")


def _graft(old_model: Any, new_model: Any, old_X: pd.DataFrame,
           labels: tuple[pd.Series, pd.Series], changes: Changes, born: dict[int, int],
           sources: dict[int, set[int]]) -> Any:
    """``old_model`` grown by the ``born`` segments (re-fit id -> id shown; each takes
    the customers of its ``sources``), less the dead; the events say so. ``labels``: the
    previous model's today, the re-fit's."""
    old_labels, new_labels = labels
    dead = {int(e["previous_id"]) for e in changes.of("death")}
    kept = {born[f]: sorted(set(old_labels[new_labels == f].astype(int)) - sources[f])
            for f in born}
    composite = old_labels.mask(old_labels.isin(dead))
    for fitted, shown in born.items():
        composite[(new_labels == fitted) & old_labels.isin(sources[fitted])] = shown
    heirs = {}
    for fitted in (int(i) for i in new_model.segment_ids_):
        landing = composite[(new_labels == fitted) & composite.notna()]
        heirs[fitted] = (born[fitted] if fitted in born else
                         int(landing.mode().iloc[0]) if len(landing) else
                         int(composite.mode().iloc[0]))
    names = {shown: new_model.names_[fitted] for fitted, shown in born.items()}
    model = graft(old_model, new_model, old_X, born=born, dead=dead, heirs=heirs,
                  names=names, sources=sources)
    for event in changes.events:
        if event["type"] == "birth" and event["new_id"] in kept:
            event["reason"] += _birth_note(kept[event["new_id"]])
        elif event["type"] != "birth":
            event["reason"] += _ENACTED.get(event["type"], "")
    return model


def _regroup(changes: Changes, shown: set[int]) -> None:
    """Births the previous model keeps (each of their customers in a segment most of whose
    share was there last run: no source to take from) become ``regroup`` events: reported,
    with no id, as no customer takes one."""
    for event in changes.of("birth"):
        if event["new_id"] in shown:
            event["type"] = "regroup"
            del event["new_id"], event["name"]
            event["reason"] += ("; all of them were already in their segments last run and "
                                "stay there: reported, not enacted, so no new id")


def _birth_note(kept: list[int]) -> str:
    if not kept:
        return "; its customers take this id, everyone else keeps theirs"
    where = ", ".join(str(k) for k in kept)
    return (f"; its customers take this id, but those the previous model puts in segment(s) "
            f"{where}, most of whom were there last run, keep theirs (as everyone else)")


def _sources(previous: pd.Series, old_labels: pd.Series, new_labels: pd.Series,
             born: Iterable[int], dead: set[int]) -> dict[int, set[int]]:
    """Born re-fit segment -> the old segments it takes its customers from: those whose
    share of it were mostly elsewhere (or not buyers) last run. Customers the previous
    model puts in a segment most of whom were already there are that segment's own
    (as for a split), and keep it; a dead segment's customers move either way."""
    was = previous.reindex(old_labels.index)
    sources = {}
    for fitted in born:
        members = new_labels == fitted
        stayed = (was == old_labels)[members].groupby(old_labels[members]).mean()
        sources[fitted] = {int(o) for o, share in stayed.items()
                           if share < MAJORITY or int(o) in dead}
    return sources


_ENACTED = {  # how a graft acts on each kind of event (births: _birth_note)
    "death": "; its customers go where the re-fit puts them, everyone else keeps theirs",
    "merge": "; reported, not enacted: its customers keep its id",
}


def _reasons(drift: pd.DataFrame, shift: float, changes: Changes,
             regrouped: set[int]) -> list[str]:
    """Why the re-fit must be adopted; empty when the previous model still holds.
    ``regrouped``: re-fit ids of births that take no customer from anyone (not a reason)."""
    reasons = []
    if drift["alarm"].any() and shift >= MIX_SHIFT:
        reasons = [f"{row.feature} drifted (PSI {row.psi:.2f}, ageing apart)"
                   for row in drift.itertuples() if row.alarm]
        reasons.append(f"under the previous model {shift:.0%} of the buyers changed "
                       "segment in net")
    reasons += [f"a segment of {e['customers']} customers was born"
                for e in changes.of("birth") if e["new_id"] not in regrouped]
    return reasons + [f"segment {e['previous_id']} died" for e in changes.of("death")]


def _ids(old_model: Any, new_model: Any, changes: Changes) -> dict[int, int]:
    """Re-fit id -> id shown: the paired segments' old ids; a split's, the id of the
    segment continuing its parent (a re-fit cutting finer does not move those customers:
    the split is reported, not enacted); fresh ids for the rest. The events are told with
    the ids shown, and the paired segments' old names."""
    fresh = max(int(i) for i in old_model.segment_ids_) + 1
    mapping = dict(changes.paired)
    continuing = {old: new for new, old in changes.paired.items()}
    for event in changes.of("split"):
        if event["previous_id"] in continuing:
            mapping[event["new_id"]] = event["previous_id"]
            event["reason"] += "; kept in it, as the segments follow the previous ones"
    for new_id in sorted(int(i) for i in new_model.segment_ids_):
        if new_id not in mapping:
            mapping[new_id], fresh = fresh, fresh + 1
    for event in changes.events:
        if "new_id" in event:
            fitted = event["new_id"]
            paired = changes.paired.get(fitted)
            event["new_id"] = shown = mapping[fitted]
            event["name"] = (old_model.names_[paired] if paired is not None
                             else old_model.names_.get(shown, new_model.names_[fitted]))
    return mapping
