"""Bounded price suggestions per category x segment, from the elasticities.

A suggestion moves the price by at most ``max_step`` to a price point of a ladder
(prices ending in .99), never below the margin floor over the unit cost when the
cost is known. It says the expected weekly change in units, revenue and margin (revenue
when the cost is unknown), each with the interval the elasticity's interval gives, and
nothing is suggested when that interval crosses zero. Prices are set per segment, never
per person, and segments are behavioural: no sensitive attribute enters them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens import schema as s

COLUMNS = [s.CATEGORY, s.SEGMENT_ID, "current_price", "suggested_price", "change_pct",
           "units_change", "units_change_low", "units_change_high", "revenue_change",
           "revenue_change_low", "revenue_change_high", "margin_change",
           "margin_change_low", "margin_change_high"]


def ladder(low: float, high: float) -> np.ndarray:
    """The price points ending in .99 from ``low`` to ``high`` (to the cent below 1).

    >>> ladder(19.0, 21.0).tolist(), ladder(0.4, 0.42).tolist()
    ([19.99, 20.99], [0.4, 0.41, 0.42])
    """
    if high < 1:
        return np.round(np.arange(np.ceil(low * 100), np.floor(high * 100) + 1) / 100, 2)
    return np.round(np.arange(np.ceil(low + 0.01), np.floor(high + 0.01) + 1) - 0.01, 2)


def _changes(price: float, new: float, units: float, cost: float,
             elasticity: float) -> tuple[float, float, float]:
    """Weekly change in units, revenue and margin at ``new`` for one elasticity."""
    factor = (new / price) ** elasticity
    d_units = units * (factor - 1)
    d_revenue = units * (new * factor - price)
    d_margin = units * ((new - cost) * factor - (price - cost)) if cost == cost else np.nan
    return d_units, d_revenue, d_margin


def suggest_prices(cells: pd.DataFrame, *, max_step: float = 0.05,
                   margin_floor: float = 0.1) -> pd.DataFrame:
    """One suggestion per row of ``cells`` that earns one: ``category``, ``segment_id``,
    ``elasticity``, ``low``, ``high``, ``price`` (current), ``units`` (per week) and
    optional ``unit_cost``. The objective is the margin when the cost is known, else the
    revenue; a suggestion is kept only when its whole interval gains."""
    rows = []
    for cell in cells.itertuples(index=False):
        row = _one(cell._asdict(), max_step, margin_floor)
        if row is not None:
            rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({s.SEGMENT_ID: "int64", **{c: float for c in COLUMNS[2:]}})


def _one(cell: dict, max_step: float, margin_floor: float) -> list | None:
    price, units = float(cell["price"]), float(cell["units"])
    cost = float(cell.get("unit_cost", np.nan))
    if not (np.isfinite(cell["elasticity"]) and price > 0 and units > 0):
        return None
    floor = cost * (1 + margin_floor) if cost == cost else 0.0
    candidates = [c for c in ladder(price * (1 - max_step), price * (1 + max_step))
                  if c >= floor and c != price]
    best: list | None = None
    aim = 2 if cost == cost else 1  # index of the objective in _changes' result
    for new in candidates:
        at = [_changes(price, new, units, cost, cell[k]) for k in ("elasticity", "low", "high")]
        if min(at[1][aim], at[2][aim]) <= 0:
            continue  # the interval crosses zero (or the change loses)
        if best is None or at[0][aim] > best[0][0][aim]:
            best = [at, new]
    if best is None:
        return None
    at, new = best
    out = [cell[s.CATEGORY], cell[s.SEGMENT_ID], price, new, 100 * (new / price - 1)]
    for i in range(3):
        low, high = sorted((at[1][i], at[2][i]))
        out += [at[0][i], low, high]
    return out
