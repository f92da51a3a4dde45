"""Step ``demand``: weekly and daily forecasts per category and segment, elasticities and
bounded price suggestions (``forecasts``, ``elasticities``, ``price_suggestions``).

It applies when the transactions carry a category; the forecasts need the optional
forecasting library (``pip install 'shopperlens[forecast]'``) and a quarter of history
beyond the horizon (daily ones also sales on most weekdays): without them the run says
so in ``run.json`` and goes on. The optional ``calendar`` table (holidays, shop-wide
promotions, the coming ones included) gives the forecasts their calendar regressors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.batch.outputs import write_frame
from shopperlens.batch.state import RunState
from shopperlens.demand import DemandForecaster, library_missing
from shopperlens.demand.elasticity import PRICE, PROMO, estimate_elasticities
from shopperlens.demand.forecast import FREQUENCIES
from shopperlens.demand.pricing import suggest_prices
from shopperlens.demand.series import (
    REVENUE,
    UNITS,
    WEEK,
    build_panel,
    calendar_regressors,
    forecast_table,
)
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.timewindow import sql_before

SEGMENTS_VIEW = "demand_segments"
WEEKLY_VIEW = "demand_weekly"
UNPROFILED = -2  # the segment_id of customers not profiled (no consent)
TOP_PRODUCTS = 20
MIN_WEEKS = 13  # weeks of history beyond the horizon the forecasts need
MIN_WEEKDAYS = 5  # weekdays with sales that make the data daily (not kept per week)


def wanted(state: RunState) -> bool:
    """Whether the run asked for demand and its transactions name categories."""
    assert state.engine is not None
    return state.settings.forecast_weeks > 0 and s.CATEGORY in state.engine.columns(
        s.TRANSACTIONS.name)


def forecast(state: RunState) -> None:
    """Writes the demand files and records their figures under ``metrics.demand``."""
    engine, result = state.engine, state.result
    assert engine is not None and result is not None and state.as_of is not None
    engine.register(SEGMENTS_VIEW, result.segment_columns(s.SEGMENT_ID))
    weekly = engine.fetch_df(weekly_query(engine, sql_before(state.as_of, f"t.{s.TIMESTAMP}")))
    weekly[WEEK] = pd.to_datetime(weekly[WEEK])
    priced = weekly.dropna(subset=[s.PRODUCT_ID])
    if engine.has_table(s.PRICES.name):
        engine.register(WEEKLY_VIEW, weekly)
        priced = engine.fetch_df(shelf_query(engine, sql_before(state.as_of, f"p.{s.DATE}")))
        priced[WEEK] = pd.to_datetime(priced[WEEK])
    metrics: dict[str, Any] = {"forecast_weeks": state.settings.forecast_weeks}
    elasticities = estimate_elasticities(priced)
    frames = {s.ELASTICITIES_FILE: elasticities,
              s.PRICE_SUGGESTIONS_FILE: suggest_prices(_cells(weekly, priced, elasticities))}
    window = sql_before(state.as_of, f"t.{s.TIMESTAMP}")
    forecasts = _all_forecasts(engine, window, weekly, (
        state.settings.forecast_weeks, state.settings.forecast_days), metrics)
    if forecasts is not None:
        frames[s.FORECASTS_FILE] = forecasts
    metrics["elasticities_estimated"] = int(elasticities["elasticity"].notna().sum())
    metrics["elasticities_refused"] = int(elasticities["elasticity"].isna().sum())
    metrics["price_suggestions"] = len(frames[s.PRICE_SUGGESTIONS_FILE])
    result.record["metrics"]["demand"] = metrics
    result.demand = frames
    if state.out_dir is not None:
        for name, frame in frames.items():
            write_frame(frame, state.out_dir / name)
    state.timer.count("demand", series_weeks=len(weekly))


def _all_forecasts(engine: DuckDBEngine, window: str, weekly: pd.DataFrame,
                   horizons: tuple[int, int], metrics: dict[str, Any]) -> pd.DataFrame | None:
    """The forecasts ``horizons`` weeks and days ahead: the daily ones when asked (days
    above 0), the weekly ones ran and the data is daily."""
    weeks, days = horizons
    calendar = _calendar(engine)
    metrics["calendar_days"] = len(calendar)
    tables = [_forecasts(weekly, "week", weeks, calendar, metrics)]
    if days > 0 and tables[0] is not None:
        daily = engine.fetch_df(weekly_query(engine, window, "day"))
        daily[WEEK] = pd.to_datetime(daily[WEEK])
        metrics["forecast_days"] = days
        tables.append(_forecasts(daily, "day", days, calendar, metrics))
    found = [t for t in tables if t is not None]
    return pd.concat(found, ignore_index=True) if found else None


def _calendar(engine: DuckDBEngine) -> pd.DataFrame:
    """The ``calendar`` input's days (``date``, ``kind``), empty without it."""
    if not engine.has_table(s.CALENDAR.name):
        return pd.DataFrame({s.DATE: pd.Series(dtype="datetime64[ns]"),
                             s.EVENT_KIND: pd.Series(dtype=object)})
    kind = (f"{s.EVENT_KIND}" if s.EVENT_KIND in engine.columns(s.CALENDAR.name)
            else "NULL")
    days = engine.fetch_df(f"SELECT {s.DATE}::DATE AS {s.DATE}, {kind} AS {s.EVENT_KIND} "
                           f"FROM {s.CALENDAR.name}")
    days[s.DATE] = pd.to_datetime(days[s.DATE])
    return days


def _forecasts(sales: pd.DataFrame, frequency: str, horizon: int, calendar: pd.DataFrame,
               metrics: dict[str, Any]) -> pd.DataFrame | None:
    """The forecast table of ``frequency`` (``week`` or ``day``), or ``None`` with the
    reason in ``metrics`` (``forecasts_skipped``, ``daily_forecasts_skipped``)."""
    quarter = MIN_WEEKS * 7 // FREQUENCIES[frequency].days  # in periods
    name = frequency + "s"
    missing = library_missing()
    history = sales[WEEK].nunique() if len(sales) else 0
    if missing is None and history < horizon + quarter:
        missing = (f"{'daily' if frequency == 'day' else 'demand'} forecasts need "
                   f"{horizon + quarter} {name} of sales for {horizon} {name} ahead; "
                   f"the data has {history}")
    weekdays = pd.DatetimeIndex(sales[WEEK].unique()).day_of_week.nunique() if history else 0
    if missing is None and frequency == "day" and weekdays < MIN_WEEKDAYS:
        missing = (f"daily forecasts need sales on {MIN_WEEKDAYS} weekdays or more (data "
                   f"kept per day); the data has sales on {weekdays}")
    if missing is not None:
        metrics["forecasts_skipped" if frequency == "week" else
                "daily_forecasts_skipped"] = missing
        return None
    panel = build_panel(sales, TOP_PRODUCTS, frequency)
    events = _events(calendar, panel.weeks, frequency, horizon)
    model = DemandForecaster(horizon, frequency=frequency).fit(
        panel.units, panel.summing, panel.groups, events)
    metrics["series" if frequency == "week" else "daily_series"] = len(panel.keys)
    return forecast_table(panel, model)


def _events(calendar: pd.DataFrame, periods: pd.DatetimeIndex, frequency: str,
            horizon: int) -> np.ndarray | None:
    """The calendar's regressors over the history's periods and the horizon's."""
    if calendar.empty:
        return None
    step = pd.Timedelta(days=FREQUENCIES[frequency].days)
    ahead = periods[-1] + step * np.arange(1, horizon + 1)
    return calendar_regressors(calendar, periods.append(pd.DatetimeIndex(ahead)), frequency)


def _cells(weekly: pd.DataFrame, priced: pd.DataFrame,
           elasticities: pd.DataFrame) -> pd.DataFrame:
    """Per category x segment: its elasticity, recent price paid, weekly units and,
    with the prices' ``unit_cost``, the unit cost (weighted by the units sold)."""
    keys = [s.CATEGORY, s.SEGMENT_ID]
    last = weekly[WEEK].max() - pd.Timedelta(weeks=13)
    recent = weekly[weekly[WEEK] > last].groupby(keys, observed=True)[[UNITS, REVENUE]].sum()
    recent[PRICE] = recent[REVENUE] / recent[UNITS]
    recent[UNITS] = recent[UNITS] / 13
    cells = elasticities.merge(recent[[PRICE, UNITS]].reset_index(), on=keys)
    if s.UNIT_COST in priced and priced[s.UNIT_COST].notna().any():
        costed = priced[(priced[WEEK] > last) & priced[s.UNIT_COST].notna()]
        spent = (costed[s.UNIT_COST] * costed[UNITS]).groupby(
            [costed[k] for k in keys], observed=True).sum()
        cost = spent / costed.groupby(keys, observed=True)[UNITS].sum()
        cells = cells.merge(cost.rename(s.UNIT_COST).reset_index(), on=keys, how="left")
    return cells


def shelf_query(engine: DuckDBEngine, window: str) -> str:
    """Per category, segment, product and week: the shelf price of ``prices`` (``window``
    an SQL condition on its dates; a week without a row keeps the last price before it),
    its promotion share and unit cost, and the units sold (0 in a week without a sale),
    for the products each segment bought."""
    columns = engine.columns(s.PRICES.name)
    promo = f"avg(p.{s.PROMO}::INT)" if s.PROMO in columns else "NULL"
    cost = f"avg(p.{s.UNIT_COST})" if s.UNIT_COST in columns else "NULL"
    return f"""
        WITH sales AS (SELECT {s.CATEGORY}, {s.SEGMENT_ID}, {s.PRODUCT_ID}, {WEEK}, {UNITS}
                       FROM {WEEKLY_VIEW} WHERE {s.PRODUCT_ID} IS NOT NULL),
        shelf AS (SELECT p.{s.PRODUCT_ID}, date_trunc('week', p.{s.DATE})::DATE AS week,
                         avg(p.{s.PRICE})::DOUBLE AS {PRICE}, ({promo})::DOUBLE AS {PROMO},
                         ({cost})::DOUBLE AS {s.UNIT_COST}
                  FROM {s.PRICES.name} p WHERE {window} GROUP BY ALL),
        pairs AS (SELECT DISTINCT {s.CATEGORY}, {s.SEGMENT_ID}, {s.PRODUCT_ID} FROM sales),
        grid AS (SELECT pairs.*, w.{WEEK}
                 FROM pairs CROSS JOIN (SELECT DISTINCT {WEEK} FROM sales) w),
        priced AS (SELECT grid.*, shelf.{PRICE}, shelf.{PROMO}, shelf.{s.UNIT_COST}
                   FROM grid ASOF JOIN shelf ON grid.{s.PRODUCT_ID} = shelf.{s.PRODUCT_ID}
                                            AND grid.{WEEK} >= shelf.week)
        SELECT priced.*, coalesce(sales.{UNITS}, 0)::DOUBLE AS {UNITS}
        FROM priced
        LEFT JOIN sales USING ({s.CATEGORY}, {s.SEGMENT_ID}, {s.PRODUCT_ID}, {WEEK})
    """


def weekly_query(engine: DuckDBEngine, window: str, unit: str = "week") -> str:
    """Units, revenue, paid price and promotion share per category, segment, product and
    week (or ``unit``: day) of the sales in ``window`` (an SQL condition; returns left
    out: they are not demand)."""
    columns = engine.columns(s.TRANSACTIONS.name)
    quantity = f"coalesce(t.{s.QUANTITY}, 1)" if s.QUANTITY in columns else "1"
    product = f"t.{s.PRODUCT_ID}" if s.PRODUCT_ID in columns else "NULL"
    promo = (f"sum(CASE WHEN t.{s.DISCOUNT} > 0 THEN {quantity} ELSE 0 END)"
             f" / sum({quantity})" if s.DISCOUNT in columns else "NULL")
    return f"""
        SELECT t.{s.CATEGORY} AS {s.CATEGORY},
               coalesce(g.{s.SEGMENT_ID}, {UNPROFILED}) AS {s.SEGMENT_ID},
               {product} AS {s.PRODUCT_ID},
               date_trunc('{unit}', t.{s.TIMESTAMP})::DATE AS {WEEK},
               sum({quantity})::DOUBLE AS {UNITS}, sum(t.{s.AMOUNT})::DOUBLE AS {REVENUE},
               sum(t.{s.AMOUNT})::DOUBLE / sum({quantity}) AS {PRICE},
               ({promo})::DOUBLE AS {PROMO}
        FROM {s.TRANSACTIONS.name} t
        LEFT JOIN {SEGMENTS_VIEW} g ON g.{s.CUSTOMER_ID} = t.{s.CUSTOMER_ID}
        WHERE {window} AND t.{s.AMOUNT} > 0
          AND {quantity} > 0 AND t.{s.CATEGORY} IS NOT NULL
        GROUP BY ALL
    """
