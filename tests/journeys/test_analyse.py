"""The journeys over a synthetic clickstream: the funnel equals a hand-written DuckDB
query over the same events, and a planted incident comes first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.journeys import DEFAULT_STEPS, analyse_journeys
from shopperlens.journeys.synthetic import START, Planted, clickstream

STEPS = DEFAULT_STEPS

# Independent of the journeys' SQL: a session is at step k when it has an event of any
# step from k on (counted distinct), the seconds to the next step are from first to first.
HAND_WRITTEN = """
WITH steps AS (SELECT * FROM (VALUES {values}) v(k, name)),
sess AS (SELECT session_id, max(customer_id) AS customer_id, min(channel) AS channel,
                min(device) AS device FROM events WHERE session_id IS NOT NULL
                AND event IN (SELECT name FROM steps) GROUP BY session_id),
cell AS (SELECT x.session_id, g.segment_id, coalesce(x.channel, 'unknown') AS channel,
                coalesce(x.device, 'unknown') AS device
         FROM sess x LEFT JOIN segs g ON x.customer_id = g.customer_id),
at_step AS (SELECT c.segment_id, c.channel, c.device, t.k,
                   count(DISTINCT e.session_id) AS sessions
            FROM events e JOIN steps se ON e.event = se.name JOIN steps t ON se.k >= t.k
            JOIN cell c ON c.session_id = e.session_id GROUP BY ALL),
firsts AS (SELECT e.session_id, se.k, min(e.timestamp) AS t FROM events e
           JOIN steps se ON e.event = se.name WHERE e.session_id IS NOT NULL GROUP BY ALL),
gaps AS (SELECT c.segment_id, c.channel, c.device, a.k,
                median(epoch(b.t) - epoch(a.t)) AS seconds
         FROM firsts a JOIN firsts b ON a.session_id = b.session_id AND b.k = a.k + 1
         AND b.t >= a.t JOIN cell c ON c.session_id = a.session_id GROUP BY ALL)
SELECT a.segment_id, a.channel, a.device, a.k, a.sessions,
       coalesce(n.sessions, 0) AS reached_next, g.seconds
FROM at_step a LEFT JOIN at_step n ON n.k = a.k + 1 AND n.channel = a.channel
  AND n.device = a.device AND n.segment_id IS NOT DISTINCT FROM a.segment_id
LEFT JOIN gaps g ON g.k = a.k AND g.channel = a.channel AND g.device = a.device
  AND g.segment_id IS NOT DISTINCT FROM a.segment_id
WHERE a.k < {last}
"""


def with_odd_rows(events: pa.Table) -> pa.Table:
    """Events without a session, of no funnel step, and of a customer of no segment."""
    odd = pd.DataFrame({
        "message_id": ["x1", "x2", "x3", "x4"], "customer_id": ["c1", "c1", "nobody", None],
        "session_id": [None, "s-odd", "s-odd2", "s-odd3"],
        "timestamp": pd.to_datetime(["2025-01-05 10:00"] * 4),
        "event": ["Product Viewed", "Page Viewed", "Product Added", "Order Completed"],
        "channel": ["web", "web", None, "app"], "device": ["ios", "ios", "desktop", None]})
    return pa.concat_tables([events, pa.Table.from_pandas(odd, schema=events.schema,
                                                          preserve_index=False)])


@pytest.fixture(scope="module")
def analysed() -> tuple[DuckDBEngine, pd.DataFrame, object]:
    events, segments = clickstream(customers=400, days=70, sessions_per_day=0.5, seed=4,
                                   planted=[Planted(2, "web", "mobile", 50, 15, 0.6)])
    engine = DuckDBEngine(threads=2)
    engine.register("events", with_odd_rows(events))
    engine.register("segs", segments.iloc[: len(segments) - 50])  # some of no segment
    engine.create_view("_journey_segments", "SELECT * FROM segs")
    engine.register("transactions", pd.DataFrame({
        "customer_id": segments["customer_id"].head(20), "order_id": range(20),
        "amount": 50.0, "timestamp": START}))
    journeys = analyse_journeys(engine, STEPS, device=True)
    yield engine, segments, journeys
    engine.close()


def test_the_funnel_equals_a_hand_written_duckdb_query(analysed: tuple) -> None:
    engine, _, journeys = analysed
    values = ", ".join(f"({k}, '{name}')" for k, name in enumerate(STEPS))
    expected = engine.fetch_df(HAND_WRITTEN.format(values=values, last=len(STEPS) - 1))
    expected["step"] = [STEPS[k] for k in expected["k"]]
    keys = ["segment_id", "channel", "device", "step"]
    got = journeys.funnel.assign(segment_id=journeys.funnel["segment_id"].astype("float"))
    both = got.merge(expected.assign(segment_id=expected["segment_id"].astype("float")),
                     on=keys, how="outer", suffixes=("", "_hand"), indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"]
    assert (both["sessions"] == both["sessions_hand"]).all()
    assert (both["reached_next"] == both["reached_next_hand"]).all()
    pd.testing.assert_series_equal(both["median_seconds_to_next"], both["seconds"],
                                   check_names=False)
    assert both["segment_id"].isna().any()  # visitors of no segment have their own funnel


def test_the_planted_incident_is_found_first_at_its_step_channel_and_device(
        analysed: tuple) -> None:
    incident = analysed[2].incidents.iloc[0]
    assert (incident["step"], incident["channel"], incident["device"]) == (
        STEPS[2], "web", "mobile")
    assert 0 <= (incident["detected_on"] - (START + pd.Timedelta(days=50))).days <= 3


def test_paths_and_exits_add_up(analysed: tuple) -> None:
    journeys = analysed[2]
    assert journeys.exits["sessions"].sum() == journeys.sessions
    assert 0 < journeys.paths["share"].sum() <= 1
    assert journeys.paths["path"].map(lambda p: p[0] in STEPS).all()


def test_sessions_that_never_reach_the_funnel_give_empty_tables() -> None:
    events = pd.DataFrame({"session_id": ["s1"], "customer_id": ["c1"], "channel": ["web"],
                           "device": ["ios"], "timestamp": [START], "event": ["Page Viewed"]})
    with DuckDBEngine(threads=1) as engine:
        engine.register("events", events)
        engine.register("_journey_segments", pd.DataFrame({"customer_id": ["c1"],
                                                           "segment_id": [0]}))
        engine.register("transactions", pd.DataFrame({"customer_id": ["c1"], "order_id": [1],
                                                      "amount": [5.0], "timestamp": [START]}))
        journeys = analyse_journeys(engine, STEPS, device=True)
    assert journeys.sessions == 0
    assert journeys.funnel.empty and journeys.friction.empty and journeys.incidents.empty
    assert journeys.exits["sessions"].sum() == 0


RETAILER_STEPS = ("browse", "basket", "checkout", "pay", "done")


def test_steps_the_retailer_names_give_the_same_funnel_as_event_names(
        analysed: tuple) -> None:
    """The same sessions with their steps named in ``step`` (the events' names all
    generic) have the same funnel; an event with no ``step`` keeps its own name."""
    engine, _, journeys = analysed
    names = dict(zip(STEPS, RETAILER_STEPS, strict=True))
    events = engine.fetch_df("SELECT * FROM events")
    renamed = events.assign(step=events["event"].map(names), event="Page Viewed")
    # one event in ten keeps its own name, as the retailer's step, and no ``step``
    plain = events.index % 10 == 0
    renamed.loc[plain, "event"] = renamed.loc[plain, "step"]
    renamed.loc[plain, "step"] = None
    with DuckDBEngine(threads=2) as other:
        other.register("events", renamed)
        for name in ("_journey_segments", "transactions"):
            other.register(name, engine.fetch_df(f"SELECT * FROM {name}"))
        named = analyse_journeys(other, RETAILER_STEPS, device=True, named=True)
    expected = journeys.funnel.assign(step=journeys.funnel["step"].map(names))
    pd.testing.assert_frame_equal(named.funnel, expected)
    assert named.incidents.iloc[0]["step"] == names[STEPS[2]]
    assert [list(p) for p in named.paths["path"]] == [
        [names[x] for x in p] for p in journeys.paths["path"]]


def test_an_incident_on_every_device_is_found_over_them_together_first() -> None:
    """A payment outage on every device of a quiet shop shows first in the series of
    every channel and device together; a cell's incident is no second alarm then."""
    from shopperlens.journeys.analyse import EVERY
    from shopperlens.journeys.synthetic import DEVICES

    planted = [Planted(3, channel, device, 50, 10, 0.7) for channel, device in DEVICES]
    events, segments = clickstream(customers=300, days=70, sessions_per_day=0.3, seed=6,
                                   planted=planted)
    with DuckDBEngine(threads=2) as engine:
        engine.register("events", events)
        engine.register("_journey_segments", segments)
        engine.register("transactions", pd.DataFrame({
            "customer_id": ["-"], "order_id": [0], "amount": [1.0], "timestamp": [START]}))
        found = analyse_journeys(engine, STEPS, device=True).incidents
    at_step = found[(found["step"] == STEPS[3]) & found["segment_id"].isna()]
    every = at_step[at_step["channel"] == EVERY]
    assert len(every) == 1 and (every["device"] == EVERY).all()
    assert 0 <= (every["detected_on"].iloc[0] - (START + pd.Timedelta(days=50))).days <= 3
    cells = at_step[at_step["channel"] != EVERY]
    assert (cells["detected_on"] > every["detected_on"].iloc[0]).all()


def test_steps_named_in_properties_reach_the_funnel_through_ingest(
        write_folder: Callable[..., Path]) -> None:
    """Events loaded as the run loads them, their steps named only in ``properties``:
    the funnel counts them by those names (two sessions at ``cart``, one goes on)."""
    from shopperlens.ingest import load_folder

    events = """
message_id,customer_id,session_id,timestamp,event,properties
m1,c1,s1,2024-01-01 10:00,Page Viewed,"{""step"": ""cart""}"
m2,c1,s1,2024-01-01 10:01,Page Viewed,"{""step"": ""pay""}"
m3,c1,s2,2024-01-02 10:00,Page Viewed,"{""step"": ""cart"", ""path"": ""/c""}"
m4,c1,s2,2024-01-02 10:01,Page Viewed,"{""path"": ""/x""}"
"""
    folder = write_folder(transactions="customer_id,order_id,timestamp,amount\nc1,o1,2024-01-01,1",
                          events=events)
    with DuckDBEngine(threads=1) as engine:
        load_folder(engine, folder)
        engine.register("_journey_segments", pd.DataFrame({"customer_id": ["c1"],
                                                           "segment_id": [0]}))
        columns = engine.columns("events")
        journeys = analyse_journeys(engine, ("cart", "pay"), device="device" in columns,
                                    named="step" in columns, channel="channel" in columns)
    assert "step" in columns and "channel" not in columns  # none in the file
    assert journeys.funnel[["step", "sessions", "reached_next"]].to_dict("records") == [
        {"step": "cart", "sessions": 2, "reached_next": 1}]
