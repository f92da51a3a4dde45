"""The journeys of a run: :func:`analyse_journeys` over an engine holding the events
and the customers' segments (:data:`~shopperlens.journeys.sql.SEGMENTS_VIEW`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.engines.base import Engine
from shopperlens.journeys import sql
from shopperlens.journeys.friction import LOST_ORDERS, rank_friction
from shopperlens.journeys.funnel import (
    CELL,
    DEVICE,
    SESSIONS,
    STEP,
    completion_after,
    funnel_table,
)
from shopperlens.journeys.incidents import (
    BEFORE,
    DETECTED_ON,
    DROPPED,
    DURING,
    ENDED_ON,
    EXCESS,
    STARTED_ON,
    DropOffMonitor,
)

EVERY = "every"  # the channel and device of an incident over all of them together
INCIDENT_COLUMNS = (STEP, s.CHANNEL, DEVICE, s.SEGMENT_ID, STARTED_ON, DETECTED_ON, ENDED_ON,
                    BEFORE, DURING, LOST_ORDERS)


@dataclass
class Journeys:
    """Funnels, friction points, incidents and paths of a run's sessions."""

    steps: tuple[str, ...]
    funnel: pd.DataFrame  # journeys.parquet
    friction: pd.DataFrame  # friction.parquet
    incidents: pd.DataFrame  # incidents.parquet
    paths: pd.DataFrame  # path (step names), sessions, share (of a sample)
    exits: pd.DataFrame  # step, sessions that ended after it, support, negative
    sessions: int = 0


def analyse_journeys(engine: Engine, steps: Sequence[str], *, device: bool,
                     named: bool = False, channel: bool = True, as_of: datetime | None = None,
                     interactions: bool = False, rating: bool = False,
                     monitor: DropOffMonitor | None = None) -> Journeys:
    """Everything :class:`Journeys` holds, from the engine's ``events`` (with a
    ``device`` column when ``device``, a ``channel`` column when ``channel``, a ``step``
    column that names an event's funnel step in place of its name when ``named``) and,
    with ``interactions``, the contacts
    that follow sessions (``rating``: the interactions have one)."""
    steps = tuple(steps)
    engine.create_table(sql.SESSIONS_TABLE,
                        sql.sessions_sql(steps, device=device, as_of=as_of, named=named,
                                         channel=channel))
    counts = engine.fetch_df(sql.cells_sql(len(steps)))
    funnel = funnel_table(counts, steps)
    values = engine.fetch_df(sql.order_values_sql(as_of))
    value = dict(zip(values[s.SEGMENT_ID], values["value"].astype(float), strict=True))
    overall = float(np.nanmedian(list(value.values()))) if value else 0.0
    friction = rank_friction(funnel, steps, value, overall)
    daily = daily_steps(engine.fetch_df(sql.daily_sql(len(steps))), steps)
    incidents = find_incidents(daily, funnel, steps, monitor or DropOffMonitor())
    n_sessions = int(counts["reached_0"].sum()) if len(counts) else 0
    paths = engine.fetch_df(sql.paths_sql(steps, n_sessions, as_of=as_of, named=named))
    paths["path"] = [[steps[k] for k in path] for path in paths["path"]]
    exits = exits_by_step(engine, steps, interactions=interactions, rating=rating)
    return Journeys(steps, funnel, friction, incidents, paths, exits, n_sessions)


def daily_steps(daily: pd.DataFrame, steps: Sequence[str]) -> pd.DataFrame:
    """``daily`` (``reached_k`` per day and cell) as one row per day, cell and step but
    the last: the ``sessions`` there and those ``dropped`` (reached no later step)."""
    parts = []
    for k, step in enumerate(steps[:-1]):
        part = daily[["day", *CELL]].assign(**{
            STEP: step, SESSIONS: daily[f"reached_{k}"],
            DROPPED: daily[f"reached_{k}"] - daily[f"reached_{k + 1}"]})
        parts.append(part[part[SESSIONS] > 0])
    return pd.concat(parts, ignore_index=True)


def find_incidents(daily: pd.DataFrame, funnel: pd.DataFrame, steps: Sequence[str],
                   monitor: DropOffMonitor) -> pd.DataFrame:
    """Incidents per step, channel and device over every session together (segment_id
    NULL) and per segment, and per step over every channel and device together
    (channel and device :data:`EVERY`: an incident on all of them shows there first);
    a segment's incident inside one of everyone's at the same step, channel and device
    is left out, and so is an incident of every channel and device that one of its
    cells found as soon. Most lost orders first, those of every channel and device
    less the lost orders of its cells' incidents at the time (counted once)."""
    keys = [STEP, s.CHANNEL, DEVICE, s.SEGMENT_ID]
    if daily.empty:  # no session reached the funnel
        return pd.DataFrame({c: pd.Series(dtype=float if c in (BEFORE, DURING, LOST_ORDERS)
                                          else "datetime64[ns]" if c.endswith("_on")
                                          else "Int64" if c == s.SEGMENT_ID else str)
                             for c in INCIDENT_COLUMNS})
    every = daily.assign(**{s.SEGMENT_ID: -1})
    # one segment and no visitor outside it: its series are everyone's
    alone = daily[s.SEGMENT_ID].nunique(dropna=False) == 1
    parts = [every] if alone else [every, daily.dropna(subset=[s.SEGMENT_ID])]
    cells = every[[s.CHANNEL, DEVICE]].drop_duplicates()
    if len(cells) > 1:  # more than one channel and device: watch them together too
        parts.append(every.assign(**{s.CHANNEL: EVERY, DEVICE: EVERY}))
    found = monitor.detect(pd.concat(parts, ignore_index=True), keys).astype(
        {STEP: str, s.CHANNEL: str, DEVICE: str})
    found[s.SEGMENT_ID] = found[s.SEGMENT_ID].astype("Int64").replace(-1, pd.NA)
    found = _without_repeats(found)
    completion = completion_after(funnel.assign(_all=0), steps, by=["_all"]).droplevel(0)
    order = found[STEP].map({step: k for k, step in enumerate(steps)})
    found[LOST_ORDERS] = found[EXCESS] * order.map(completion).fillna(0).to_numpy(float)
    found = _pooled_once(found)
    found = found.sort_values([LOST_ORDERS, DETECTED_ON], ascending=[False, True],
                              kind="stable")
    return found[list(INCIDENT_COLUMNS)].reset_index(drop=True)


def _without_repeats(found: pd.DataFrame) -> pd.DataFrame:
    """``found`` less the segments' incidents that lie inside one of everyone's."""
    everyone = found[found[s.SEGMENT_ID].isna()]
    segments = found[found[s.SEGMENT_ID].notna()]
    if everyone.empty or segments.empty:
        return found.reset_index(drop=True)
    keys = [STEP, s.CHANNEL, DEVICE]
    pairs = segments.reset_index().merge(everyone, on=keys, suffixes=("", "_all"))
    inside = _overlaps(pairs, "_all")
    return found.drop(index=pairs.loc[inside, "index"].unique()).reset_index(drop=True)


def _overlaps(pairs: pd.DataFrame, suffix: str) -> pd.Series:
    """Whether each pair's two incidents (the second's columns with ``suffix``) share a
    day (an end of NaT: still open)."""
    end, end_other = pairs[ENDED_ON], pairs[f"{ENDED_ON}{suffix}"]
    return ((end.isna() | (pairs[f"{STARTED_ON}{suffix}"] <= end))
            & (end_other.isna() | (end_other >= pairs[STARTED_ON])))


def _pooled_once(found: pd.DataFrame) -> pd.DataFrame:
    """``found`` less the incidents of every channel and device (everyone's) that a
    cell's incident at the same step and time found as soon, and with the others'
    lost orders less those of the cells' incidents at the time."""
    everyone = found[s.SEGMENT_ID].isna()
    pooled = found[everyone & (found[s.CHANNEL] == EVERY)]
    cells = found[everyone & (found[s.CHANNEL] != EVERY)]
    if pooled.empty or cells.empty:
        return found
    pairs = pooled.reset_index().merge(cells, on=STEP, suffixes=("", "_cell"))
    pairs = pairs[_overlaps(pairs, "_cell")]
    sooner = pairs[pairs[f"{DETECTED_ON}_cell"] <= pairs[DETECTED_ON]]["index"].unique()
    counted = pairs.groupby("index")[f"{LOST_ORDERS}_cell"].sum()
    found = found.copy()
    found.loc[counted.index, LOST_ORDERS] = (
        found.loc[counted.index, LOST_ORDERS] - counted).clip(lower=0)
    return found.drop(index=sooner)


def exits_by_step(engine: Engine, steps: Sequence[str], *, interactions: bool,
                  rating: bool) -> pd.DataFrame:
    """Per funnel step: the sessions that ended after it and, with ``interactions``,
    the support contacts and negative texts that followed them."""
    exits = engine.fetch_df(sql.exits_sql())
    frame = pd.DataFrame({STEP: list(steps)})
    frame[SESSIONS] = frame.index.map(dict(zip(exits["last_step"], exits[SESSIONS], strict=True)))
    frame["support"] = frame["negative"] = 0
    if interactions:
        contacts = engine.fetch_df(sql.contacts_sql(rating=rating)).set_index("last_step")
        frame["support"] = frame.index.map(contacts["support"])
        frame["negative"] = frame.index.map(contacts["negative"])
    return frame.fillna(0).astype({SESSIONS: "int64", "support": "int64",
                                   "negative": "int64"})
