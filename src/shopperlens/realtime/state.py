"""Running per-customer feature state, updated one event at a time.

:class:`CustomerState` holds compact summaries (one entry per order, one flag set per
session, counts and sums) from which :meth:`CustomerState.get` computes the same
values as the batch feature SQL (``features/orders.py``, ``browsing.py``,
``interactions.py``) for the same events and the same as-of time. Everything is plain
JSON data (:meth:`CustomerState.to_json` / :meth:`CustomerState.from_json`), so a store
can persist it.

Times are days since the Unix epoch as floats, exactly as the batch SQL's ``t`` column
(``epoch(timestamp) / 86400``); :func:`to_days` converts a datetime.

An event is a dict with a ``type``:

``transaction``   ``order_id``, ``t``, ``channel``, ``lines`` (``amount``, ``quantity``,
                  ``discount``, ``category``); lines of one order may arrive in pieces
``event``         ``event`` (Segment name), ``t``, ``session_id``
``interaction``   ``source`` (review, support, ...), ``t``, ``rating``
``traits``        ``traits`` (``region``, ``consent_profiling``, ...)

>>> st = CustomerState()
>>> st.update({"type": "transaction", "order_id": "O1", "t": 10.0, "channel": "store",
...            "lines": [{"amount": 30.0, "category": "shoes"}]})
>>> st.update({"type": "transaction", "order_id": "O2", "t": 14.0, "channel": "online",
...            "lines": [{"amount": 10.0, "quantity": 2, "category": "toys"}]})
>>> f = st.get(20.0)
>>> f["frequency"], f["monetary"], f["recency_days"], f["ipt_mean_days"], f["basket_size"]
(2, 40.0, 6.0, 4.0, 1.5)
>>> f["top_category"], f["store_share"]
('shoes', 0.5)
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import orjson

from shopperlens import schema as s
from shopperlens.features import catalog as c
from shopperlens.features.browsing import (
    COUNTED_EVENTS,
    GAP_PREFIX,
    OFFSITE_EVENTS,
    SESSION_GAP_DAYS,
)
from shopperlens.features.orders import TREND_WINDOW_DAYS
from shopperlens.timewindow import SECONDS_PER_DAY

__all__ = ["FEATURE_NAMES", "HELD_KIND", "CustomerState", "to_days"]

CHANNEL_SHARES = {"store": c.STORE_SHARE, "online": c.ONLINE_SHARE, "app": c.APP_SHARE}
# Events the browsing features look at; others only mark a session as seen.
FUNNEL_EVENTS = (s.PRODUCT_ADDED, s.ORDER_COMPLETED, s.CHECKOUT_STARTED, *COUNTED_EVENTS.values())
ADDED, COMPLETED = 1, 2  # session flags
LOG_LIMIT = 500
PRODUCTS_LIMIT = 50
PRODUCT_EVENTS = (s.PRODUCT_VIEWED, s.PRODUCT_ADDED)

FEATURE_NAMES = c.STATE_FEATURES  # the catalogue's, in its order
Features = dict[str, Any]

# order summary: [t (first line), value, items, channel or None, [[t, amount], ...]]
T, VALUE, ITEMS, CHANNEL, PARTS = range(5)
# features a seeded state holds at the batch's value until an event of this kind
# (see realtime.seed for why)
HELD_KIND = {
    c.SPEND_TREND: "order",
    c.TOP_CATEGORY: "category",
    c.CATEGORY_ENTROPY: "category",
    c.CHECKOUT_CONVERSION: "event",
    c.CART_ABANDONMENT: "event",
    c.MEAN_RATING: "review",
}


def to_days(when: datetime) -> float:
    """Days since the epoch of ``when`` (naive means UTC), as the batch SQL's ``t``.

    >>> to_days(datetime(1970, 1, 2, 12))
    1.5
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp() / SECONDS_PER_DAY


def _ratio(num: float, den: float) -> float | None:
    """``num / nullif(den, 0)`` as SQL computes it."""
    return num / den if den != 0 else None


def _min_channel(a: str | None, b: str | None) -> str | None:
    """``min(channel)`` over an order's lines, ignoring NULLs as SQL does."""
    if a is None or b is None:
        return a if b is None else b
    return min(a, b)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _sample_std(values: list[float]) -> float | None:
    """``stddev_samp``: None for fewer than two values."""
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


class CustomerState:
    """Running state of one customer (or of one anonymous visitor before login).

    Attributes are JSON-ready: ``orders`` (order id -> summary), ``lines`` (sums over
    order lines), ``categories`` (spend per category), ``events`` (counts by name),
    ``sessions`` (session id -> flags), ``reviews`` / ``support`` / rating sums and
    ``traits``.
    """

    __slots__ = ("categories", "events", "gap", "interactions", "lines", "log", "orders", "products", "seed", "sessions", "traits")  # noqa: E501

    def __init__(self) -> None:
        self.orders: dict[str, list[Any]] = {}
        # positive amount, returned amount, discount on positive lines
        self.lines: list[float] = [0.0, 0.0, 0.0]
        self.categories: dict[str, float] = {}
        self.events: dict[str, int] = {}
        self.sessions: dict[str, int] = {}
        # reviews, support contacts, sum of review ratings, number of rated reviews
        self.interactions: list[float] = [0, 0, 0.0, 0]
        self.traits: dict[str, Any] = {}
        # the open inactivity session: [session key, first t, last t] (see _gap_session)
        self.gap: list[Any] | None = None
        # set by realtime.seed: the batch run's as-of "t", its "held" features, the kinds
        # of event seen "since", and what else the run said (segment, predictions)
        self.seed: dict[str, Any] | None = None
        # an anonymous visitor's own events (up to LOG_LIMIT; False past it), so a merge
        # into a seeded customer can leave out those the batch run already counted
        self.log: list[dict[str, Any]] | bool = []
        # products seen since the seed, for live recommendations: id -> [last t, views,
        # purchases], the PRODUCTS_LIMIT latest
        self.products: dict[str, list[float]] = {}

    # -- learning -------------------------------------------------------------------
    def update(self, event: dict[str, Any]) -> None:
        """Fold one event into the state (see the module docstring for event shapes)."""
        kind = event.get("type")
        if self.seed is not None and kind != "traits" and not self._after_seed(event):
            return  # already in the batch run's features this state was seeded from
        if kind == "transaction":
            self._update_order(event)
        elif kind == "event":
            self._update_event(event)
        elif kind == "interaction":
            self._update_interaction(event)
        elif kind == "traits":
            self.traits.update({k: v for k, v in event["traits"].items() if v is not None})

    def _after_seed(self, event: dict[str, Any]) -> bool:
        """Whether ``event`` is later than the seed; if so, note its kind (the held
        features of that kind are estimated from then on, see realtime.seed)."""
        assert self.seed is not None
        # the batch window ends before its as-of (shopperlens.timewindow)
        if event.get("t") is None or float(event["t"]) < self.seed["t"]:
            return False
        kind = event.get("type")
        kinds = {"transaction": ["order"], "event": ["event"]}.get(str(kind), [])
        if kind == "transaction" and any(x.get("category") for x in event.get("lines", ())):
            kinds.append("category")
        if kind == "interaction" and event.get("source") == s.REVIEW:
            kinds.append("review")
        since = self.seed.setdefault("since", [])
        since.extend(k for k in kinds if k not in since)
        return True

    def _update_order(self, event: dict[str, Any]) -> None:
        t = float(event["t"])
        order = self.orders.setdefault(str(event["order_id"]), [t, 0.0, 0.0, None, []])
        order[T] = min(order[T], t)
        order[CHANNEL] = _min_channel(order[CHANNEL], event.get("channel"))
        amount_at_t = 0.0
        for line in event["lines"]:
            amount = float(line["amount"])
            order[VALUE] += amount
            amount_at_t += amount
            if amount > 0:
                qty = line.get("quantity")
                order[ITEMS] += 1 if qty is None else qty
                discount = line.get("discount")
                self.lines[0] += amount
                self.lines[2] += 0.0 if discount is None else float(discount)
                category = line.get("category")
                if category is not None:
                    self.categories[category] = self.categories.get(category, 0.0) + amount
                if line.get("product_id") is not None:
                    self._saw_product(str(line["product_id"]), t, bought=True)
            elif amount < 0:
                self.lines[1] -= amount
        order[PARTS].append([t, amount_at_t])

    def _saw_product(self, product: str, t: float, *, bought: bool) -> None:
        seen = self.products.setdefault(product, [t, 0, 0])
        seen[0] = max(seen[0], t)
        seen[2 if bought else 1] += 1
        if len(self.products) > PRODUCTS_LIMIT:
            oldest = min(self.products, key=lambda p: self.products[p][0])
            del self.products[oldest]

    def _update_event(self, event: dict[str, Any]) -> None:
        name = event["event"]
        if name in PRODUCT_EVENTS and event.get("product_id") is not None \
                and event.get("t") is not None:
            self._saw_product(str(event["product_id"]), float(event["t"]), bought=False)
        if name in FUNNEL_EVENTS:
            self.events[name] = self.events.get(name, 0) + 1
        session = event.get("session_id")
        if session is None and name not in OFFSITE_EVENTS and event.get("t") is not None:
            session = self._gap_session(float(event["t"]))
        if session is not None:
            flag = (
                ADDED if name == s.PRODUCT_ADDED else COMPLETED if name == s.ORDER_COMPLETED else 0
            )
            self.sessions[session] = self.sessions.get(session, 0) | flag

    def _gap_session(self, t: float) -> str:
        """The inactivity session of an on-site event without a session id: the open one
        when ``t`` is within SESSION_GAP_DAYS of it, else a new one (the batch's rule in
        features/browsing.py, for events that arrive in time order; a late event joins
        the open session when it is within the gap of its start)."""
        gap = self.gap
        if gap is not None and gap[1] - SESSION_GAP_DAYS <= t and (
                t <= gap[2] or t - gap[2] <= SESSION_GAP_DAYS):
            gap[2] = max(gap[2], t)
            return str(gap[0])
        if gap is not None and t < gap[1]:  # late, and of an earlier session
            return f"{GAP_PREFIX}{t!r}"
        self.gap = [f"{GAP_PREFIX}{t!r}", t, t]
        return str(self.gap[0])

    def _update_interaction(self, event: dict[str, Any]) -> None:
        source = event.get("source")
        if source == s.REVIEW:
            self.interactions[0] += 1
            rating = event.get("rating")
            if rating is not None:
                self.interactions[2] += float(rating)
                self.interactions[3] += 1
        elif source == s.SUPPORT:
            self.interactions[1] += 1

    def merge(self, other: CustomerState) -> CustomerState:
        """Fold ``other`` (e.g. an anonymous visitor's state) into this one; returns self.

        >>> a, b = CustomerState(), CustomerState()
        >>> a.update({"type": "event", "event": "Product Added", "t": 1.0, "session_id": "s"})
        >>> b.update({"type": "event", "event": "Order Completed", "t": 1.1, "session_id": "s"})
        >>> a.merge(b).get(2.0)["cart_abandonment"]
        0.0
        """
        if self.seed is not None and isinstance(other.log, list):
            for event in other.log:  # update() leaves out what the seed holds
                self.update(event)
            self.traits = {**other.traits, **self.traits}
            return self
        for order_id, theirs in other.orders.items():
            mine = self.orders.get(order_id)
            if mine is None:
                self.orders[order_id] = [*theirs[:PARTS], [list(p) for p in theirs[PARTS]]]
                continue
            mine[T] = min(mine[T], theirs[T])
            mine[VALUE] += theirs[VALUE]
            mine[ITEMS] += theirs[ITEMS]
            mine[CHANNEL] = _min_channel(mine[CHANNEL], theirs[CHANNEL])
            mine[PARTS].extend(list(p) for p in theirs[PARTS])
        self.lines = [a + b for a, b in zip(self.lines, other.lines, strict=True)]
        for cat, spend in other.categories.items():
            self.categories[cat] = self.categories.get(cat, 0.0) + spend
        for name, n in other.events.items():
            self.events[name] = self.events.get(name, 0) + n
        for sid, flags in other.sessions.items():
            self.sessions[sid] = self.sessions.get(sid, 0) | flags
        self._merge_gaps(other.gap)
        for product, (t, views, buys) in other.products.items():
            seen = self.products.setdefault(product, [t, 0, 0])
            seen[0], seen[1], seen[2] = max(seen[0], t), seen[1] + views, seen[2] + buys
        self.interactions = [
            a + b for a, b in zip(self.interactions, other.interactions, strict=True)
        ]
        self.traits = {**other.traits, **self.traits}
        self.seed = self.seed or other.seed
        self.log = False  # a customer's state keeps no log
        return self

    def _merge_gaps(self, theirs: list[Any] | None) -> None:
        """Two open inactivity sessions within the gap of each other are one (the batch
        sessionises the stitched customer's events together); the later stays open."""
        mine = self.gap
        if theirs is None or mine is None:
            self.gap = list(theirs) if mine is None and theirs is not None else mine
            return
        first, second = sorted([mine, list(theirs)], key=lambda g: (g[1], g[0]))
        if second[1] - first[2] <= SESSION_GAP_DAYS:
            flags = self.sessions.pop(second[0], 0)
            self.sessions[first[0]] = self.sessions.get(first[0], 0) | flags
            self.gap = [first[0], first[1], max(first[2], second[2])]
        else:
            self.gap = second

    # -- features -------------------------------------------------------------------
    def get(self, as_of: float) -> Features:
        """Every feature as of ``as_of`` (days since the epoch); None where SQL gives NULL."""
        out: Features = dict.fromkeys(FEATURE_NAMES)
        out.update(self._order_features(as_of))
        out.update(self._event_features())
        reviews, support, rating_sum, rated = self.interactions
        out[c.REVIEW_COUNT], out[c.SUPPORT_CONTACTS] = reviews, support
        out[c.MEAN_RATING] = _ratio(rating_sum, rated)
        out[c.REGION] = self.traits.get(s.REGION)
        if self.seed is not None:
            since = self.seed.get("since", ())
            for name, value in self.seed.get("held", {}).items():
                if HELD_KIND.get(name) not in since:
                    out[name] = value
        return out

    def _order_features(self, as_of: float) -> Features:
        purchases = sorted(
            ((o[T], oid, o) for oid, o in self.orders.items() if o[VALUE] > 0),
            key=lambda row: (row[0], row[1]),
        )
        if not purchases:  # no purchase: the batch SQL has no order row at all
            return {c.FREQUENCY: 0, c.MONETARY: 0.0}
        times = [t for t, _, _ in purchases]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        channels = [o[CHANNEL].lower() if o[CHANNEL] is not None else None for *_, o in purchases]
        out: Features = {
            c.FREQUENCY: len(purchases),
            c.RECENCY_DAYS: as_of - max(times),
            c.AVG_ORDER_VALUE: _mean([o[VALUE] for *_, o in purchases]),
            c.IPT_MEAN_DAYS: _mean(gaps),
            c.IPT_STD_DAYS: _sample_std(gaps),
            c.BASKET_SIZE: _mean([o[ITEMS] for *_, o in purchases]),
        }
        for channel, feature in CHANNEL_SHARES.items():
            out[feature] = _mean([1.0 if ch == channel else 0.0 for ch in channels])
        out.update(self._line_features(as_of))
        out.update(self._category_features())
        return out

    def _line_features(self, as_of: float) -> Features:
        parts = [p for o in self.orders.values() for p in o[PARTS]]
        recent_from = as_of - TREND_WINDOW_DAYS
        earlier_from = as_of - 2 * TREND_WINDOW_DAYS
        recent = sum(a for t, a in parts if t > recent_from)
        earlier = sum(a for t, a in parts if recent_from >= t > earlier_from)
        positive, returned, discount = self.lines
        return {
            c.MONETARY: sum(a for _, a in parts),
            c.TENURE_DAYS: as_of - min(t for t, _ in parts),
            c.SPEND_TREND: _ratio(recent - earlier, abs(recent) + abs(earlier)),
            c.RETURN_RATE: _ratio(returned, positive),
            c.DISCOUNT_SHARE: _ratio(discount, positive + discount),
        }

    def _category_features(self) -> Features:
        spend = {c: v for c, v in self.categories.items() if v != 0}
        if not spend:
            return {}
        total = sum(spend.values())
        top = max(sorted(spend), key=lambda c: spend[c])
        entropy = -sum((v / total) * math.log2(v / total) for v in spend.values())
        return {c.TOP_CATEGORY: top, c.CATEGORY_ENTROPY: entropy}

    def _event_features(self) -> Features:
        ev = self.events
        added_sessions = [f for f in self.sessions.values() if f & ADDED]
        abandoned = sum(1 for f in added_sessions if not f & COMPLETED)
        out: Features = {name: ev.get(event, 0) for name, event in COUNTED_EVENTS.items()}
        out[c.SESSIONS] = len(self.sessions)
        out[c.ADD_TO_CART_RATE] = _ratio(ev.get(s.PRODUCT_ADDED, 0), ev.get(s.PRODUCT_VIEWED, 0))
        out[c.CHECKOUT_CONVERSION] = _ratio(
            ev.get(s.ORDER_COMPLETED, 0), ev.get(s.CHECKOUT_STARTED, 0)
        )
        out[c.CART_ABANDONMENT] = _ratio(abandoned * 1.0, len(added_sessions))
        return out

    # -- persistence ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomerState:
        state = cls()
        for name in cls.__slots__:
            if name in data:
                setattr(state, name, data[name])
        return state

    def to_json(self) -> str:
        """Compact JSON of the state.

        >>> CustomerState.from_json(CustomerState().to_json()).get(1.0)["frequency"]
        0
        """
        # orjson: this runs for every touched customer on every ingestion call
        return orjson.dumps(self.to_dict()).decode()

    @classmethod
    def from_json(cls, text: str) -> CustomerState:
        return cls.from_dict(orjson.loads(text))

    def last_seen(self) -> float | None:
        """Latest order time, so a caller can keep its as-of at or after it."""
        times = [p[0] for o in self.orders.values() for p in o[PARTS]]
        return max(times) if times else None
