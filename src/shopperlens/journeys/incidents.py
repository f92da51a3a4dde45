"""Incidents: a step whose drop-off jumps, flagged within days, with its start date.

Each series (a step of one segment, channel and device, or of every segment together)
is watched day by day by CUSUMs of the binomial log-likelihood ratio: today's drop-offs
under "the odds of dropping off rose ``odds_ratio`` times" (and, each in a sum of its
own, ``larger_ratios`` times) against "they stayed at the baseline". The sum tuned to a
rise near the true one gathers evidence fastest (a bank of CUSUMs standing in for the
generalised likelihood ratio over every rise, Lorden 1971): on a clickstream of 1-4
sessions a day per device, a jump from about 20% to 65% drop-off took 8 days with the
sum tuned to 1.8 alone and 2 days with the larger ones too.

The baseline is the series' own drop-off over ``baseline_days`` days outside any
incident, ending a week ago (``recent_days``), so a step that always loses many sessions
raises no alarm and an incident does not become its own baseline. A quiet series reaches
further back (up to four times) for ``min_baseline_sessions``, and every baseline is
taken one standard error up, so that one read from few sessions and low by chance does
not turn the ordinary days after it into an incident.

The sum starts at zero and never goes below it; an incident is detected on the day it
passes the threshold, and started on the day the sum last rose from zero (the CUSUM
estimate of the change point). It is over once the sum has fallen by the threshold from
its peak (the sum is capped at twice the threshold, so that comes within days of the
fix), and ended on the last day the sum stood at its peak; its drop-off is measured from
its start to that day (to the latest peak while it goes on). A level that lasts twice
``baseline_days`` is the new normal: the incident has no end, and the series is watched
again against its new level.

The threshold: a CUSUM with threshold ``h`` raises a false alarm at most about once in
``exp(h)`` days (Wald), so over ``n`` series watched together by ``m`` sums each it is
``log(n m / false_alarms_per_day)``: a fixed rate of false alarms over the whole shop
whatever the number of series and sums, not a number fitted to one data set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopperlens._params import Constraint, Interval, Rule, check_params

DAY = "day"
DROPPED = "dropped"
STARTED_ON = "started_on"
DETECTED_ON = "detected_on"
ENDED_ON = "ended_on"
BEFORE = "drop_off_before"
DURING = "drop_off_during"
EXCESS = "excess_drop_offs"


@dataclass
class _Series:
    """The state of every series on the day being read (arrays over series)."""

    cusum: np.ndarray
    start: np.ndarray  # day index the current rise began, -1 when the sum is 0
    alarm: np.ndarray  # index of the open incident, -1 when none
    baseline: np.ndarray  # frozen during an incident
    peak: np.ndarray  # the open incident's highest sum so far, and the last day at it
    peak_day: np.ndarray


class DropOffMonitor:
    """CUSUM change detector of daily drop-off per series.

    Parameters
    ----------
    odds_ratio : the rise in the odds of dropping off to detect quickly (smaller rises
        are found too, later).
    false_alarms_per_day : the false alarms accepted per day over all series together.
    baseline_days : days of history the baseline pools (up to four times as many for a
        series too quiet to hold ``min_baseline_sessions`` in that time).
    min_baseline_sessions : a series is watched once its baseline holds this many
        sessions.
    recent_days : the baseline leaves out the last days, so that a change is tested
        against the days before it rather than against its own first days.
    larger_ratios : larger rises, each watched by a sum of its own (by default the
        square and fourth power of ``odds_ratio``'s default: twice and four times the
        rise in log-odds); an incident several sums find is one.

    Examples
    --------
    >>> days = pd.date_range("2024-01-01", periods=60)
    >>> daily = pd.DataFrame({"day": days, "step": "Checkout Started", "sessions": 200,
    ...                       "dropped": [40] * 40 + [120] * 20})
    >>> found = DropOffMonitor().detect(daily, ["step"])
    >>> str(found.loc[0, "started_on"].date()), str(found.loc[0, "detected_on"].date())
    ('2024-02-10', '2024-02-10')
    """

    _PARAMS: dict[str, Constraint] = {
        "odds_ratio": Interval(float, 1.0, low_open=True),
        "larger_ratios": Rule(lambda v: isinstance(v, tuple) and all(
            isinstance(r, (int, float)) and not isinstance(r, bool) and r > 1 for r in v),
            "a tuple of numbers above 1"),
        "false_alarms_per_day": Interval(float, 0.0, 1.0, low_open=True, high_open=True),
        "baseline_days": Interval(int, 1), "min_baseline_sessions": Interval(int, 1),
        "recent_days": Interval(int, 0)}

    def __init__(self, odds_ratio: float = 1.8, false_alarms_per_day: float = 1 / 30,
                 baseline_days: int = 28, min_baseline_sessions: int = 50,
                 recent_days: int = 7,
                 larger_ratios: tuple[float, ...] = (1.8 ** 2, 1.8 ** 4)) -> None:
        self.odds_ratio = odds_ratio
        self.larger_ratios = larger_ratios
        self.false_alarms_per_day = false_alarms_per_day
        self.baseline_days = baseline_days
        self.min_baseline_sessions = min_baseline_sessions
        self.recent_days = recent_days

    def threshold(self, n_series: int) -> float:
        """The CUSUM threshold for ``n_series`` series watched together (each by one
        CUSUM per odds ratio)."""
        sums = max(n_series, 1) * (1 + len(self.larger_ratios))
        return float(np.log(sums / self.false_alarms_per_day))

    def detect(self, daily: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        """The incidents of ``daily`` (one row per series ``keys`` and ``day``, with the
        ``sessions`` at the step and those ``dropped`` there), in the order detected:
        the series' keys, ``started_on``, ``detected_on``, ``ended_on`` (NaT while open),
        ``drop_off_before`` (the baseline), ``drop_off_during`` and ``excess_drop_offs``
        (the drop-offs beyond the baseline from start to end)."""
        check_params(self, self._PARAMS, vars(self))
        sessions, dropped, series, days = _matrices(daily, keys)
        ratios = (self.odds_ratio, *self.larger_ratios)
        # one CUSUM per series and odds ratio, all under one threshold (a rise far above
        # ``odds_ratio`` is found sooner by the sum tuned to it); each series' incidents
        # found by several of them are one
        found = _merged(self._scan(np.tile(sessions, (len(ratios), 1)),
                                   np.tile(dropped, (len(ratios), 1)),
                                   np.repeat(ratios, len(sessions)),
                                   self.threshold(len(sessions))), len(sessions))
        columns: dict[str, list] = {name: [] for name in (*keys, STARTED_ON, DETECTED_ON,
                                                           ENDED_ON, BEFORE, DURING, EXCESS)}
        for i, start, detected, end, before, peak in found:
            stop = peak + 1
            n, x = sessions[i, start:stop].sum(), dropped[i, start:stop].sum()
            values = (*series[i], days[start], days[detected], pd.NaT if end < 0 else days[end],
                      before, x / n if n else np.nan, max(float(x - n * before), 0.0))
            for name, value in zip(columns, values, strict=True):
                columns[name].append(value)
        frame = pd.DataFrame(columns)
        dates = {name: "datetime64[ns]" for name in (STARTED_ON, DETECTED_ON, ENDED_ON)}
        return frame.astype({**dates, BEFORE: float, DURING: float, EXCESS: float})

    def _scan(self, sessions: np.ndarray, dropped: np.ndarray, ratio: np.ndarray,
              h: float) -> list[list]:
        """[series, start, detected, end (-1: open), baseline, last peak] of each
        incident, each series (row) watched for a rise of its ``ratio`` under the
        threshold ``h``."""
        n_series, n_days = sessions.shape
        state = _Series(np.zeros(n_series), np.full(n_series, -1), np.full(n_series, -1),
                        np.full(n_series, np.nan), np.zeros(n_series), np.full(n_series, -1))
        baseline = _Baseline(sessions, dropped, self.baseline_days, self.recent_days,
                             self.min_baseline_sessions)
        incidents: list[list] = []
        for d in range(n_days):
            p0 = np.where(state.alarm >= 0, state.baseline, baseline.rate(d))
            llr = _log_likelihood_ratio(dropped[:, d], sessions[:, d], p0, ratio)
            rising = state.cusum == 0
            state.cusum = np.clip(state.cusum + llr, 0, 2 * h)
            state.start = np.where(state.cusum == 0, -1,
                                   np.where(rising & (state.cusum > 0), d, state.start))
            for i in np.flatnonzero((state.cusum > h) & (state.alarm < 0)):  # new alarms
                state.alarm[i], state.baseline[i] = len(incidents), p0[i]
                incidents.append([int(i), int(state.start[i]), d, -1, float(p0[i]), d])
                baseline.leave_out(int(i), int(state.start[i]))
            at_peak = (state.alarm >= 0) & (state.cusum >= state.peak)
            state.peak[at_peak], state.peak_day[at_peak] = state.cusum[at_peak], d
            for i in np.flatnonzero((state.alarm >= 0) & (state.peak - state.cusum >= h)):
                # it ended when the sum last stood at its peak: from there on the
                # days looked like the baseline again
                incidents[state.alarm[i]][3] = incidents[state.alarm[i]][5] = int(
                    state.peak_day[i])
                baseline.take_back(int(i), int(state.peak_day[i]) + 1)
                state.alarm[i], state.peak[i], state.cusum[i], state.start[i] = -1, 0, 0, -1
            lasting = (state.alarm >= 0) & (d - state.start >= 2 * self.baseline_days)
            for i in np.flatnonzero(lasting):
                # a level that lasts is the new normal: the incident stays open (no
                # end) and the series is watched again against its days
                incidents[state.alarm[i]][5] = int(state.peak_day[i])
                baseline.take_back(int(i), int(state.start[i]))
                state.alarm[i], state.peak[i], state.cusum[i], state.start[i] = -1, 0, 0, -1
        for i in np.flatnonzero(state.alarm >= 0):  # still going on: measured to the peak
            incidents[state.alarm[i]][5] = int(state.peak_day[i])
        return incidents


def _merged(incidents: list[list], n_series: int) -> list[list]:
    """``incidents`` of rows ``i`` (series ``i % n_series``), those of one series that
    overlap in time (from start to end, or to the last peak while open) as one: the
    first detected's start, detection and baseline, the latest end (open if any is)
    and peak; in the order detected. One row per series: nothing overlaps."""
    out: list[list] = []
    latest: dict[int, list] = {}  # series -> its latest merged incident
    for i, start, detected, end, before, peak in sorted(incidents, key=lambda x: (x[2], x[0])):
        series = i % n_series
        last = latest.get(series)
        if last is not None and start <= (last[3] if last[3] >= 0 else last[5]):
            last[3] = -1 if last[3] < 0 or end < 0 else max(last[3], end)
            last[5] = max(last[5], peak)
            continue
        latest[series] = [series, start, detected, end, before, peak]
        out.append(latest[series])
    return out


class _Baseline:
    """Each series' drop-off over the ``days`` days that end ``recent`` days ago, or as
    many more (up to four times) as it takes to hold ``min_sessions`` sessions, less the
    days of its incidents: a change is tested against the days before it, not against
    itself, and a quiet series against enough of them."""

    def __init__(self, sessions: np.ndarray, dropped: np.ndarray, days: int, recent: int,
                 min_sessions: int) -> None:
        self.sessions, self.dropped = sessions, dropped
        self.days, self.recent, self.min_sessions = days, recent, min_sessions
        self.rows = np.arange(len(sessions))
        # running totals of the days kept (0 on incident days), per series
        zero = np.zeros((len(sessions), 1))
        self.n = np.hstack([zero, np.cumsum(sessions, axis=1)])
        self.x = np.hstack([zero, np.cumsum(dropped, axis=1)])
        # every series' totals in one ascending array, each series above the one
        # before it, to search all of them at once
        self.offset = self.rows * (self.n[:, -1].max(initial=0) + 1)
        self.flat = (self.n + self.offset[:, None]).ravel()

    def rate(self, d: int) -> np.ndarray:
        """The baselines on day ``d`` (NaN where they hold too few sessions)."""
        hi = max(d - self.recent + 1, 0)
        lo = np.full(len(self.rows), max(hi - self.days, 0))
        short = self.n[:, hi] - self.n[self.rows, lo] < self.min_sessions
        if short.any():  # reach further back, as far as it takes (and may)
            rows = self.rows[short]
            wanted = self.n[rows, hi] - self.min_sessions + self.offset[rows]
            further = (np.searchsorted(self.flat, wanted, side="right") - 1
                       - rows * self.n.shape[1])
            lo[short] = np.clip(further, max(hi - 4 * self.days, 0), lo[short])
        n = self.n[:, hi] - self.n[self.rows, lo]
        x = self.x[:, hi] - self.x[self.rows, lo]
        # Jeffreys' prior: a step no session dropped off at yet is not a rate of 0; one
        # standard error up, so that a baseline read from few sessions, and low by
        # chance, does not count the days after it as an incident
        rate = (x + 0.5) / (n + 1.0)
        rate = np.minimum(rate + np.sqrt(rate * (1 - rate) / (n + 1.0)), 0.999)
        return np.where(n >= self.min_sessions, rate, np.nan)

    def leave_out(self, i: int, start: int) -> None:
        """Series ``i`` is in an incident since day ``start``: its days from then on are
        left out (those already in stay: at most ``recent`` days)."""
        self.n[i, start + 1:] = self.n[i, start]
        self.x[i, start + 1:] = self.x[i, start]
        self.flat = (self.n + self.offset[:, None]).ravel()

    def take_back(self, i: int, start: int) -> None:
        """Series ``i``'s days from ``start`` on are no incident's after all."""
        self.n[i, start + 1:] = self.n[i, start] + np.cumsum(self.sessions[i, start:])
        self.x[i, start + 1:] = self.x[i, start] + np.cumsum(self.dropped[i, start:])
        self.flat = (self.n + self.offset[:, None]).ravel()


def _log_likelihood_ratio(x: np.ndarray, n: np.ndarray, p0: np.ndarray,
                          odds_ratio: float | np.ndarray) -> np.ndarray:
    """log P(x | n, p1) / P(x | n, p0), p1 the drop-off at ``odds_ratio`` (R) times the
    odds of ``p0``; 0 where there is no baseline. With q = 1 + p0 (R - 1), p1 / p0 =
    R / q and (1 - p1) / (1 - p0) = 1 / q, so it is x log R - n log q."""
    llr = x * np.log(odds_ratio) - n * np.log1p(p0 * (odds_ratio - 1))
    return np.where(np.isnan(p0), 0.0, llr)


def _matrices(daily: pd.DataFrame, keys: list[str]
              ) -> tuple[np.ndarray, np.ndarray, list[tuple], pd.DatetimeIndex]:
    """Sessions and drop-offs as (series x day) matrices over every calendar day from
    the first to the last (days without sessions are zeros), the series' keys and the
    days."""
    days = pd.date_range(pd.Timestamp(daily[DAY].min()).normalize(),
                         pd.Timestamp(daily[DAY].max()).normalize(), freq="D")
    frame = daily.assign(**{DAY: pd.to_datetime(daily[DAY]).dt.normalize()})
    grouped = frame.groupby([*keys, DAY], dropna=False)[["sessions", DROPPED]].sum()
    wide = grouped.unstack(DAY, fill_value=0)
    sessions = wide["sessions"].reindex(columns=days, fill_value=0).to_numpy(float)
    dropped = wide[DROPPED].reindex(columns=days, fill_value=0).to_numpy(float)
    series = [k if isinstance(k, tuple) else (k,) for k in wide.index]
    return sessions, dropped, series, days
