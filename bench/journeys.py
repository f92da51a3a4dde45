"""Journeys: planted incidents found (delay, rank, false-alarm days) and throughput.

Run: ``python bench/journeys.py [--deps DIR] [--sizes 1,4,12] [--skip-demo] [--quiet]``
or ``python bench/journeys.py --scale``.

1. A synthetic clickstream (:mod:`shopperlens.journeys.synthetic`, written apart from the
   demo generator) at three volumes and seeds, with two planted incidents: a checkout bug
   on web/mobile for three weeks and a payment outage on app/ios for five days.
2. The demo (20,000 customers, personas as segments) with the same two kinds of incident
   planted into its events here (the demo generator is left as it is): a device column
   from the session, then, in a date range, the events after ``Checkout Started`` of half
   the web/mobile sessions removed, and after ``Payment Info Entered`` of 70% of sessions.
   With ``--quiet``: the same incidents on a quiet shop (1,500 customers, two seeds) and
   three shops with no incident (every alarm is false).
3. The ``ecom`` clickstream shipped in the PyPI package ``retentioneering`` (Apache-2.0;
   install it apart: ``pip install --target DIR --no-deps retentioneering``, then pass
   ``--deps DIR``), with its two documented incidents: the mobile checkout bug
   (2024-04-09 to 05-09, at ``shipping_details``) and the payment gateway incident
   (2024-05-19 to 06-07, at ``payment_details``, every device). Its viral-article days
   (02-29 to 03-03) are documented too: an alarm there is not counted as false.

For each: every incident found, whether each planted one was found at its step, channel
and device, its delay (detected - true start), its rank among all the incidents (most
lost orders first) and among those going on at the same time (``rank_then``), and the
false-alarm days (days on which an incident matching nothing planted was detected, per
150 days).

4. Throughput: :func:`~shopperlens.journeys.analyse_journeys` over synthetic events of
   ``--sizes`` millions (about 60 events per customer, as 60M events at 1M customers),
   against a baseline measured in the same run: one ``GROUP BY session_id`` over the
   same events (the least any funnel must do), with the ratio, in wall and in CPU
   seconds (on a shared machine the wall clock also counts other processes' turns), and
   the time at 60M extrapolated linearly from the largest size.
5. ``--scale``: 60M events of 1M customers (150 days, a checkout bug planted on
   web/mobile) written by DuckDB SQL straight to Parquet (``--scale-dir``, reused when
   there), then the journeys' work timed over that file, once, against the same-run
   baseline of a plain ``GROUP BY session_id`` over the same file: wall and CPU seconds,
   the peak memory of the process, and whether the bug was found.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.journeys import DEFAULT_STEPS, Journeys, analyse_journeys
from shopperlens.journeys import analyse as _analyse
from shopperlens.journeys.analyse import daily_steps
from shopperlens.journeys.sql import daily_sql, sessions_sql
from shopperlens.journeys.synthetic import START, Planted, clickstream

DAY = pd.Timedelta(days=1)
EVERY = getattr(_analyse, "EVERY", "every")  # (absent before incidents over every device)


@dataclass(frozen=True)
class Truth:
    """An incident known to have happened: step name, channel and device (None: any),
    first and last day."""

    step: str
    channel: str | None
    device: str | None
    start: pd.Timestamp
    end: pd.Timestamp

    def matches(self, row: pd.Series, slack: int = 3) -> bool:
        """``row`` is this incident found at its step, channel and device (any of them
        when ``None``; every channel and device together is found there too)."""
        every = row["channel"] == EVERY
        return bool(row["step"] == self.step
                    and (self.channel is None and self.device is None or not every)
                    and self.channel in (None, row["channel"], EVERY)
                    and self.device in (None, row["device"], EVERY)
                    and self.start - slack * DAY <= row["detected_on"] <= self.end + slack * DAY)

    def covers(self, row: pd.Series, slack: int = 3) -> bool:
        """``row`` is this incident seen over every channel and device together: no
        false alarm, though not at its channel and device either."""
        return bool(row["step"] == self.step and row["channel"] == EVERY
                    and self.start - slack * DAY <= row["detected_on"] <= self.end + slack * DAY)


def analyse(events: object, segments: pd.DataFrame, steps: tuple[str, ...]) -> Journeys:
    with DuckDBEngine(threads=2, memory_limit="4GB") as engine:
        engine.register("events", events)  # type: ignore[arg-type]
        engine.register("_journey_segments", segments)
        engine.register("transactions", pd.DataFrame(
            {"customer_id": ["-"], "order_id": ["-"], "amount": [1.0],
             "timestamp": [START]}))
        return analyse_journeys(engine, steps, device=True)


def score(name: str, journeys: Journeys, truths: list[Truth], days: int,
          documented: list[Truth] = ()) -> list[dict]:  # type: ignore[assignment]
    """One row per planted incident, plus the false alarms, printed and returned."""
    found = journeys.incidents.reset_index(drop=True)
    rows = []
    for truth in truths:
        hits = [i for i, row in found.iterrows() if truth.matches(row)]
        first = found.loc[hits[0]] if hits else None
        # the delay of the first to find it (a device's, or every device's together)
        soonest = found.loc[hits].sort_values("detected_on").iloc[0] if hits else None
        rows.append({"data": name, "incident": f"{truth.step} {truth.channel}/{truth.device}",
                     "found": bool(hits), "rank": hits[0] + 1 if hits else None,
                     "rank_then": _rank_then(found, hits[0], truth) if hits else None,
                     "delay_days": (soonest["detected_on"] - truth.start).days if hits else None,
                     "found_first_at": f"{soonest['channel']}/{soonest['device']}"
                     if hits else None,
                     "start_error_days": (first["started_on"] - truth.start).days
                     if hits else None})
    false = found[pd.Series([not any(t.matches(r) or t.covers(r)
                                     for t in (*truths, *documented))
                             for _, r in found.iterrows()], index=found.index, dtype=bool)]
    per_150 = false["detected_on"].nunique() * 150 / days
    print(f"\n== {name}: {journeys.sessions:,} sessions over {days} days; "
          f"{len(found)} incidents, false-alarm days {false['detected_on'].nunique()} "
          f"({per_150:.1f} per 150 days)")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(found.head(10).to_string())
        print(pd.DataFrame(rows).to_string(index=False))
        print("top friction:", journeys.friction.head(3)[
            ["step", "segment_id", "channel", "device", "drop_off", "baseline_drop_off",
             "lost_orders"]].to_string(index=False))
    rows = rows or [{"data": name, "incident": "(none planted)"}]
    return [{**r, "false_alarm_days_per_150": round(per_150, 1)} for r in rows]


def _rank_then(found: pd.DataFrame, hit: int, truth: Truth) -> int:
    """The rank of incident ``hit`` among those going on during ``truth`` (the same
    incident found on other devices does not count)."""
    end = found["ended_on"].fillna(found["detected_on"].max())
    during = (found["started_on"] <= truth.end) & (end >= truth.start)
    other = pd.Series([not truth.matches(row) and not truth.covers(row)
                       for _, row in found.iterrows()],
                      index=found.index, dtype=bool)
    return 1 + int((during & other).loc[:hit].sum())


def synthetic_cases() -> list[dict]:
    rows = []
    planted = [Planted(2, "web", "mobile", 60, 21, 0.5), Planted(3, "app", "ios", 110, 5, 0.7)]
    truths = [Truth(DEFAULT_STEPS[p.step], p.channel, p.device, START + p.start * DAY,
                    START + (p.start + p.days - 1) * DAY) for p in planted]
    for customers, rate, seed in ((10_000, 0.1, 0), (20_000, 0.1, 1), (40_000, 0.15, 2)):
        events, segments = clickstream(customers, 150, sessions_per_day=rate,
                                       planted=planted, seed=seed)
        journeys = analyse(events, segments, DEFAULT_STEPS)
        rows += score(f"synthetic {customers:,} customers", journeys, truths, 150)
    return rows


def quiet_cases() -> list[dict]:
    """The same two incidents on a quiet shop (1,500 customers: about 150 sessions a
    day over 4 devices), and shops with no incident at all (every alarm false)."""
    planted = [Planted(2, "web", "mobile", 60, 21, 0.5), Planted(3, "app", "ios", 110, 5, 0.7)]
    truths = [Truth(DEFAULT_STEPS[p.step], p.channel, p.device, START + p.start * DAY,
                    START + (p.start + p.days - 1) * DAY) for p in planted]
    rows = []
    for seed in (3, 4):
        events, segments = clickstream(1_500, 150, sessions_per_day=0.1, planted=planted,
                                       seed=seed)
        rows += score(f"quiet 1,500 customers seed {seed}", analyse(events, segments,
                                                                    DEFAULT_STEPS), truths, 150)
    for customers, seed in ((1_500, 5), (10_000, 6), (40_000, 7)):
        events, segments = clickstream(customers, 150, sessions_per_day=0.1, seed=seed)
        rows += score(f"no incident {customers:,} customers",
                      analyse(events, segments, DEFAULT_STEPS), [], 150)
    return rows


def demo_case() -> list[dict]:
    from shopperlens import demo

    data = demo.generate(20_000, seed=7)
    events = data.tables["events"]
    events = events[events[s.SESSION_ID].notna()].copy()
    events[s.TIMESTAMP] = pd.to_datetime(events[s.TIMESTAMP])
    code = pd.util.hash_array(events[s.SESSION_ID].to_numpy()) % 2
    events["device"] = np.where(events[s.CHANNEL] == "web",
                                np.where(code == 0, "desktop", "mobile"),
                                np.where(code == 0, "ios", "android"))
    bug = Truth(s.CHECKOUT_STARTED, "web", "mobile", pd.Timestamp("2025-03-01"),
                pd.Timestamp("2025-03-21"))
    outage = Truth(s.PAYMENT_INFO_ENTERED, None, None, pd.Timestamp("2025-06-10"),
                   pd.Timestamp("2025-06-13"))
    events = _cut_after(events, bug, 0.5, seed=1)
    events = _cut_after(events, outage, 0.7, seed=2)
    segments = _persona_segments(data.personas)
    journeys = analyse(events.drop(columns=[s.PROPERTIES], errors="ignore"), segments,
                       DEFAULT_STEPS)
    days = (events[s.TIMESTAMP].max() - events[s.TIMESTAMP].min()).days + 1
    return score("demo 20,000 customers", journeys, [bug, outage], days)


def _persona_segments(personas: pd.DataFrame) -> pd.DataFrame:
    codes = personas["persona"].astype("category").cat.codes
    return pd.DataFrame({s.CUSTOMER_ID: personas[s.CUSTOMER_ID], s.SEGMENT_ID: codes})


def _cut_after(events: pd.DataFrame, truth: Truth, share: float, seed: int) -> pd.DataFrame:
    """Remove, for ``share`` of the sessions of ``truth``'s channel and device whose
    first ``truth.step`` event falls in its days, every event after that one."""
    at = events[events[s.EVENT] == truth.step].groupby(s.SESSION_ID)[s.TIMESTAMP].min()
    meta = events.groupby(s.SESSION_ID)[[s.CHANNEL, "device"]].first().loc[at.index]
    hit = (at >= truth.start) & (at < truth.end + DAY)
    if truth.channel is not None:
        hit &= (meta[s.CHANNEL] == truth.channel) & (meta["device"] == truth.device)
    rng = np.random.default_rng(seed)
    chosen = at[hit & (rng.random(len(at)) < share)]
    cut = events[s.SESSION_ID].map(chosen)
    return events[~(cut.notna() & (events[s.TIMESTAMP] > cut))]


ECOM_STEPS = ("product_view", "add_to_cart", "cart", "shipping_details", "payment_details",
              "purchase")


def ecom_case(deps: Path) -> list[dict]:
    path = deps / "retentioneering" / "datasets" / "ecom.csv.gz"
    if not path.is_file():
        print(f"\n== ecom: {path} not found (pip install --target DIR --no-deps "
              "retentioneering; --deps DIR)")
        return []
    raw = pd.read_csv(path, parse_dates=["timestamp"])
    events = pd.DataFrame({s.SESSION_ID: raw["session_id"], s.CUSTOMER_ID: raw["user_id"],
                           s.CHANNEL: "web", "device": raw["platform"],
                           s.TIMESTAMP: raw["timestamp"], s.EVENT: raw["event"]})
    # no segmentation here: the dataset's users are one segment
    segments = pd.DataFrame({s.CUSTOMER_ID: raw["user_id"].unique(), s.SEGMENT_ID: 0})
    journeys = analyse(events, segments, ECOM_STEPS)
    truths = [Truth("shipping_details", "web", "mobile", pd.Timestamp("2024-04-09"),
                    pd.Timestamp("2024-05-09")),
              Truth("payment_details", None, None, pd.Timestamp("2024-05-19"),
                    pd.Timestamp("2024-06-07"))]
    viral = [Truth("product_view", None, None, pd.Timestamp("2024-02-29"),
                   pd.Timestamp("2024-03-03"))]
    with DuckDBEngine(threads=2) as engine:
        engine.register("events", events)
        engine.register("_journey_segments", segments)
        engine.create_table("_journey_sessions", sessions_sql(ECOM_STEPS, device=True))
        daily = daily_steps(engine.fetch_df(daily_sql(len(ECOM_STEPS))), ECOM_STEPS)
    detectable(daily, truths)
    return score("retentioneering ecom", journeys, truths, 181, viral)


def detectable(daily: pd.DataFrame, truths: list[Truth], within: int = 3,
               false_alarm_days: float = 5 / 150) -> None:
    """What the data can show: per incident step and device (and every device
    together), the sessions a day before and during it, the drop-off before and during,
    and the smallest drop-off a test knowing the start and the new rate would flag with
    even odds from the sessions of the start day and the ``within`` days after it, at a
    false-alarm rate of ``false_alarm_days`` a day over all the series (a one-sided
    binomial test at that level per series and day): no detector does better."""
    from scipy import stats

    daily = daily.assign(day=pd.to_datetime(daily["day"]))
    n_series = daily.groupby(["step", "channel", "device"]).ngroups
    alpha = false_alarm_days / n_series
    first = daily["day"].min()
    rows = []
    for truth in truths:
        at = daily[daily["step"] == truth.step]
        for device, part in [*at.groupby("device"), ("every", at)]:
            part = part.groupby("day")[["sessions", "dropped"]].sum()
            before, during = part[part.index < truth.start], part[
                (part.index >= truth.start) & (part.index <= truth.end)]
            per_day = during["sessions"].sum() / ((truth.end - truth.start).days + 1)
            n = int(round((within + 1) * per_day))
            p0 = before["dropped"].sum() / before["sessions"].sum()
            # the critical count c, P(X >= c | p0) <= alpha; then p1 with P(X >= c) = 1/2
            c = int(stats.binom.isf(alpha, n, p0)) + 1
            lo, hi = p0, 1.0
            for _ in range(40):
                mid = (lo + hi) / 2
                lo, hi = (lo, mid) if stats.binom.sf(c - 1, n, mid) >= 0.5 else (mid, hi)
            rows.append({"incident step": truth.step, "device": device,
                         "sessions/day before": round(before["sessions"].sum()
                                                      / max((truth.start - first).days, 1), 2),
                         "sessions/day during": round(per_day, 2),
                         "drop-off before": round(p0, 3),
                         "drop-off during": round(during["dropped"].sum()
                                                  / during["sessions"].sum(), 3),
                         f"sessions in {within + 1} days": n,
                         f"smallest drop-off flagged within {within} days":
                             round(hi, 3) if c <= n else None})
    print(f"\n== ecom: what {within + 1} days of data can show ({n_series} series, "
          f"{false_alarm_days * 150:.0f} false-alarm days in 150: {alpha:.4f} per series "
          "and day)")
    print(pd.DataFrame(rows).to_string(index=False))


def timed_against_group_by(engine: DuckDBEngine) -> tuple[float, float, float, float, Journeys]:
    """Wall and CPU seconds of a plain GROUP BY over the events (the same-run baseline),
    then of the journeys over them; and the journeys."""
    tic, base_cpu = time.perf_counter(), time.process_time()
    engine.scalar("SELECT sum(hash(c)) + sum(epoch(t)) FROM (SELECT session_id, "
                  "max(customer_id) AS c, min(timestamp) AS t FROM events "
                  "GROUP BY session_id)")
    baseline, base_cpu = time.perf_counter() - tic, time.process_time() - base_cpu
    tic, cpu = time.perf_counter(), time.process_time()
    journeys = analyse_journeys(engine, DEFAULT_STEPS, device=True)
    took, cpu = time.perf_counter() - tic, time.process_time() - cpu
    return baseline, base_cpu, took, cpu, journeys


def throughput(sizes_m: list[float]) -> None:
    """Seconds of the journeys and of the baseline per size, and 60M extrapolated."""
    print("\n== throughput (DuckDB, 2 threads, 4GB; events already loaded)")
    print(f"{'events':>12} {'customers':>10} {'journeys s':>10} {'baseline s':>10} "
          f"{'ratio':>6} {'Mevents/s':>9} {'CPU s':>8} {'base CPU s':>10} {'CPU ratio':>9}")
    last = None
    for size in sizes_m:
        customers = int(size * 1e6 / 60)
        events, segments = clickstream(customers, 150, sessions_per_day=0.15, seed=5,
                                       planted=[Planted(2, "web", "mobile", 60, 21)])
        with DuckDBEngine(threads=2, memory_limit="4GB", on_disk=True) as engine:
            engine.register("events", events)
            del events
            engine.register("_journey_segments", segments)
            engine.register("transactions", pd.DataFrame(
                {"customer_id": ["-"], "order_id": ["-"], "amount": [1.0], "timestamp": [START]}))
            n = int(engine.scalar("SELECT count(*) FROM events"))
            baseline, base_cpu, took, cpu, _ = timed_against_group_by(engine)
        print(f"{n:>12,} {customers:>10,} {took:>10.2f} {baseline:>10.2f} "
              f"{took / baseline:>6.2f} {n / took / 1e6:>9.2f} {cpu:>8.2f} {base_cpu:>10.2f} "
              f"{cpu / base_cpu:>9.2f}")
        last = (n, took, cpu)
    if last is not None:
        n, took, cpu = last
        print(f"60M events extrapolated linearly from {n:,}: {took * 60e6 / n:.0f} s wall "
              f"here, {cpu * 60e6 / n / 2:.0f} s on 2 idle cores (CPU s / 2) "
              f"(load average now {os.getloadavg()[0]:.1f}; target: under 120 s)")


SCALE_SESSIONS = 16_900_000  # about 60M events at 3.55 events per session
SCALE_CUSTOMERS = 1_000_000
SCALE_DAYS = 150


def _uniform(i: str, salt: int) -> str:
    """SQL of a uniform number in [0, 1) from ``i`` and ``salt``, the same every run."""
    return f"(hash({i}, {salt}) % 1000000) / 1e6"


def scale_events_sql(sessions: int = SCALE_SESSIONS, customers: int = SCALE_CUSTOMERS,
                     days: int = SCALE_DAYS) -> str:
    """SQL of a synthetic clickstream like :func:`clickstream`'s (steps passed with the
    same chances per step, segment and device; a third of the orders skip the payment
    step), with page views outside the funnel, and the checkout bug on web/mobile
    from day 60 for 21 days."""
    steps = ", ".join(f"'{x}'" for x in DEFAULT_STEPS)
    return f"""
    WITH sess AS (
      SELECT i AS sid, hash(i, 1) % {customers} AS cust, hash(i, 2) % {days} AS day,
             {_uniform('i', 3)} AS u0, {_uniform('i', 4)} AS u1, {_uniform('i', 5)} AS u2,
             {_uniform('i', 6)} AS u3, {_uniform('i', 8)} AS u4
      FROM range({sessions}) t(i)),
    who AS (
      SELECT *, hash(cust, 11) % 4 AS seg,
             CASE WHEN hash(cust, 12) % 100 < 35 THEN 0 WHEN hash(cust, 12) % 100 < 70
                  THEN 1 WHEN hash(cust, 12) % 100 < 85 THEN 2 ELSE 3 END AS kind
      FROM sess),
    deep AS (
      SELECT *, CASE
        WHEN u0 >= 0.45 * (0.7 + 0.2 * seg) THEN 0
        WHEN u1 >= 0.55 * [1.0, 0.93, 1.0, 0.97][kind + 1] THEN 1
        WHEN u2 >= 0.80 * [1.0, 0.93, 1.0, 0.97][kind + 1]
                * (CASE WHEN kind = 1 AND day BETWEEN 60 AND 80 THEN 0.5 ELSE 1 END) THEN 2
        WHEN u3 >= 0.88 * [1.0, 0.93, 1.0, 0.97][kind + 1] THEN 3 ELSE 4 END AS depth,
        1 + CAST(hash(sid, 9) % 3 AS INTEGER) AS views,
        CAST(hash(sid, 10) % 2 AS INTEGER) AS pages
      FROM who),
    ev AS (
      SELECT *, unnest(generate_series(1, views + depth + pages)) AS j FROM deep)
    SELECT 'm' || sid || '-' || j AS message_id,
           'c' || lpad(CAST(cust AS VARCHAR), 7, '0') AS customer_id,
           's' || sid AS session_id,
           TIMESTAMP '2025-01-01' + to_seconds(day * 86400 + 28800
             + hash(sid, 13) % 50400 + j * 60) AS timestamp,
           CASE WHEN j <= views THEN 'Product Viewed'
                WHEN j > views + depth THEN 'Page Viewed'
                WHEN j - views = 3 AND depth = 4 AND u4 < 1 / 3 THEN 'Product Viewed'
                ELSE [{steps}][j - views + 1] END AS event,
           CASE WHEN kind < 2 THEN 'web' ELSE 'app' END AS channel,
           ['desktop', 'mobile', 'ios', 'android'][kind + 1] AS device
    FROM ev"""


def scale_files(folder: Path) -> tuple[Path, Path, Path]:
    """The events, segments and transactions Parquet files of the scale run, written
    by DuckDB (reused when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    events, segments, orders = (folder / f"{x}.parquet"
                                for x in ("events", "segments", "transactions"))
    if events.is_file() and segments.is_file() and orders.is_file():
        return events, segments, orders
    tic = time.perf_counter()
    with DuckDBEngine(threads=2, memory_limit="4GB") as engine:
        engine.execute(f"COPY ({scale_events_sql()}) TO '{events}' (FORMAT parquet, "
                       "ROW_GROUP_SIZE 1000000)")
        engine.execute(
            f"COPY (SELECT 'c' || lpad(CAST(i AS VARCHAR), 7, '0') AS customer_id, "
            f"CAST(hash(i, 11) % 4 AS INTEGER) AS segment_id FROM range({SCALE_CUSTOMERS}) "
            f"t(i)) TO '{segments}' (FORMAT parquet)")
        engine.execute(
            f"COPY (SELECT customer_id, session_id AS order_id, min(timestamp) AS timestamp, "
            f"20 + hash(session_id) % 80 AS amount FROM read_parquet('{events}') "
            f"WHERE event = 'Order Completed' GROUP BY ALL) TO '{orders}' (FORMAT parquet)")
    print(f"wrote {folder} in {time.perf_counter() - tic:.0f} s")
    return events, segments, orders


def scale(folder: Path) -> None:
    """The journeys over 60M events of 1M customers, once, and the baseline."""
    events, segments, orders = scale_files(folder)
    print(f"\n== scale: journeys over {events} (DuckDB, 2 threads, 4GB, on disk)")
    with DuckDBEngine(threads=2, memory_limit="4GB", on_disk=True) as engine:
        for name, path in (("events", events), ("_journey_segments", segments),
                           ("transactions", orders)):
            engine.create_view(name, f"SELECT * FROM read_parquet('{path}')")
        n = int(engine.scalar("SELECT count(*) FROM events"))
        customers = int(engine.scalar("SELECT count(DISTINCT customer_id) FROM events"))
        baseline, base_cpu, took, cpu, journeys = timed_against_group_by(engine)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{n:,} events, {customers:,} customers, {journeys.sessions:,} funnel sessions")
    print(f"journeys {took:.1f} s wall ({cpu:.1f} CPU s); baseline GROUP BY {baseline:.1f} s "
          f"wall ({base_cpu:.1f} CPU s); ratio {took / baseline:.2f} wall, "
          f"{cpu / base_cpu:.2f} CPU; peak RSS {peak:.1f} GiB; load average "
          f"{os.getloadavg()[0]:.1f}; target: under 120 s")
    bug = Truth(s.CHECKOUT_STARTED, "web", "mobile", START + 60 * DAY, START + 80 * DAY)
    score("scale 1M customers", journeys, [bug], SCALE_DAYS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deps", type=Path, help="folder where retentioneering is installed")
    parser.add_argument("--sizes", default="1,4", help="millions of events, comma-separated")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--quiet", action="store_true",
                        help="also a quiet shop and shops with no incident")
    parser.add_argument("--scale", action="store_true",
                        help="only the 60M-event run (see the docstring)")
    parser.add_argument("--scale-dir", type=Path, default=Path("/tmp/shopperlens-scale"),
                        help="where the 60M events are written (and reused)")
    args = parser.parse_args()
    if args.scale:
        scale(args.scale_dir)
        return
    if args.deps is not None:
        sys.path.insert(0, str(args.deps))
    rows = synthetic_cases()
    if args.quiet:
        rows += quiet_cases()
    if not args.skip_demo:
        rows += demo_case()
    if args.deps is not None:
        rows += ecom_case(args.deps)
    print("\n== planted incidents")
    print(pd.DataFrame(rows).to_string(index=False))
    throughput([float(x) for x in args.sizes.split(",") if x])


if __name__ == "__main__":
    main()
