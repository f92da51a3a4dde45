"""Free-text interactions of the demo data (the ``interactions`` table).

Texts are assembled from templates ``a + ITEM + b + DETAIL + c`` where ITEM is a product
noun and DETAIL a number of days, an order number or nothing. The tone (angry, neutral,
delighted) follows the persona. Half the customers who stopped buying fell out with the
retailer first: their contacts turn angry, with one complaint in the weeks before their last
order, so feelings foretell churn before the purchases stop. Some texts carry personal data
(e-mail addresses, UK and US phone numbers, card-like numbers) so that scrubbing can be
tested.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopperlens import schema
from shopperlens.demo._orders import CATEGORIES, seasonal_seconds
from shopperlens.demo._people import People
from shopperlens.demo._personas import PARAMS
from shopperlens.demo._util import (
    N_DAYS,
    STR,
    choice_rows,
    join,
    labels,
    num_str,
    padded_ids,
    strings,
    to_timestamps,
)

ANGRY, NEUTRAL, DELIGHTED = 0, 1, 2
_NONE, _DAYS, _ORDER = 0, 1, 2
_ITEMS = {
    "apparel": ("jacket", "dress", "jumper", "pair of jeans"),
    "shoes": ("trainers", "boots", "sandals", "running shoes"),
    "beauty": ("face cream", "perfume", "serum", "make-up set"),
    "home": ("duvet cover", "table lamp", "towel set", "rug"),
    "electronics": ("headphones", "speaker", "smart watch", "phone charger"),
    "grocery": ("coffee beans", "hamper", "olive oil", "tea selection"),
    "toys": ("lego set", "board game", "soft toy", "puzzle"),
    "sports": ("yoga mat", "bike helmet", "football", "tennis racket"),
}
# (group, tone) -> templates (a, b, c, detail); groups: 0 ticket, 1 review, 2 social, 3 survey
_T = {
    (0, ANGRY): (
        (
            "I returned the ",
            " ",
            " days ago and I still haven't had my refund. This is unacceptable.",
            _DAYS,
        ),
        (
            "The ",
            " arrived damaged, the box was crushed. Order ",
            ", I want a full refund.",
            _ORDER,
        ),
        ("My ", " was delivered ", " days late and it's the wrong size. Again.", _DAYS),
        (
            "Third time asking: where is the refund for the ",
            "? Order ",
            ". Nobody answers my emails.",
            _ORDER,
        ),
        (
            "Absolutely fed up. The ",
            " fell apart after one wear and your returns portal keeps failing.",
            "",
            _NONE,
        ),
        (
            "You charged me twice for the ",
            " and the refund still hasn't arrived after ",
            " days.",
            _DAYS,
        ),
        (
            "Parcel with my ",
            " never arrived, tracking says delivered. Order ",
            ". Disgraceful service.",
            _ORDER,
        ),
    ),
    (0, NEUTRAL): (
        ("Can I change the delivery address for the ", "? Order number ", ".", _ORDER),
        ("Do you have the ", " in a larger size? Happy to wait ", " days for a restock.", _DAYS),
        ("How do I use my loyalty points on the ", "?", "", _NONE),
        ("When will the ", " be back in stock?", "", _NONE),
        ("Could you confirm the return window for the ", "? I bought it ", " days ago.", _DAYS),
    ),
    (0, DELIGHTED): (
        ("Just wanted to say thanks for sorting out the ", " so quickly!", "", _NONE),
        ("The store team went above and beyond to find me the ", ". Thank you!", "", _NONE),
    ),
    (1, ANGRY): (
        ("Poor quality ", ". Returned it within ", " days.", _DAYS),
        ("The ", " broke almost immediately. Do not buy.", "", _NONE),
        ("Arrived damaged and late. The ", " looks nothing like the photos.", "", _NONE),
        ("Sizing is way off on this ", ". Second refund request this month.", "", _NONE),
    ),
    (1, NEUTRAL): (
        ("The ", " is fine for the price. Delivery took ", " days.", _DAYS),
        ("Decent ", ", nothing special.", "", _NONE),
        ("Good ", " but the colour is slightly different from the picture.", "", _NONE),
    ),
    (1, DELIGHTED): (
        ("Love this ", "! Great quality and fast delivery.", "", _NONE),
        ("Absolutely delighted with the ", ". Staff in store were so helpful.", "", _NONE),
        ("Best ", " I've bought in years. Will definitely buy again.", "", _NONE),
        ("Fantastic ", ", arrived in ", " days and beautifully packaged.", _DAYS),
        ("Five stars, the ", " is perfect and my local store team are lovely.", "", _NONE),
    ),
    (2, ANGRY): (
        (
            "@ShopperLensRetail still waiting on my refund for the ",
            ". ",
            " days and counting! #badservice",
            _DAYS,
        ),
        ("@ShopperLensRetail my ", " arrived broken. Not impressed.", "", _NONE),
    ),
    (2, NEUTRAL): (("Anyone tried the new ", " range? Thinking of ordering.", "", _NONE),),
    (2, DELIGHTED): (
        ("Obsessed with my new ", " from @ShopperLensRetail!!", "", _NONE),
        (
            "Shout out to the store team for helping me find the perfect ",
            ". #happycustomer",
            "",
            _NONE,
        ),
    ),
    (3, ANGRY): (
        ("Would not recommend. The ", " had to go back and the refund took ", " days.", _DAYS),
    ),
    (3, NEUTRAL): (
        ("Website is okay. Finding the right size of ", " could be easier.", "", _NONE),
    ),
    (3, DELIGHTED): (
        (
            "Excellent experience overall, especially buying the ",
            ". Would recommend to friends.",
            "",
            _NONE,
        ),
    ),
}
_OPENERS = {
    ANGRY: ("", "Hi,", "Not happy.", "This is ridiculous.", "To whom it may concern,"),
    NEUTRAL: ("", "Hi,", "Hello,", "Hi there,"),
    DELIGHTED: ("", "Hi,", "Wow.", "Hello!"),
}
_CLOSINGS = {
    ANGRY: (
        "",
        "I will not be shopping here again.",
        "Sort it out.",
        "Very disappointed.",
        "I expect a reply today.",
        "Considering a chargeback.",
    ),
    NEUTRAL: ("", "Thanks.", "Thank you!", "Kind regards."),
    DELIGHTED: ("", "Thanks so much!", "Keep it up.", ""),
}
_GROUP = np.array([1, 0, 2, 3, 0])  # template group of each of schema.INTERACTION_SOURCES
_RATES = np.array(
    [  # mean contacts of each source but support (drawn per persona trait)
        [0.0, 0.0, 0.4, 0.15, 0.2],
        [0.0, 0.0, 0.1, 0.15, 0.2],
        [0.0, 0.0, 0.1, 0.15, 0.1],
        [0.0, 0.0, 0.2, 0.15, 0.2],
        [0.0, 0.0, 0.1, 0.15, 0.2],
        [0.0, 0.0, 0.3, 0.3, 1.0],
    ]
)


def _pick(rng: np.random.Generator, table: dict[int, tuple], keys: np.ndarray) -> np.ndarray:
    """Index into the flattened ``table`` values (sorted by key): a random entry per key."""
    order = sorted(table)
    sizes = np.array([len(table[k]) for k in order])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    lookup = np.zeros(max(order) + 1, dtype=np.int64)
    lookup[order] = np.arange(len(order))
    row = lookup[keys]
    return starts[row] + np.floor(rng.random(len(keys)) * sizes[row]).astype(np.int64)


def _templates(
    rng: np.random.Generator, group: np.ndarray, tone: np.ndarray
) -> tuple[pa.Array, pa.Array, pa.Array, np.ndarray]:
    """Template pieces ``a``, ``b``, ``c`` and the detail kind of each row."""
    keyed = {g * 3 + t: v for (g, t), v in _T.items()}
    idx = _pick(rng, keyed, group * 3 + tone)
    flat = [t for k in sorted(keyed) for t in keyed[k]]
    a, b, c = (strings([str(t[i]) for t in flat]).take(idx) for i in range(3))
    return a, b, c, np.array([t[3] for t in flat], dtype=np.int64)[idx]


def _pii(
    rng: np.random.Generator, who: People, customer: np.ndarray, share: np.ndarray
) -> pa.Array:
    """A sentence with personal data for a ``share`` of rows, empty for the rest."""
    n = len(customer)
    us = join(
        "+1 (",
        num_str(rng.integers(201, 990, n)),
        ") 555-",
        padded_ids("", rng.integers(0, 10_000, n), 4),
    )
    groups = [padded_ids("", rng.integers(0, 10_000, n), 4) for _ in range(3)]
    card = join(
        "4",
        padded_ids("", rng.integers(0, 1000, n), 3),
        " ",
        groups[0],
        " ",
        groups[1],
        " ",
        groups[2],
    )
    sentence = pc.choose(
        pa.array(rng.choice(4, n, p=[0.45, 0.35, 0.12, 0.08])),
        join(" You can reach me at ", who.email.take(customer), "."),
        join(" Call me on ", who.phone.take(customer), "."),
        join(" My US number is ", us, "."),
        join(" I paid with card ", card, "."),
    )
    keep = pa.array(rng.random(n) < share)
    return pc.if_else(keep, sentence, pa.scalar("", STR))


def _detail(rng: np.random.Generator, kind: np.ndarray) -> pa.Array:
    """A number of days, an order number, or nothing."""
    n = len(kind)
    days = num_str(rng.integers(3, 45, n))
    order = padded_ids("O", rng.integers(1, 10_000_000, n), 9)
    return pc.choose(pa.array(kind), strings([""]).take(np.zeros(n, np.int64)), days, order)


SOURED_SHARE = 0.5  # of customers whose last order is SOURED_AFTER days or more before the end
SOURED_AFTER = 60
SOURED_LEAD = 60  # their extra angry ticket falls within this many days before the last order
SUPPORT = schema.INTERACTION_SOURCES.index(schema.SUPPORT)


def _soured(rng: np.random.Generator, traits: dict) -> np.ndarray:
    """Customers who fell out with the retailer before they stopped buying."""
    stopped = traits["hi"] <= N_DAYS - 1 - SOURED_AFTER
    return stopped & (rng.random(len(stopped)) < SOURED_SHARE)


def _counts(rng: np.random.Generator, traits: dict) -> np.ndarray:
    """Contacts per customer (rows) and source (columns of ``INTERACTION_SOURCES``)."""
    rates = _RATES[traits["persona"]].copy()
    rates[:, 0] = traits["reviews"]
    rates[:, 1] = traits["support"]
    return rng.poisson(rates)


def _ratings(rng: np.random.Generator, tone: np.ndarray, review: np.ndarray) -> pa.Array:
    """1-5 stars for reviews (matching the tone), null for other sources."""
    stars = np.select(
        [tone == ANGRY, tone == NEUTRAL],
        [rng.choice([1, 2], len(tone), p=[0.6, 0.4]), rng.integers(3, 5, len(tone))],
        rng.choice([4, 5], len(tone), p=[0.25, 0.75]),
    )
    return pa.array(stars.astype(float), mask=~review)


def interactions(rng: np.random.Generator, traits: dict, who: People, calendar: tuple) -> pa.Table:
    """The ``interactions`` table, sorted by time."""
    counts = _counts(rng, traits)
    soured = np.flatnonzero(_soured(rng, traits))
    customer = np.repeat(np.repeat(np.arange(len(counts)), 5), counts.ravel())
    source = np.repeat(np.tile(np.arange(5), len(counts)), counts.ravel())
    lo, hi = traits["lo"][customer], np.minimum(traits["hi"][customer] + 30, N_DAYS - 1)
    # Each soured customer's complaint, in the weeks before their last order.
    last = traits["hi"][soured]
    customer = np.r_[customer, soured]
    source = np.r_[source, np.full(len(soured), SUPPORT)]
    lo = np.r_[lo, np.maximum(traits["lo"][soured], last - SOURED_LEAD)]
    hi = np.r_[hi, last]
    tone = choice_rows(rng, PARAMS["tone"] + 1e-9, traits["persona"][customer])
    group = _GROUP[source]
    # Support tickets are seldom love letters.
    tone = np.where(
        (group == 0) & (tone == DELIGHTED) & (rng.random(len(tone)) < 0.7), NEUTRAL, tone
    )
    is_soured = np.isin(customer, soured)
    tone = np.where(is_soured & (rng.random(len(tone)) < 0.8), ANGRY, tone)
    a, b, c, kind = _templates(rng, group, tone)
    item_names = strings([i for cat in CATEGORIES for i in _ITEMS[cat]])
    category = choice_rows(rng, traits["categories"], customer)
    item = item_names.take(category * 4 + rng.integers(0, 4, len(customer)))
    opener = strings([o for t in range(3) for o in _OPENERS[t]]).take(_pick(rng, _OPENERS, tone))
    closing = strings([o for t in range(3) for o in _CLOSINGS[t]]).take(_pick(rng, _CLOSINGS, tone))
    pii = _pii(rng, who, customer, np.where(group == 0, 0.12, 0.03))
    text = join(opener, " ", a, item, b, _detail(rng, kind), c, pii, " ", closing)
    text = pc.utf8_trim_whitespace(text)
    seconds = seasonal_seconds(
        rng,
        traits["persona"][customer],
        lo,
        hi,
        np.zeros(len(customer), np.int64),
        ("online",),
        calendar,
    )
    table = pa.table(
        {
            schema.CUSTOMER_ID: labels(customer, who.ids),
            schema.TIMESTAMP: to_timestamps(seconds),
            schema.SOURCE: labels(source, strings(schema.INTERACTION_SOURCES)),
            schema.TEXT: text,
            schema.RATING: _ratings(rng, tone, source == 0),
        }
    )
    return table.take(np.argsort(seconds, kind="stable"))
