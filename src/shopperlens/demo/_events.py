"""Behavioural events of the demo data (the ``events`` table, Segment-spec style).

Web and app sessions run through a funnel (page, search, product views, add to cart,
checkout, payment, order). Every online or app order has a session ending in
``Order Completed``; browsing sessions stop earlier, which is what makes a cart
"abandoned". E-mail and social events sit outside sessions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from shopperlens import schema
from shopperlens.demo._orders import (
    CATEGORIES,
    CURRENCY,
    PRODUCTS_PER_CATEGORY,
    Catalogue,
    Orders,
    seasonal_seconds,
)
from shopperlens.demo._people import Devices
from shopperlens.demo._util import (
    DAY,
    N_DAYS,
    choice_rows,
    group_rank,
    hashed_ids,
    join,
    labels,
    num_str,
    salt,
    strings,
    to_timestamps,
)

FUNNEL = (schema.PAGE_VIEWED, schema.PRODUCTS_SEARCHED, schema.PRODUCT_VIEWED,
          schema.PRODUCT_ADDED, schema.CART_VIEWED, schema.CHECKOUT_STARTED,
          schema.PAYMENT_INFO_ENTERED, schema.ORDER_COMPLETED)
EVENT_NAMES = (*FUNNEL, schema.EMAIL_OPENED, schema.EMAIL_CLICKED, schema.SOCIAL_ENGAGED)
EVENT_CHANNELS = ("web", "app", "email", "social")
DEVICES = ("desktop", "mobile", "ios", "android")
ANONYMOUS = 99  # login step of a session that never logs in
DUPLICATE_SHARE = 0.005
_QUERIES = {
    "apparel": ("summer dress", "mens jeans", "linen shirt", "winter coat", "hoodie"),
    "shoes": ("running shoes", "white trainers", "leather boots", "sandals", "kids shoes"),
    "beauty": ("moisturiser", "vitamin c serum", "perfume gift set", "lipstick", "spf 50"),
    "home": ("bedding set", "scented candle", "towels", "table lamp", "storage boxes"),
    "electronics": ("wireless earbuds", "phone charger", "smart watch", "4k tv", "laptop"),
    "grocery": ("coffee beans", "olive oil", "gluten free pasta", "dark chocolate", "tea"),
    "toys": ("lego", "board games", "soft toy", "puzzle 1000 pieces", "remote control car"),
    "sports": ("yoga mat", "dumbbells", "football", "cycling gloves", "water bottle"),
}
_PATHS = ("/", "/sale", "/new-in", "/account", "/stores", "/gift-ideas")
_DTYPES = {"customer": np.int32, "slot": np.int32, "session": np.int32, "seconds": np.int64,
           "event": np.int8, "channel": np.int8}


@dataclass
class Sessions:
    """One row per web or app session; ``customer`` is -1 for unknown visitors."""

    customer: np.ndarray
    start: np.ndarray
    kind: np.ndarray  # 0 web, 1 app
    order: np.ndarray  # index into Orders, -1 when no order was placed
    slot: np.ndarray  # index into the anonymous ids
    login_step: np.ndarray  # funnel step from which the visitor is logged in
    category: np.ndarray
    add_rate: np.ndarray
    skew: np.ndarray


def _slots(rng: np.random.Generator, customer: np.ndarray, app: np.ndarray,
           dev: Devices) -> np.ndarray:
    """Device slot of each session: the app, or one of the customer's browser cookies."""
    second = dev.second_cookie[customer] & (rng.random(len(customer)) < 0.5)
    return customer * 3 + np.where(app, 1, np.where(second, 2, 0))


def _browsing(rng: np.random.Generator, traits: dict, dev: Devices, calendar: tuple,
              n_strangers: int) -> Sessions:
    """Sessions without an order, of customers and of never-identified visitors."""
    n = len(traits["lo"])
    customer = np.repeat(np.arange(n), rng.poisson(traits["browse"]))
    channel = traits["channel"] / traits["channel"].sum(axis=1, keepdims=True)
    app = rng.random(len(customer)) < (channel[:, 2] / (channel[:, 1] + channel[:, 2]))[customer]
    lo = np.maximum(traits["lo"][customer] - 30, 0)
    start = seasonal_seconds(rng, traits["persona"][customer], lo, traits["hi"][customer],
                             app.astype(np.int64), ("online", "app"), calendar)
    login = np.select([rng.random(len(customer)) < 0.3, rng.random(len(customer)) < 0.1],
                      [ANONYMOUS, 3], 0)
    stranger = np.repeat(np.arange(n_strangers), 1 + rng.poisson(0.5, n_strangers))
    s_app = rng.random(len(stranger)) < 0.4
    s_start = seasonal_seconds(rng, np.full(len(stranger), 3), np.zeros(len(stranger), np.int64),
                               np.full(len(stranger), N_DAYS - 1), s_app.astype(np.int64),
                               ("online", "app"), calendar)
    m = len(stranger)
    return Sessions(
        np.r_[customer, np.full(m, -1)], np.r_[start, s_start], np.r_[app, s_app].astype(int),
        np.full(len(customer) + m, -1), np.r_[_slots(rng, customer, app, dev), 3 * n + stranger],
        np.r_[login, np.full(m, ANONYMOUS)],
        np.r_[choice_rows(rng, traits["categories"], customer), rng.integers(0, 8, m)],
        np.r_[traits["add_rate"][customer], np.full(m, 0.15)],
        np.r_[traits["price_skew"][customer], np.ones(m)])


def _buying(rng: np.random.Generator, traits: dict, dev: Devices, orders: Orders) -> Sessions:
    """One session per online or app order; some visitors log in only at checkout."""
    rows = np.flatnonzero(orders.channel > 0)
    customer, app = orders.customer[rows], orders.channel[rows] == 2
    login = np.where(rng.random(len(rows)) < 0.35, 5, 0)
    return Sessions(customer, orders.seconds[rows], app.astype(int), rows,
                    _slots(rng, customer, app, dev), login,
                    orders.first_product[rows] // PRODUCTS_PER_CATEGORY,
                    traits["add_rate"][customer], traits["price_skew"][customer])


def _concat(a: Sessions, b: Sessions) -> Sessions:
    """Both sets of sessions, sorted by start time (so later gathers read in order)."""
    start = np.r_[a.start, b.start]
    order = np.argsort(start, kind="stable")
    return Sessions(*(np.r_[getattr(a, f), getattr(b, f)][order]
                      for f in Sessions.__annotations__))


def _funnel_counts(rng: np.random.Generator, s: Sessions, orders: Orders) -> np.ndarray:
    """Number of events of each funnel step (columns of ``FUNNEL``) in each session."""
    n, buy = len(s.start), s.order >= 0
    added = np.where(buy, np.minimum(orders.n_lines[s.order], 2), rng.random(n) < s.add_rate)
    checkout = buy | ((added > 0) & (rng.random(n) < 0.35))
    # Saved cards and wallets skip the payment step of many purchases.
    payment = np.where(buy, rng.random(n) < 0.6, checkout & (rng.random(n) < 0.4))
    return np.column_stack([
        np.ones(n), rng.random(n) < 0.15, 1 + rng.poisson(np.where(buy, 0.2, 0.3)),
        added, (added > 0) & (rng.random(n) < 0.3), checkout, payment, buy,
    ]).astype(np.int64)


def _product_props(rng: np.random.Generator, s: Sessions, sess: np.ndarray, cat: Catalogue,
                   extra: str) -> pa.Array:
    """``{"product_id", "category", "price"}`` of a product from the session's category."""
    rank = np.floor(rng.random(len(sess)) ** s.skew[sess] * PRODUCTS_PER_CATEGORY)
    product = s.category[sess] * PRODUCTS_PER_CATEGORY + rank.astype(np.int64)
    return join('{"product_id": "', cat.ids.take(product), '", "category": "',
                strings(CATEGORIES).take(s.category[sess]), '", "price": ',
                cat.price_text.take(product), extra, "}")


def _funnel_props(rng: np.random.Generator, step: int, s: Sessions, sess: np.ndarray,
                  counts: np.ndarray, orders: Orders, cat: Catalogue) -> pa.Array:
    """The JSON ``properties`` of the events of one funnel step."""
    n, category = len(sess), s.category[sess]
    if step == 0:
        paths = strings([*_PATHS, *(f"/c/{c}" for c in CATEGORIES)])
        pick = np.where(rng.random(n) < 0.5, len(_PATHS) + category,
                        rng.integers(0, len(_PATHS), n))
        return join('{"path": "', paths.take(pick), '"}')
    if step == 1:
        queries = strings([q for c in CATEGORIES for q in _QUERIES[c]])
        return join('{"query": "', queries.take(category * 5 + rng.integers(0, 5, n)), '"}')
    if step in (2, 3):
        return _product_props(rng, s, sess, cat, ', "quantity": 1' if step == 3 else "")
    if step == 4:
        return join('{"cart_size": ', num_str(np.maximum(counts[sess, 3], 1)), "}")
    order = np.maximum(s.order[sess], 0)
    value = np.where(s.order[sess] >= 0, orders.revenue[order],
                     np.round(rng.gamma(2.0, 30.0, n), 2))
    if step == 5:
        return join('{"value": ', num_str(value), f', "currency": "{CURRENCY}"}}')
    if step == 6:
        method = strings(["card", "paypal", "apple_pay", "klarna"]).take(rng.integers(0, 4, n))
        return join('{"payment_method": "', method, '"}')
    return join('{"order_id": "', orders.order_id.take(order), '", "revenue": ',
                num_str(value), f', "currency": "{CURRENCY}"}}')


def _session_events(rng: np.random.Generator, s: Sessions, orders: Orders, cat: Catalogue,
                    linked: np.ndarray) -> dict[str, np.ndarray | pa.Array]:
    """Funnel events of all sessions, in blocks by step (ordered by time later).

    Before login an event carries only the anonymous id; after login it carries the
    customer id, plus the anonymous id when the device is ``linked``.
    """
    counts = _funnel_counts(rng, s, orders)
    offset = np.cumsum(counts, axis=1) - counts
    # Purchase sessions end with Order Completed at the order's own time.
    start = np.where(s.order >= 0, s.start - (counts.sum(axis=1) - 1) * 45 - 20, s.start)
    sess, step, rank, props = [], [], [], []
    for k in range(len(FUNNEL)):
        rows = np.repeat(np.arange(len(start)), counts[:, k])
        sess.append(rows)
        step.append(np.full(len(rows), k))
        rank.append(group_rank(rows))
        props.append(_funnel_props(rng, k, s, rows, counts, orders, cat))
    e_sess, e_step = np.concatenate(sess), np.concatenate(step)
    within = offset[e_sess, e_step] + np.concatenate(rank)
    login = e_step >= s.login_step[e_sess]
    slot = s.slot[e_sess]
    known = slot < len(linked)
    with_anon = ~login | (known & linked[np.where(known, slot, 0)])
    return {"customer": np.where(login, s.customer[e_sess], -1),
            "slot": np.where(with_anon, slot, -1), "session": e_sess,
            "seconds": start[e_sess] + within * 45 + rng.integers(0, 40, len(e_sess)),
            "event": e_step, "channel": s.kind[e_sess], "props": props}


def _emails(rng: np.random.Generator, traits: dict, calendar: tuple,
            campaigns: list[str]) -> dict[str, np.ndarray | pa.Array]:
    """E-mails opened (campaign sends follow the persona's calendar) and some clicked."""
    n_clicks = rng.poisson(traits["email_clicks"])
    n_opens = n_clicks + rng.poisson(traits["email_opens"])
    customer = np.repeat(np.arange(len(n_opens)), n_opens)
    lo = np.maximum(traits["lo"][customer] - 30, 0)
    seconds = seasonal_seconds(rng, traits["persona"][customer], lo,
                               np.full(len(customer), N_DAYS - 1),
                               np.zeros(len(customer), np.int64), ("online",), calendar)
    clicked = np.flatnonzero(group_rank(customer) < n_clicks[customer])
    by_time = np.argsort(seconds, kind="stable")
    rank = np.empty_like(by_time)
    rank[by_time] = np.arange(len(by_time))
    customer, seconds, clicked = customer[by_time], seconds[by_time], np.sort(rank[clicked])
    end = calendar[2] + N_DAYS * DAY
    click_seconds = np.minimum(seconds[clicked] + rng.integers(5, 3600, len(clicked)), end - 1)
    dates_promo, start = calendar[1], calendar[2]
    code = dates_promo[(np.r_[seconds, click_seconds] - start) // DAY]
    props = join('{"campaign": "', strings(campaigns).take(code), '"}')
    both = np.r_[customer, customer[clicked]]
    return {"customer": both, "slot": np.full(len(both), -1), "session": np.full(len(both), -1),
            "seconds": np.r_[seconds, click_seconds],
            "event": np.repeat([8, 9], [len(customer), len(clicked)]),
            "channel": np.full(len(both), 2), "props": [props]}


def _social(rng: np.random.Generator, traits: dict, calendar: tuple
            ) -> dict[str, np.ndarray | pa.Array]:
    """Likes, shares and comments on the retailer's social posts (persona-neutral)."""
    customer = np.repeat(np.arange(len(traits["lo"])), rng.poisson(traits["social"]))
    n = len(customer)
    seconds = np.sort(seasonal_seconds(rng, traits["persona"][customer], traits["lo"][customer],
                                       np.full(n, N_DAYS - 1), np.ones(n, np.int64),
                                       ("online", "app"), calendar))
    platform = strings(["instagram", "tiktok", "facebook", "x"]).take(rng.integers(0, 4, n))
    action = strings(["like", "share", "comment", "follow"]).take(rng.integers(0, 4, n))
    props = join('{"platform": "', platform, '", "action": "', action, '"}')
    return {"customer": customer, "slot": np.full(n, -1), "session": np.full(n, -1),
            "seconds": seconds, "event": np.full(n, 10), "channel": np.full(n, 3),
            "props": [props]}


def _assemble(rng: np.random.Generator, parts: list[dict], dev: Devices,
              sizes: tuple[int, int], ids: pa.Array) -> pa.Table:
    """One table, ordered by arrival, with ~0.5% of events delivered twice.

    ``sizes`` are the numbers of device slots and sessions; ``ids`` the customers' ids.
    """
    # Memory is the constraint at a million customers: free each input once merged.
    blocks = [block for p in parts for block in p.pop("props")]
    cols = {k: np.concatenate([p[k] for p in parts], dtype=_DTYPES[k]) for k in _DTYPES}
    for p in parts:
        p.clear()
    n = len(cols["seconds"])
    dup = np.flatnonzero(rng.random(n) < DUPLICATE_SHARE)
    arrival = np.r_[cols["seconds"], cols["seconds"][dup] + rng.integers(60, 2 * DAY, len(dup))]
    rows = np.r_[np.arange(n), dup][np.argsort(arrival, kind="stable")]
    del arrival
    for key in _DTYPES:
        cols[key] = cols[key][rows]
    props = pa.concat_arrays(blocks)
    del blocks
    props = props.take(rows)
    customer, slot, session = cols["customer"], cols["slot"], cols["session"]
    n_slots, n_sessions = sizes
    # Strangers' slots lie past the customers' ones and hash to ids of their own.
    return pa.table({
        schema.MESSAGE_ID: hashed_ids(rows, salt(rng), uuid=True),
        schema.CUSTOMER_ID: labels(customer, ids, customer >= 0),
        schema.ANONYMOUS_ID: labels(slot, dev.anonymous_ids(np.arange(n_slots)), slot >= 0),
        schema.TIMESTAMP: to_timestamps(cols["seconds"]),
        schema.EVENT: labels(cols["event"], strings(EVENT_NAMES)),
        schema.SESSION_ID: labels(session, hashed_ids(np.arange(n_sessions), salt(rng), 8),
                                  session >= 0),
        schema.CHANNEL: labels(cols["channel"], strings(EVENT_CHANNELS)),
        schema.DEVICE: _devices(slot, cols["channel"]),
        schema.PROPERTIES: props,
    })


def _devices(slot: np.ndarray, channel: np.ndarray) -> pa.Array:
    """Each device slot's type, fixed by the slot (no draw: the other streams stay as
    they were): app slots are phones, a third of web slots are phones, the rest desktops;
    e-mail and social events have none."""
    web, app = EVENT_CHANNELS.index("web"), EVENT_CHANNELS.index("app")
    code = np.where(channel == app, 2 + slot % 2, (slot * 7 % 3 == 0).astype(np.int64))
    return labels(code, strings(DEVICES), (slot >= 0) & ((channel == web) | (channel == app)))


def events(rng: np.random.Generator, traits: dict, dev: Devices, orders: Orders,
           cat: Catalogue, calendar: tuple, campaigns: list[str], ids: pa.Array
           ) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The ``events`` table (``ids``: the customers' ids), plus per device slot: used at
    all, and linked in events."""
    n, n_strangers = len(traits["lo"]), max(len(traits["lo"]) // 20, 1)
    sessions = _concat(_browsing(rng, traits, dev, calendar, n_strangers),
                       _buying(rng, traits, dev, orders))
    funnel = _session_events(rng, sessions, orders, cat, dev.linked)
    used = np.zeros(3 * n, dtype=bool)
    used[sessions.slot[sessions.slot < 3 * n]] = True
    both = (funnel["customer"] >= 0) & (funnel["slot"] >= 0)
    linked = np.zeros(3 * n, dtype=bool)
    linked[funnel["slot"][both]] = True
    parts = [funnel, _emails(rng, traits, calendar, campaigns), _social(rng, traits, calendar)]
    sizes = (3 * n + n_strangers, len(sessions.start))
    return _assemble(rng, parts, dev, sizes, ids), used, linked
