"""The weekly (or daily) series of a shop's demand: total, categories, segments, category x
segment (the hierarchy: each adds up from category x segment), and the top products."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.demand.forecast import FREQUENCIES, DemandForecaster

WEEK = "period_start"  # Monday of the week, or the day
UNITS, REVENUE = "units", "revenue"
LEVEL, FREQUENCY = "level", "frequency"
HORIZON_WEEKS, HORIZON_DAYS = "horizon_weeks", "horizon_days"
OFFSETS = {"week": "W-MON", "day": "D"}  # pandas' offset of each frequency
TOTAL, CATEGORY, SEGMENT, CATEGORY_SEGMENT, PRODUCT = (
    "total", "category", "segment", "category_segment", "product")
KEYS = [LEVEL, s.CATEGORY, s.SEGMENT_ID, s.PRODUCT_ID]


@dataclass
class DemandPanel:
    """Units per series and period (rows: ``keys``; the first ``len(summing)`` rows are the
    hierarchy, products after), the hierarchy's summing matrix, the periods (weeks or
    days, ``frequency``), and each row's recent price (revenue per unit over the last
    quarter)."""

    keys: pd.DataFrame
    units: np.ndarray
    summing: np.ndarray
    weeks: pd.DatetimeIndex
    price: np.ndarray
    frequency: str = "week"

    @property
    def groups(self) -> np.ndarray:
        """The pool of interval errors of each row: its level (total, category, ...)."""
        return self.keys[LEVEL].to_numpy()

    def truncated(self, weeks: int) -> DemandPanel:
        """The panel of the first ``weeks`` periods (for backtests)."""
        return DemandPanel(self.keys, self.units[:, :weeks], self.summing,
                           self.weeks[:weeks], self.price, self.frequency)


def weekly_grid(weekly: pd.DataFrame, by: list[str], weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """Units and revenue per ``by`` and period, every period present (0 when nothing
    sold)."""
    grouped = weekly.groupby([*by, WEEK], observed=True)[[UNITS, REVENUE]].sum()
    wide = grouped.unstack(WEEK, fill_value=0).reindex(columns=pd.MultiIndex.from_product(
        [[UNITS, REVENUE], weeks]), fill_value=0)
    return wide


def build_panel(weekly: pd.DataFrame, top_products: int = 20,
                frequency: str = "week") -> DemandPanel:
    """The panel of ``weekly`` (one row per category, segment_id, product_id and period,
    with ``units`` and ``revenue``; ``period_start`` a Monday, or the day)."""
    weeks = pd.date_range(weekly[WEEK].min(), weekly[WEEK].max(), freq=OFFSETS[frequency])
    bottom = weekly_grid(weekly, [s.CATEGORY, s.SEGMENT_ID], weeks)
    pairs = bottom.index.to_frame(index=False)
    cats = np.sort(pairs[s.CATEGORY].unique())
    segs = np.sort(pairs[s.SEGMENT_ID].unique())
    rows = [np.ones(len(pairs))]
    rows += [(pairs[s.CATEGORY] == c).to_numpy(float) for c in cats]
    rows += [(pairs[s.SEGMENT_ID] == g).to_numpy(float) for g in segs]
    summing = np.vstack([np.vstack(rows), np.eye(len(pairs))])
    keys = pd.concat([
        pd.DataFrame({LEVEL: [TOTAL]}),
        pd.DataFrame({LEVEL: CATEGORY, s.CATEGORY: cats}),
        pd.DataFrame({LEVEL: SEGMENT, s.SEGMENT_ID: segs}),
        pairs.assign(**{LEVEL: CATEGORY_SEGMENT}),
    ], ignore_index=True)
    units = summing @ bottom[UNITS].to_numpy(float)
    revenue = summing @ bottom[REVENUE].to_numpy(float)
    products = _top_products(weekly, weeks, top_products)
    if len(products):
        keys = pd.concat([keys, products.index.to_frame(index=False).assign(
            **{LEVEL: PRODUCT})], ignore_index=True)
        units = np.vstack([units, products[UNITS].to_numpy(float)])
        revenue = np.vstack([revenue, products[REVENUE].to_numpy(float)])
    keys = keys.reindex(columns=KEYS).astype({s.SEGMENT_ID: "Int64"})
    recent = FREQUENCIES[frequency].recent
    return DemandPanel(keys, units, summing, weeks, _recent_price(units, revenue, recent),
                       frequency)


def _top_products(weekly: pd.DataFrame, weeks: pd.DatetimeIndex, n: int) -> pd.DataFrame:
    """The ``n`` products of most revenue, their weekly units and revenue."""
    if n <= 0 or weekly[s.PRODUCT_ID].isna().all():
        return pd.DataFrame()
    revenue = weekly.groupby(s.PRODUCT_ID, observed=True)[REVENUE].sum().nlargest(n)
    chosen = weekly[weekly[s.PRODUCT_ID].isin(revenue.index)]
    return weekly_grid(chosen, [s.PRODUCT_ID, s.CATEGORY], weeks)


def _recent_price(units: np.ndarray, revenue: np.ndarray, recent: int) -> np.ndarray:
    """Revenue per unit over the last ``recent`` periods, a quarter (over all periods when
    it sold nothing)."""
    recent_units, recent_revenue = units[:, -recent:].sum(1), revenue[:, -recent:].sum(1)
    all_units, all_revenue = units.sum(1), revenue.sum(1)
    price = np.divide(all_revenue, all_units, out=np.zeros(len(units)), where=all_units > 0)
    return np.divide(recent_revenue, recent_units, out=price, where=recent_units > 0)


def forecast_table(panel: DemandPanel, forecaster: DemandForecaster) -> pd.DataFrame:
    """``forecasts.parquet``: one row per series and period ahead (``frequency`` says which;
    ``horizon_weeks`` or ``horizon_days`` counts them), units with intervals and revenue
    (bottom-up over the hierarchy, so it adds up too)."""
    got = forecaster.predict()
    h = got["mean"].shape[1]
    k = len(panel.summing)
    bottom = k - panel.summing.shape[1]
    revenue = got["mean"] * panel.price[:, None]
    revenue[:k] = panel.summing @ revenue[bottom:k]
    days = FREQUENCIES[panel.frequency].days
    starts = panel.weeks[-1] + pd.to_timedelta(days * np.arange(1, h + 1), unit="D")
    n = len(panel.keys)
    frame = panel.keys.loc[np.repeat(np.arange(n), h)].reset_index(drop=True)
    frame.insert(0, FREQUENCY, panel.frequency)
    frame[WEEK] = np.tile(starts.date, n)
    ahead = pd.array(np.tile(np.arange(1, h + 1), n), dtype="Int64")
    missing = pd.array([pd.NA] * len(ahead), dtype="Int64")
    weekly = panel.frequency == "week"
    frame[HORIZON_WEEKS] = ahead if weekly else missing
    frame[HORIZON_DAYS] = missing if weekly else ahead
    frame[UNITS] = got["mean"].ravel()
    for level in forecaster.levels:
        frame[f"units_lo{level}"] = got[f"lo{level}"].ravel()
        frame[f"units_hi{level}"] = got[f"hi{level}"].ravel()
    frame[REVENUE] = revenue.ravel()
    return frame


def calendar_regressors(days: pd.DataFrame, starts: pd.DatetimeIndex,
                        frequency: str = "week") -> np.ndarray | None:
    """The forecasts' calendar regressors (periods x kinds, ``None`` without any day in
    ``starts``' range): per kind of ``days`` (``date``, ``kind``: holiday, promotion),
    the share of each period's days that are days of that kind.

    >>> days = pd.DataFrame({"date": pd.to_datetime(["2025-12-25", "2025-12-26"]),
    ...                      "kind": ["holiday", "holiday"]})
    >>> calendar_regressors(days, pd.date_range("2025-12-22", periods=2, freq="W-MON")).T
    array([[0.28571429, 0.        ]])
    """
    length = FREQUENCIES[frequency].days
    span = pd.date_range(starts[0], starts[-1] + pd.Timedelta(days=length - 1), freq="D")
    period = np.repeat(np.arange(len(starts)), length)[:len(span)]
    kinds = days[s.EVENT_KIND].fillna(s.HOLIDAY)
    columns = []
    for kind in (s.HOLIDAY, s.PROMOTION):
        dates = pd.DatetimeIndex(days.loc[kinds == kind, s.DATE]).normalize()
        hit = span.isin(dates).astype(float)
        if hit.any():
            columns.append(np.bincount(period, hit, len(starts)) / length)
    return np.column_stack(columns) if columns else None
