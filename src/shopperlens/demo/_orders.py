"""Orders, order lines and returns of the demo data (the ``transactions`` table)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from shopperlens import schema
from shopperlens.demo._personas import PARAMS
from shopperlens.demo._prices import PLANTED_ELASTICITY, line_quantity
from shopperlens.demo._util import (
    DAY,
    STR,
    choice_rows,
    day_weights,
    labels,
    num_str,
    padded_ids,
    sample_days,
    seconds_in_day,
    strings,
    to_timestamps,
)

CATEGORIES = ("apparel", "shoes", "beauty", "home", "electronics", "grocery", "toys", "sports")
_MEDIAN_PRICE = np.array([25.0, 55.0, 15.0, 30.0, 120.0, 4.0, 18.0, 35.0])
ORDER_CHANNELS = ("store", "online", "app")
PRODUCTS_PER_CATEGORY = 250
N_STORES = 40
CURRENCY = "GBP"
# Planted item affinities: each persona favours a few products of every category, fewer
# of the consumables than of the durables; a line picks a favourite this often, the
# first favourite most (weights 1, 1/2, 1/3, ...). Of the consumables, each customer
# has an order of their own among the persona's favourites (their staples, re-bought).
CONSUMABLES = ("grocery", "beauty")
FAVOURITES = (3, 8)  # per category: consumables, others
FAVOURITE_SHARE = 0.85


@dataclass(frozen=True)
class Catalogue:
    """Products: ``ids[c * PRODUCTS_PER_CATEGORY + k]``, prices ascending within category."""

    ids: pa.Array
    prices: np.ndarray  # (8, PRODUCTS_PER_CATEGORY)
    price_text: pa.Array  # the prices as text, flat like ``ids``


@dataclass(frozen=True)
class Orders:
    """One row per order, sorted by time: what the events table needs to mirror them."""

    customer: np.ndarray
    seconds: np.ndarray
    channel: np.ndarray  # index into ORDER_CHANNELS
    order_id: pa.Array
    revenue: np.ndarray
    n_lines: np.ndarray
    first_product: np.ndarray  # flat catalogue index of the first line


@dataclass(frozen=True)
class Tastes:
    """Each persona's favourite products, and the generator of the picks among them (its
    own stream, so the other draws of the demo stay as they were)."""

    favourites: list[list[np.ndarray]]  # [persona][category] -> ranks within the category
    rng: np.random.Generator


def tastes(rng: np.random.Generator) -> Tastes:
    """Favourites per persona and category, at the persona's usual price level; no two
    personas share a favourite."""
    taken: list[set[int]] = [set() for _ in CATEGORIES]
    favourites = []
    for skew in PARAMS["price_skew"]:
        per_category = []
        for c, name in enumerate(CATEGORIES):
            k = FAVOURITES[0] if name in CONSUMABLES else FAVOURITES[1]
            ranks: list[int] = []
            while len(ranks) < k:
                rank = min(int(rng.random() ** skew * PRODUCTS_PER_CATEGORY),
                           PRODUCTS_PER_CATEGORY - 1)
                if rank not in taken[c]:
                    taken[c].add(rank)
                    ranks.append(rank)
            per_category.append(np.array(ranks, dtype=np.int64))
        favourites.append(per_category)
    return Tastes(favourites, rng)


def _favourite_products(taste: Tastes, persona: np.ndarray, customer: np.ndarray,
                        category: np.ndarray, product: np.ndarray) -> np.ndarray:
    """``product`` with a share of the lines swapped for a favourite of the persona."""
    rng, out = taste.rng, product.copy()
    swap = rng.random(len(product)) < FAVOURITE_SHARE
    pick = rng.random(len(product))
    own = rng.integers(0, max(FAVOURITES), (customer.max() + 1 if len(customer) else 0,
                                            len(CATEGORIES)))
    for p, per_category in enumerate(taste.favourites):
        for c, ranks in enumerate(per_category):
            rows = np.flatnonzero(swap & (persona == p) & (category == c))
            weights = np.cumsum(1.0 / np.arange(1, len(ranks) + 1))
            k = np.searchsorted(weights / weights[-1], pick[rows], side="right")
            k = (k + own[customer[rows], c]) % len(ranks)
            out[rows] = c * PRODUCTS_PER_CATEGORY + ranks[k]
    return out


def _one_line_per_product(order: np.ndarray, drawn: np.ndarray, favourite: np.ndarray
                          ) -> np.ndarray:
    """The favourites, one line per product in an order: a repeated one keeps the drawn
    product, moved to the next of its category while still repeated (identical lines
    would be quarantined as duplicates)."""
    width = len(CATEGORIES) * PRODUCTS_PER_CATEGORY
    product = favourite.copy()
    for step in range(PRODUCTS_PER_CATEGORY):
        _, first = np.unique(order * width + product, return_index=True)
        again = np.ones(len(product), bool)
        again[first] = False
        if not again.any():
            break
        base = drawn[again] - drawn[again] % PRODUCTS_PER_CATEGORY
        product[again] = base + (drawn[again] + step) % PRODUCTS_PER_CATEGORY
    return product


def catalogue(rng: np.random.Generator) -> Catalogue:
    """Eight categories of products with plausible '.99' prices."""
    raw = _MEDIAN_PRICE[:, None] * rng.lognormal(0, 0.6, (8, PRODUCTS_PER_CATEGORY))
    prices = np.sort(np.maximum(np.floor(raw), 0) + 0.99, axis=1)
    codes = np.repeat([c[:3].upper() for c in CATEGORIES], PRODUCTS_PER_CATEGORY)
    numbers = np.tile(np.arange(1, PRODUCTS_PER_CATEGORY + 1), 8)
    ids = pa.array([f"{c}{k:04d}" for c, k in zip(codes, numbers, strict=True)], type=STR)
    return Catalogue(ids, prices, num_str(prices.ravel()))


def seasonal_seconds(rng: np.random.Generator, persona: np.ndarray, lo: np.ndarray,
                     hi: np.ndarray, kind: np.ndarray, kinds: tuple[str, ...],
                     calendar: tuple[np.ndarray, np.ndarray, int]) -> np.ndarray:
    """Unix seconds in day windows ``[lo, hi]``, following each persona's yearly rhythm.

    Days follow the season, the weekday and (more or less, by persona) promotions;
    the hour follows the channel ``kinds[kind]``.
    """
    dates, promo, start = calendar
    day = np.empty(len(persona), dtype=np.int64)
    for k, boost in enumerate(PARAMS["promo_boost"]):
        rows = np.flatnonzero(persona == k)
        day[rows] = sample_days(rng, day_weights(dates, promo, boost), lo[rows], hi[rows])
    return start + day * DAY + seconds_in_day(rng, kind, kinds)


def draw_orders(rng: np.random.Generator, traits: dict[str, np.ndarray],
                calendar: tuple[np.ndarray, np.ndarray, int]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer, time and channel of every order, sorted by time."""
    customer = np.repeat(np.arange(len(traits["lo"])), traits["n_orders"])
    channel = choice_rows(rng, traits["channel"], customer)
    seconds = seasonal_seconds(rng, traits["persona"][customer], traits["lo"][customer],
                               traits["hi"][customer], channel, ORDER_CHANNELS, calendar)
    order = np.argsort(seconds, kind="stable")
    return customer[order], seconds[order], channel[order]


def _lines(rng: np.random.Generator, traits: dict[str, np.ndarray], customer: np.ndarray,
           cat: Catalogue, level: np.ndarray, day: np.ndarray, taste: Tastes | None
           ) -> dict[str, np.ndarray]:
    """Order lines: which order, product, shelf price and quantity; ``level`` is the
    shelf price level per product and day, ``day`` each order's day, ``taste`` the
    personas' favourite products (planted when given)."""
    n_lines = 1 + rng.poisson(traits["lines"][customer])
    line_order = np.repeat(np.arange(len(customer)), n_lines)
    line_customer = customer[line_order]
    category = choice_rows(rng, traits["categories"], line_customer)
    skew = traits["price_skew"][line_customer]
    rank = np.floor(rng.random(len(line_order)) ** skew * PRODUCTS_PER_CATEGORY).astype(np.int64)
    product = category * PRODUCTS_PER_CATEGORY + np.minimum(rank, PRODUCTS_PER_CATEGORY - 1)
    if taste is not None:
        favourite = _favourite_products(taste, traits["persona"][line_customer],
                                        line_customer, category, product)
        product = _one_line_per_product(line_order, product, favourite)
    grocery = category == CATEGORIES.index("grocery")
    shelf = level[product, day[line_order]]
    elasticity = PLANTED_ELASTICITY[traits["persona"][line_customer]]
    quantity = line_quantity(rng, np.where(grocery, 1.2, 0.3), shelf, elasticity)
    unit_price = np.round(cat.prices.ravel()[product] * shelf, 2)
    return {"order": line_order, "n_lines": n_lines, "category": category, "product": product,
            "quantity": quantity, "unit_price": unit_price}


def _discounts(rng: np.random.Generator, traits: dict[str, np.ndarray], lines: dict,
               customer: np.ndarray, in_promo: np.ndarray) -> np.ndarray:
    """Money off each line: deeper and more frequent during promotions.

    ``traits["offers"]``, when present, scales each customer's chance of an offer (the
    planted bias of an offer rule).
    """
    promo = in_promo[lines["order"]]
    propensity = traits["discount"][customer[lines["order"]]]
    chance = np.clip(propensity + 0.2 * promo, 0, 0.97)
    if "offers" in traits:
        chance = chance * traits["offers"][customer[lines["order"]]]
    discounted = rng.random(len(promo)) < chance
    depth = np.where(promo, rng.choice([0.3, 0.4, 0.5, 0.6], len(promo)),
                     rng.choice([0.15, 0.2, 0.25, 0.3, 0.4], len(promo)))
    gross = lines["unit_price"] * lines["quantity"]
    return np.round(np.where(discounted, gross * depth, 0.0), 2)


def _stores(rng: np.random.Generator, home_store: np.ndarray, customer: np.ndarray,
            channel: np.ndarray) -> np.ndarray:
    """Store of each order: mostly the customer's home store; -1 unless in store."""
    away = rng.random(len(customer)) < 0.15
    store = np.where(away, rng.integers(0, N_STORES, len(customer)), home_store[customer])
    return np.where(channel == 0, store, -1)


def _returns(rng: np.random.Generator, traits: dict[str, np.ndarray], line_customer: np.ndarray,
             line_seconds: np.ndarray, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Which lines come back (index) and when: 2-35 days later, before ``as_of``."""
    back = rng.random(len(line_customer)) < traits["returns"][line_customer]
    when = line_seconds + rng.integers(2 * DAY, 35 * DAY, len(line_customer))
    rows = np.flatnonzero(back & (when < end))
    return rows, when[rows]


def transactions(rng: np.random.Generator, traits: dict[str, np.ndarray], home_store: np.ndarray,
                 calendar: tuple[np.ndarray, np.ndarray, int], cat: Catalogue,
                 ids: pa.Array, levels: np.ndarray, *, first_order: int = 0,
                 taste: Tastes | None = None
                 ) -> tuple[pa.Table, Orders]:
    """The ``transactions`` table (sales then returns, sorted by time) and its orders.

    ``ids`` are the customers' ids; orders are numbered from ``first_order`` (> 0 for
    the later chunks of a big demo, whose ids must not repeat earlier ones); ``levels``
    the shelf price level per product and day; ``taste`` plants the personas' favourite
    products.
    """
    dates, promo, start = calendar
    customer, seconds, channel = draw_orders(rng, traits, calendar)
    in_promo = promo[(seconds - start) // DAY] > 0
    lines = _lines(rng, traits, customer, cat, levels, (seconds - start) // DAY, taste)
    line_customer = customer[lines["order"]]
    discount = _discounts(rng, traits, lines, customer, in_promo)
    amount = np.round(lines["unit_price"] * lines["quantity"] - discount, 2)
    store = _stores(rng, home_store, customer, channel)
    order_number = first_order + np.arange(1, len(customer) + 1)
    back, back_seconds = _returns(rng, traits, line_customer, seconds[lines["order"]],
                                  start + len(dates) * DAY)
    sale = lines["order"]
    both = np.r_[sale, sale[back]]
    order_ids = padded_ids("O", order_number, 9)
    table = pa.table({
        schema.CUSTOMER_ID: labels(customer[both], ids),
        schema.ORDER_ID: pa.concat_arrays([order_ids.take(sale),
                                           padded_ids("R", order_number[sale[back]], 9)]),
        schema.TIMESTAMP: to_timestamps(np.r_[seconds[sale], back_seconds]),
        schema.AMOUNT: np.r_[amount, -amount[back]],
        schema.QUANTITY: np.r_[lines["quantity"], -lines["quantity"][back]],
        schema.PRODUCT_ID: labels(np.r_[lines["product"], lines["product"][back]], cat.ids),
        schema.CATEGORY: labels(np.r_[lines["category"], lines["category"][back]],
                                strings(CATEGORIES)),
        schema.UNIT_PRICE: np.r_[lines["unit_price"], lines["unit_price"][back]],
        schema.DISCOUNT: np.r_[discount, np.zeros(len(back))],
        schema.CHANNEL: labels(channel[both], strings(ORDER_CHANNELS)),
        schema.STORE_ID: labels(store[both], padded_ids("S", np.arange(1, N_STORES + 1), 3),
                                store[both] >= 0),
        schema.CURRENCY: labels(np.zeros(len(both), np.int64), strings([CURRENCY])),
    })
    order = np.argsort(np.r_[seconds[sale], back_seconds], kind="stable")
    first_line = np.r_[0, np.cumsum(lines["n_lines"])[:-1]]
    orders = Orders(customer, seconds, channel, order_ids,
                    np.round(np.bincount(sale, amount, len(customer)), 2), lines["n_lines"],
                    lines["product"][first_line])
    return table.take(order), orders
