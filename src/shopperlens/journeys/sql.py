"""The SQL that reads events as journeys, for the run's engine to execute.

The events are read once into one row per session (:func:`sessions_sql`): its customer,
channel, device, first and last event time, depth (the furthest funnel step it holds),
last funnel step and the first time of each step. Everything else groups those rows,
a few per customer, never the events again; only the paths read the events once more,
for a sample of the sessions.

>>> "depth" in sessions_sql(("Product Viewed", "Order Completed"), device=False)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shopperlens import schema as s
from shopperlens.journeys.funnel import DEVICE, UNKNOWN
from shopperlens.timewindow import sql_before

SESSIONS_TABLE = "_journey_sessions"
SEGMENTS_VIEW = "_journey_segments"  # customer_id -> segment_id of the run
PATH_SAMPLE_SESSIONS = 200_000  # the paths are counted over about this many sessions
SUPPORT_SOURCES = (s.SUPPORT, s.CHAT)
NEGATIVE_RATING = 2  # a rating at or below it is a negative text
CONTACT_DAYS = 2  # a contact within this many days of a session follows its last step


def literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def step_name(named: bool) -> str:
    """SQL of an event's funnel step name: the step the retailer named on it (the
    events' ``step``, from ``properties.step``) when ``named`` and it has one, else the
    event's name."""
    return f"coalesce({s.STEP}, {s.EVENT})" if named else s.EVENT


def _step_index(steps: Sequence[str], named: bool) -> str:
    cases = " ".join(f"WHEN {literal(step)} THEN {k}" for k, step in enumerate(steps))
    return f"CASE {step_name(named)} {cases} END"


def funnel_events_sql(steps: Sequence[str], *, device: bool, as_of: datetime | None = None,
                      where: str = "TRUE", table: str = s.EVENTS.name,
                      named: bool = False, channel: bool = True) -> str:
    """The events of ``table`` at a funnel step, in a session (and before ``as_of``),
    with the step's index as ``k`` (``named``: the events have a ``step`` column;
    without ``device`` or ``channel`` columns, those are NULL)."""
    names = ", ".join(literal(step) for step in steps)
    window = sql_before(as_of, s.TIMESTAMP) if as_of is not None else "TRUE"
    return (
        f"SELECT {s.SESSION_ID}, {s.CUSTOMER_ID}, "
        f"{s.CHANNEL if channel else 'CAST(NULL AS VARCHAR)'} AS {s.CHANNEL}, "
        f"{DEVICE if device else 'CAST(NULL AS VARCHAR)'} AS {DEVICE}, {s.TIMESTAMP}, "
        f"{_step_index(steps, named)} AS k FROM {table} "
        f"WHERE {s.SESSION_ID} IS NOT NULL AND {step_name(named)} IN ({names}) "
        f"AND {window} AND {where}"
    )


def sessions_sql(steps: Sequence[str], *, device: bool, as_of: datetime | None = None,
                 table: str = s.EVENTS.name, named: bool = False, channel: bool = True) -> str:
    """One row per session with a funnel event (see the module's docstring)."""
    firsts = ", ".join(f"min({s.TIMESTAMP}) FILTER (WHERE k = {k}) AS t_{k}"
                       for k in range(len(steps)))
    events = funnel_events_sql(steps, device=device, as_of=as_of, table=table, named=named,
                               channel=channel)
    # min, not any_value: the same session gets the same channel on every run
    return (
        f"SELECT {s.SESSION_ID}, max({s.CUSTOMER_ID}) AS {s.CUSTOMER_ID}, "
        f"coalesce(min({s.CHANNEL}), '{UNKNOWN}') AS {s.CHANNEL}, "
        f"coalesce(min({DEVICE}), '{UNKNOWN}') AS {DEVICE}, "
        f"min({s.TIMESTAMP}) AS started, max({s.TIMESTAMP}) AS ended, "
        f"CAST(max(k) AS TINYINT) AS depth, CAST(arg_max(k, {s.TIMESTAMP}) AS TINYINT) "
        f"AS last_step, {firsts} "
        f"FROM ({events}) "
        f"GROUP BY {s.SESSION_ID}"
    )


def _segmented(table: str) -> str:
    return (f"{table} x LEFT JOIN {SEGMENTS_VIEW} g "
            f"ON x.{s.CUSTOMER_ID} = g.{s.CUSTOMER_ID}")


def cells_sql(n_steps: int, table: str = SESSIONS_TABLE) -> str:
    """Per segment, channel and device: ``reached_k`` (sessions of depth >= k) and
    ``seconds_k`` (median seconds from step k's first event to step k + 1's, over the
    sessions where the second follows the first)."""
    reached = ", ".join(f"count(*) FILTER (WHERE depth >= {k}) AS reached_{k}"
                        for k in range(n_steps))
    seconds = ", ".join(
        f"median(epoch(t_{k + 1}) - epoch(t_{k})) FILTER (WHERE t_{k + 1} >= t_{k}) "
        f"AS seconds_{k}" for k in range(n_steps - 1))
    return (
        f"SELECT g.{s.SEGMENT_ID}, x.{s.CHANNEL}, x.{DEVICE}, {reached}, {seconds} "
        f"FROM {_segmented(table)} GROUP BY ALL"
    )


def daily_sql(n_steps: int, table: str = SESSIONS_TABLE) -> str:
    """Per day a session started, segment, channel and device: ``reached_k``."""
    reached = ", ".join(f"count(*) FILTER (WHERE depth >= {k}) AS reached_{k}"
                        for k in range(n_steps))
    return (
        f"SELECT CAST(x.started AS DATE) AS day, g.{s.SEGMENT_ID}, x.{s.CHANNEL}, "
        f"x.{DEVICE}, {reached} FROM {_segmented(table)} GROUP BY ALL"
    )


def exits_sql(table: str = SESSIONS_TABLE) -> str:
    """Sessions by the funnel step they ended after (their last funnel event)."""
    return f"SELECT last_step, count(*) AS sessions FROM {table} GROUP BY 1 ORDER BY 1"


def paths_sql(steps: Sequence[str], n_sessions: int, *, limit: int = 20,
              as_of: datetime | None = None, named: bool = False) -> str:
    """The ``limit`` most common paths (funnel steps in order, repeats of a step in a
    row counted once) over a seeded hash sample of about :data:`PATH_SAMPLE_SESSIONS`
    of the ``n_sessions`` sessions, with their share of the sample."""
    every = max(1, n_sessions // PATH_SAMPLE_SESSIONS)
    sample = f"hash({s.SESSION_ID}) % {every} = 0"
    events = funnel_events_sql(steps, device=False, as_of=as_of, where=sample, named=named,
                               channel=False)
    return (
        f"WITH seq AS (SELECT list(k ORDER BY {s.TIMESTAMP}, k) AS l FROM ({events}) "
        f"GROUP BY {s.SESSION_ID}), "
        f"paths AS (SELECT list_filter(l, lambda x, i: i = 1 OR x <> l[i - 1]) AS path "
        f"FROM seq) "
        f"SELECT path, count(*) AS sessions, count(*) / sum(count(*)) OVER () AS share "
        f"FROM paths GROUP BY path ORDER BY sessions DESC, path LIMIT {limit}"
    )


def order_values_sql(as_of: datetime | None = None) -> str:
    """Per segment, the average order value (amount per distinct order)."""
    window = sql_before(as_of, f"t.{s.TIMESTAMP}") if as_of is not None else "TRUE"
    return (
        f"SELECT g.{s.SEGMENT_ID}, sum(t.{s.AMOUNT}) / count(DISTINCT t.{s.ORDER_ID}) AS value "
        f"FROM {s.TRANSACTIONS.name} t JOIN {SEGMENTS_VIEW} g "
        f"ON t.{s.CUSTOMER_ID} = g.{s.CUSTOMER_ID} WHERE {window} GROUP BY 1"
    )


def contacts_sql(*, rating: bool, table: str = SESSIONS_TABLE) -> str:
    """Per funnel step: the support contacts and negative texts (a rating of at most
    :data:`NEGATIVE_RATING`) of customers within :data:`CONTACT_DAYS` days after a
    session that ended after that step (their latest session before the text)."""
    sources = ", ".join(literal(x) for x in SUPPORT_SOURCES)
    negative = f"i.{s.RATING} <= {NEGATIVE_RATING}" if rating else "FALSE"
    return (
        f"SELECT x.last_step, count(*) FILTER (WHERE i.{s.SOURCE} IN ({sources})) AS support, "
        f"count(*) FILTER (WHERE {negative}) AS negative "
        f"FROM {s.INTERACTIONS.name} i ASOF JOIN "
        f"(SELECT {s.CUSTOMER_ID}, ended, last_step FROM {table} "
        f"WHERE {s.CUSTOMER_ID} IS NOT NULL) x "
        f"ON i.{s.CUSTOMER_ID} = x.{s.CUSTOMER_ID} AND i.{s.TIMESTAMP} >= x.ended "
        f"WHERE i.{s.TIMESTAMP} <= x.ended + INTERVAL {CONTACT_DAYS} DAY GROUP BY 1 ORDER BY 1"
    )
