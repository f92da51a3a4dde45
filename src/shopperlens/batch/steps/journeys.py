"""Step ``journeys``: funnels, friction points, incidents and paths of the sessions,
per segment, channel and device (only when the events have sessions)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from shopperlens import schema as s
from shopperlens.batch.outputs import write_frame
from shopperlens.batch.state import RunState
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.journeys import analyse_journeys, check_steps
from shopperlens.journeys.analyse import Journeys
from shopperlens.journeys.sql import SEGMENTS_VIEW


def wanted(state: RunState) -> bool:
    """The run has events (with a ``session_id``) to read as journeys."""
    quality = state.quality.get(s.EVENTS.name)
    if quality is None or not quality.rows_kept or state.engine is None:
        return False
    return s.SESSION_ID in state.engine.columns(s.EVENTS.name)


def analyse(state: RunState) -> None:
    """Adds ``journeys`` to the result, its tables to the output folder and its
    figures to ``run.json``."""
    engine, result = state.engine, state.result
    assert engine is not None and result is not None
    steps = check_steps(state.settings.journey_steps)
    segments_source(engine, state)
    interactions = state.quality.get(s.INTERACTIONS.name)
    columns = engine.columns(s.EVENTS.name)
    journeys = analyse_journeys(
        engine, steps, device=s.DEVICE in columns, named=s.STEP in columns,
        channel=s.CHANNEL in columns, as_of=state.as_of,
        interactions=interactions is not None and interactions.rows_kept > 0,
        rating=engine.has_table(s.INTERACTIONS.name)
        and s.RATING in engine.columns(s.INTERACTIONS.name))
    result.journeys = journeys
    result.record["metrics"]["journeys"] = journey_metrics(journeys)
    if state.out_dir is not None:
        write_frame(journeys.funnel, state.out_dir / s.JOURNEYS_FILE)
        write_frame(journeys.friction, state.out_dir / s.FRICTION_FILE)
        write_frame(dated(journeys.incidents), state.out_dir / s.INCIDENTS_FILE)
    state.timer.count("journeys", sessions=journeys.sessions,
                      incidents=len(journeys.incidents))


def segments_source(engine: DuckDBEngine, state: RunState) -> None:
    """The run's ``customer_id -> segment_id`` as :data:`SEGMENTS_VIEW`: read from the
    segments file of a run too big to hold, else from the frame in memory."""
    result = state.result
    assert result is not None
    if result.is_stored():
        path = str(result.out_dir / f"{s.SEGMENTS_FILE}.parquet").replace("'", "''")  # type: ignore[operator]
        engine.create_view(SEGMENTS_VIEW, f"SELECT {s.CUSTOMER_ID}, {s.SEGMENT_ID} "
                                          f"FROM read_parquet('{path}')")
        return
    engine.register(SEGMENTS_VIEW, result.segments[[s.CUSTOMER_ID, s.SEGMENT_ID]])


def dated(incidents: pd.DataFrame) -> pd.DataFrame:
    """``incidents`` with their days as dates (no time of day)."""
    frame = incidents.copy()
    for column in ("started_on", "detected_on", "ended_on"):
        frame[column] = frame[column].dt.date
    return frame


def journey_metrics(journeys: Journeys) -> dict[str, Any]:
    """The figures of ``run.json``: sessions, the funnel over everyone, the top paths,
    where sessions end (and the contacts after), how many friction points and incidents."""
    funnel = journeys.funnel.groupby("step", sort=False)[["sessions", "reached_next"]].sum()
    return {
        "steps": list(journeys.steps),
        "sessions": journeys.sessions,
        "funnel": [{"step": step, "sessions": int(row.sessions),
                    "reached_next": int(row.reached_next)} for step, row in funnel.iterrows()],
        "paths": [{"path": list(p.path), "share": round(float(p.share), 4)}
                  for p in journeys.paths.head(10).itertuples()],
        "exits": journeys.exits.to_dict("records"),
        "friction_points": len(journeys.friction),
        "incidents": len(journeys.incidents),
    }
