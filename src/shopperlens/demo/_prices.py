"""The demo's shelf prices over time and how much each persona buys in answer.

Every product's shelf price moves in steps on Mondays (a level from 90% to 110% of its
list price, held three to nine weeks, each product on its own calendar), the same for
every seed: a calendar, like the promotions. Units answer with a planted constant
elasticity per persona: the expected quantity of an order line is
``(1 + base) * level ** elasticity`` (``base`` the extra units of a line at list price),
so a product's units per persona and week follow its price with exactly that
elasticity. The ``prices`` table lists each product's shelf price from each change,
with a unit cost of 60% of its list price.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from shopperlens import schema
from shopperlens.demo._util import DAY, labels, to_timestamps

# Planted own-price elasticity of each persona (PERSONAS' order): the discount hunters
# answer most, the loyalists least.
PLANTED_ELASTICITY = np.array([-0.6, -2.0, -0.9, -1.4, -1.1, -1.2])
LEVELS = np.array([0.9, 0.95, 1.0, 1.05, 1.1])
COST_SHARE = 0.6  # unit cost / list price
_CALENDAR_SEED = 20_251_231  # one calendar for every seed and chunk


def price_levels(n_products: int, start: int, n_days: int) -> np.ndarray:
    """Shelf price level (share of list price) per product and day, changing on Mondays
    every three to nine weeks."""
    rng = np.random.default_rng(_CALENDAR_SEED)
    monday = (4 - start // DAY) % 7  # first Monday's day index (1970-01-01: Thursday)
    week = np.maximum((np.arange(n_days) - monday) // 7 + 1, 0)
    n_weeks = int(week[-1]) + 1
    change = np.cumsum(rng.integers(3, 10, (n_products, n_weeks)), axis=1)
    steps = (change[:, :, None] <= np.arange(n_weeks)[None, None, :]).sum(axis=1)
    levels = np.take_along_axis(rng.choice(LEVELS, (n_products, n_weeks)), steps, axis=1)
    return levels[:, week]


def line_quantity(rng: np.random.Generator, base: np.ndarray, level: np.ndarray,
                  elasticity: np.ndarray) -> np.ndarray:
    """Units of each line: 1 plus a Poisson draw whose mean makes the expected units
    ``(1 + base) * level ** elasticity``."""
    extra = (1.0 + base) * level ** elasticity - 1.0
    return 1 + rng.poisson(np.maximum(extra, 0.0))


def prices(ids: pa.Array, list_prices: np.ndarray, levels: np.ndarray,
           start: int) -> pa.Table:
    """The ``prices`` table: each product's shelf price from day 0 and each change."""
    changed = np.c_[np.ones(len(levels), bool), np.diff(levels, axis=1) != 0]
    product, day = np.nonzero(changed)
    base = list_prices.ravel()[product]
    return pa.table({
        schema.PRODUCT_ID: labels(product, ids),
        schema.DATE: to_timestamps(start + day * DAY),
        schema.PRICE: np.round(base * levels[product, day], 2),
        schema.PROMO: pa.nulls(len(product), pa.bool_()),
        schema.UNIT_COST: np.round(base * COST_SHARE, 2),
    })


