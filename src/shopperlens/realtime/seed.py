"""A customer's running state rebuilt from the batch run's features (seeding the service).

The batch writes one row of features per customer, not the events behind them;
:func:`seed_state` turns such a row into a :class:`CustomerState` whose :meth:`get` at
the run's as-of gives the row back, and into which later events fold as if the batch's
own events had been replayed. The seeding rules, feature by feature:

**Exact, also after new events** (their sums can be rebuilt from the row):
``frequency``, ``monetary``, ``recency_days``, ``tenure_days``, ``avg_order_value``,
``basket_size``, ``ipt_mean_days`` and ``ipt_std_days`` (the row's orders are rebuilt as
``frequency`` orders of the mean value and size, from the first to the last order, with
gaps of the same mean and standard deviation), the channel shares (orders per channel),
``return_rate`` and ``discount_share`` (positive, returned and discounted amounts), the
counted events (``product_views``, ``email_opens``, ``email_clicks``,
``social_engagements``), ``product added`` events (``add_to_cart_rate`` x views),
``sessions``, ``review_count``, ``support_contacts`` and ``region``.

**Held** at the batch's value until an event of their kind arrives after the seed, then
estimated: ``spend_trend`` (the rebuilt orders all have the mean value, so the spend in
its two windows is estimated from them), ``top_category`` and ``category_entropy`` (the
seed's positive spend is split between its top category and as few equal pseudo
categories as give the batch's entropy), ``checkout_conversion`` and
``cart_abandonment`` (the smallest counts giving the batch's ratio), ``mean_rating``
(every seeded review counted as rated).

**Not folded twice**: an event of a seeded customer timed before the seed's as-of (the
batch window's end, exclusive) is already in the batch's row, so the state keeps it out
(the service still stores it); so are an anonymous visitor's earlier events when the
visitor turns out to be a seeded customer (up to ``LOG_LIMIT`` of them are kept for
this). A session that spans the as-of counts once on each side.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from shopperlens import schema as s
from shopperlens.features import catalog as c
from shopperlens.features.browsing import COUNTED_EVENTS
from shopperlens.realtime.state import ADDED, COMPLETED, HELD_KIND, CustomerState

__all__ = ["HELD", "seed_state"]

# feature -> the kind of event after which it is estimated instead of held
HELD = HELD_KIND
SEED = "~seed"  # prefix of the rebuilt orders' and sessions' ids


def _num(row: dict[str, Any], name: str) -> float | None:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _gaps(count: int, mean: float, std: float | None) -> list[float]:
    """``count`` non-negative gaps with this mean and sample standard deviation: all
    equal but one (the largest last), which exists for any std a set of non-negative
    gaps can have."""
    if count <= 1 or not std:
        return [mean] * count
    small = max(mean - std / math.sqrt(count), 0.0)
    return [small] * (count - 1) + [mean * count - small * (count - 1)]


def _orders(state: CustomerState, row: dict[str, Any], t0: float) -> None:
    n = int(_num(row, c.FREQUENCY) or 0)
    monetary = _num(row, c.MONETARY) or 0.0
    tenure = _num(row, c.TENURE_DAYS)
    if tenure is None:  # no order line at all
        return
    value = _num(row, c.AVG_ORDER_VALUE) or 0.0
    items = _num(row, c.BASKET_SIZE) or 0.0
    last = t0 - (_num(row, c.RECENCY_DAYS) or 0.0)
    gaps = _gaps(n - 1, _num(row, c.IPT_MEAN_DAYS) or 0.0, _num(row, c.IPT_STD_DAYS))
    times = [last - sum(gaps)]
    for gap in gaps:
        times.append(times[-1] + gap)
    channels: list[str | None] = []
    for channel, share in (("store", c.STORE_SHARE), ("online", c.ONLINE_SHARE),
                           ("app", c.APP_SHARE)):
        channels += [channel] * round((_num(row, share) or 0.0) * n)
    channels += [None] * (n - len(channels))
    for k, t in enumerate(times[:n]):
        state.orders[f"{SEED}:{k}"] = [t, value, items, channels[k], [[t, value]]]
    # returns and orders of no value: one part at the first line's time, so monetary
    # and tenure come out as the batch's; its value 0 keeps it out of the purchases
    state.orders[f"{SEED}:rest"] = [t0 - tenure, 0.0, 0.0, None,
                                    [[t0 - tenure, monetary - value * n]]]
    _lines(state, row, monetary)


def _lines(state: CustomerState, row: dict[str, Any], monetary: float) -> None:
    returns, discounts = _num(row, c.RETURN_RATE), _num(row, c.DISCOUNT_SHARE)
    # monetary = positive - returned; return_rate = returned / positive;
    # discount_share = discount / (positive + discount)
    positive = monetary / (1.0 - returns) if returns is not None and returns != 1 else 0.0
    returned = positive - monetary
    discount = positive * discounts / (1.0 - discounts) if discounts and discounts != 1 else 0.0
    state.lines = [positive, returned, discount]
    top = row.get(c.TOP_CATEGORY)
    if isinstance(top, str) and positive > 0:
        state.categories = _categories(top, _num(row, c.CATEGORY_ENTROPY) or 0.0, positive)


def _entropy(p: float, others: int) -> float:
    rest = (1.0 - p) / others if others else 0.0
    return -sum(x * math.log2(x) for x in [p] + [rest] * others if x > 0)


def _categories(top: str, entropy: float, total: float) -> dict[str, float]:
    """Spend per category with this top category and entropy: the top one and as few
    equal others as the entropy needs (pseudo categories, never the top one)."""
    others = max(math.ceil(2.0 ** entropy - 1e-9) - 1, 0)
    lo, hi = 1.0 / (others + 1), 1.0  # entropy falls from log2(others + 1) to 0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _entropy(mid, others) > entropy else (lo, mid)
    p = (lo + hi) / 2
    spend = {top: total * p}
    spend.update({f"{SEED}:{k}": total * (1 - p) / others for k in range(others)})
    return spend


def _events(state: CustomerState, row: dict[str, Any]) -> None:
    views = int(_num(row, c.PRODUCT_VIEWS) or 0)
    for name, event in COUNTED_EVENTS.items():
        count = int(_num(row, name) or 0)
        if count:
            state.events[event] = count
    added = round((_num(row, c.ADD_TO_CART_RATE) or 0.0) * views)
    if added:
        state.events[s.PRODUCT_ADDED] = added
    conversion = _num(row, c.CHECKOUT_CONVERSION)
    if conversion is not None:
        ratio = Fraction(conversion).limit_denominator(1000)
        state.events[s.CHECKOUT_STARTED] = ratio.denominator
        state.events[s.ORDER_COMPLETED] = ratio.numerator
    sessions = int(_num(row, c.SESSIONS) or 0)
    flags = [0] * sessions
    abandonment = _num(row, c.CART_ABANDONMENT)
    if abandonment is not None and sessions:
        ratio = Fraction(abandonment).limit_denominator(sessions)
        for k in range(ratio.denominator):  # sessions with a cart, the first abandoned
            flags[k] = ADDED if k < ratio.numerator else ADDED | COMPLETED
    state.sessions = {f"{SEED}:{k}": flag for k, flag in enumerate(flags)}


def seed_state(row: dict[str, Any], as_of: float, *, extra: dict[str, Any] | None = None
               ) -> CustomerState:
    """The state whose features at ``as_of`` (days since the epoch) are ``row``'s.

    ``extra`` (the run's segment, predictions ...) is kept with the seed, as is.
    """
    state = CustomerState()
    _orders(state, row, as_of)
    _events(state, row)
    reviews = int(_num(row, c.REVIEW_COUNT) or 0)
    rating = _num(row, c.MEAN_RATING)
    rated = reviews if rating is not None else 0
    state.interactions = [reviews, int(_num(row, c.SUPPORT_CONTACTS) or 0),
                          (rating or 0.0) * rated, rated]
    region = row.get(c.REGION)
    if isinstance(region, str):
        state.traits[s.REGION] = region
    state.seed = {"t": as_of, "held": {f: row.get(f) for f in HELD if f in row},
                  "since": [], **(extra or {})}
    for name, value in state.seed["held"].items():
        if isinstance(value, float) and math.isnan(value):
            state.seed["held"][name] = None
    return state
