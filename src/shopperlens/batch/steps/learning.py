"""Steps ``continuity`` and ``changes``: a run that knows its predecessor (``--previous``).

``continuity`` (after ``segmentation``) reads the previous run and decides, by
:func:`shopperlens.learning.decide`, whether its segment model keeps assigning as it is,
grown by the segments born and less the dead (grafted), or the re-fit takes over with
the old ids. ``changes`` (after ``outputs``) compares the two
runs: drift, segment mix, transitions, the share of unchanged customers who kept their
id, the previous predictions' report card; writes ``segment_changes.json``,
``drift.csv`` and ``transitions.csv``, registers the model (``models/v<N>/``) and puts
the summary in ``run.json`` under ``learning``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from shopperlens import schema as s
from shopperlens.artifacts import write_json
from shopperlens.batch.outputs import write_frame
from shopperlens.batch.previous import PreviousRun, read_previous, register, registry_folder
from shopperlens.batch.state import RunState
from shopperlens.errors import ModelError
from shopperlens.learning import Decision, continuity, decide, report_card, transitions
from shopperlens.learning.changes import segment_mix
from shopperlens.segmentation import (
    NO_PURCHASE_ID,
    NO_PURCHASE_NAME,
    has_purchases,
    relabel_model,
)

CHANGES_FILE = "segment_changes.json"
DRIFT_FILE = "drift"
TRANSITIONS_FILE = "transitions"


@dataclass
class Learning:
    """What ``continuity`` leaves for ``changes``."""

    previous: PreviousRun
    decision: Decision | None  # None: the previous model could not be applied
    days: float
    version: int
    why: str = ""


def wanted(state: RunState) -> bool:
    return state.previous is not None


def choose(state: RunState) -> None:
    """Fills ``learning``; ``model`` becomes the previous one when it still holds."""
    assert state.previous is not None and state.fit_set is not None
    assert state.model is not None and state.as_of is not None
    previous = read_previous(state.previous)
    days = (pd.Timestamp(state.as_of) - previous.as_of).total_seconds() / 86_400
    buyers = state.fit_set.profiled[has_purchases(state.fit_set.profiled)]
    before = previous.features.loc[previous.segments[previous.segments >= 0].index
                                   .intersection(previous.features.index)]
    try:
        decision = decide(previous.model.segment_model, state.model.segment_model,
                          previous.model.matrix(buyers), state.model.matrix(buyers),
                          previous.segments[previous.segments >= 0],
                          previous.model.matrix(before), days)
    except ModelError as exc:  # the features changed: only a re-fit can say anything
        fitted = state.model.segment_model  # ids follow the previous run's segments
        now = pd.Series(fitted.predict(state.model.matrix(buyers)), index=buyers.index)
        was = previous.segments[previous.segments >= 0]
        state.model.segment_model = relabel_model(fitted, was, now)
        state.learning = Learning(previous, None, days, previous.version + 1, str(exc))
        return
    if decision.mode == "refitted":
        state.model.segment_model = decision.model
    else:  # kept or grafted: the previous model's columns; its as_of is this run's (the
        # service and assign measure features from it)
        state.model = replace(previous.model, as_of=state.model.as_of,
                              segment_model=decision.model)
    version = previous.version + 1 if decision.refit else previous.version
    state.learning = Learning(previous, decision, days, version)
    state.timer.count("continuity", drift_alarms=int(decision.drift["alarm"].sum()),
                      refitted=int(decision.refit))


def compare(state: RunState) -> None:
    """Writes the comparison with the previous run and records it in ``run.json``."""
    learning, result = state.learning, state.result
    assert isinstance(learning, Learning) and result is not None
    previous = learning.previous
    current = result.segments.set_index(s.CUSTOMER_ID)[s.SEGMENT_ID]
    names = {int(k): v for k, v in result.model.segment_model.names_.items()}
    names[NO_PURCHASE_ID] = NO_PURCHASE_NAME
    record = _summary(learning, state)
    record["mix"] = segment_mix(previous.segments, current, names)
    record["continuity"] = _continuity(previous, result.features, current)
    if previous.predictions is not None:
        record["report_card"] = report_card(previous.features, result.features,
                                            previous.predictions, learning.days)
    result.record["learning"] = record
    if state.out_dir is None:
        return
    write_json(state.out_dir / CHANGES_FILE, record)
    if learning.decision is not None:
        drift = learning.decision.drift.round(4)
        flags = {"ageing": drift["ageing"].astype("int64"), "alarm": drift["alarm"].astype("int64")}
        write_frame(drift.assign(**flags), state.out_dir / DRIFT_FILE)
    write_frame(transitions(previous.segments, current), state.out_dir / TRANSITIONS_FILE)
    _register(state, learning, record)


def _summary(learning: Learning, state: RunState) -> dict[str, Any]:
    record: dict[str, Any] = {
        "previous": str(learning.previous.folder),
        "previous_as_of": learning.previous.as_of.isoformat(),
        "days": round(learning.days, 2),
        "model_version": learning.version,
        "previous_model_version": learning.previous.version,
    }
    if learning.decision is None:
        record.update({"decision": "refitted", "reasons": [learning.why], "events": []})
        return record
    record.update(learning.decision.summary())
    drift = learning.decision.drift.round(4).astype(object)
    record["drift"] = drift.where(drift.notna(), None).to_dict("records")
    return record


def _continuity(previous: PreviousRun, features: pd.DataFrame,
                current: pd.Series) -> dict[str, Any]:
    """Of the buyers the previous model leaves where they were, who kept their id."""
    buyers = features[has_purchases(features)]
    try:
        old = pd.Series(previous.model.segment_model.predict(previous.model.matrix(buyers)),
                        index=buyers.index)
    except ModelError:
        return {}
    was = previous.segments[previous.segments >= 0]
    return continuity(was, old, current[current >= 0])


def _register(state: RunState, learning: Learning, record: dict[str, Any]) -> None:
    assert state.out_dir is not None
    folder = registry_folder(state.out_dir, state.settings.model_registry)
    previous = learning.previous
    register(folder, previous.version, previous.folder / s.MODEL_FILE,
             {"report_card": record.get("report_card")})
    register(folder, learning.version, state.out_dir / s.MODEL_FILE,
             {"last_used_by": str(state.out_dir), "last_used_as_of": str(state.as_of),
              "decision": record["decision"], "reasons": record["reasons"]})
