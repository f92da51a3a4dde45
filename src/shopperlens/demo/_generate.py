"""The generator: the six contract tables of a demo (or of one chunk of a big one)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from shopperlens import schema
from shopperlens.demo._events import events
from shopperlens.demo._orders import catalogue, tastes, transactions
from shopperlens.demo._people import birth_years, customers, devices, identities, people
from shopperlens.demo._personas import PERSONA_NAMES, assign, draw_traits
from shopperlens.demo._prices import price_levels, prices
from shopperlens.demo._text import interactions
from shopperlens.demo._util import (
    calendar_days,
    day_dates,
    promotions,
    start_of_history,
    strings,
)
from shopperlens.errors import ConfigError

PERSONA = "persona"
PLANTED_BIAS_BORN_BEFORE = 1965  # the planted offer rule disadvantages customers born earlier
PLANTED_BIAS_OFFER_FACTOR = 0.1  # ... who get this share of the usual chance of an offer


@dataclass
class DemoData:
    """Generated demo tables and the planted truth.

    Attributes
    ----------
    tables
        The contract tables by name: ``transactions``, ``events``, ``interactions``,
        ``customers``, ``identities``. Timestamps are naive UTC ``datetime64``.
    personas
        One row per customer: ``customer_id`` and ``persona`` (one of ``PERSONA_NAMES``).
    """

    tables: dict[str, pd.DataFrame]
    personas: pd.DataFrame


def _check(n_customers: int, shares: tuple[float, float], as_of: str) -> None:
    """Raise :class:`ConfigError` for arguments the generator cannot honour."""
    if isinstance(n_customers, bool) or not isinstance(n_customers, (int, np.integer)) \
            or n_customers < len(PERSONA_NAMES):
        raise ConfigError(f"n_customers={n_customers!r} must be an integer of at least "
                          f"{len(PERSONA_NAMES)} (one per persona).")
    for key, share in zip(("consent_profiling_false_share", "consent_marketing_false_share"),
                          shares, strict=True):
        if not 0.0 <= share <= 1.0:
            raise ConfigError(f"{key}={share!r} must be a share from 0 to 1.")
    try:
        start_of_history(as_of)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"as_of={as_of!r} must be an ISO 8601 date such as "
                          "'2025-12-31'.") from exc


def generate(n_customers: int = 5000, *, seed: int = 0, as_of: str = "2025-12-31",
             consent_profiling_false_share: float = 0.0,
             consent_marketing_false_share: float = 0.0,
             planted_bias: bool = False) -> DemoData:
    """Generate two years of multi-source retail data with six planted personas.

    Parameters
    ----------
    n_customers
        Number of customers (at least 6). About 20 transaction lines, 40 events and
        1.5 interactions per customer on average.
    seed
        Seed of every random draw: the same arguments give identical tables.
    as_of
        ISO date the history ends at (exclusive): all timestamps fall in the 730 days
        before it.
    consent_profiling_false_share, consent_marketing_false_share
        Share of customers (drawn at random) whose consent flag is false.
    planted_bias
        Plant an unfair offer rule: customers born before 1965 get a tenth of the usual
        chance of a discount on each line (a fairness audit should flag it).

    Returns
    -------
    DemoData
        The contract tables and the planted persona of each customer.

    Examples
    --------
    >>> data = generate(60, seed=1)
    >>> sorted(data.tables)
    ['calendar', 'customers', 'events', 'identities', 'interactions', 'prices', 'transactions']
    >>> data.personas["persona"].nunique(), len(data.tables["customers"])
    (6, 60)
    >>> bool(data.tables["transactions"]["timestamp"].max() < pd.Timestamp("2025-12-31"))
    True
    """
    shares = (consent_profiling_false_share, consent_marketing_false_share)
    _check(n_customers, shares, as_of)
    part = _build(int(n_customers), np.random.SeedSequence(seed), _Options(as_of, shares,
                                                                           planted_bias))
    # self_destruct frees each Arrow column as soon as pandas holds it.
    frames = {k: part.tables.pop(k).to_pandas(self_destruct=True, split_blocks=True)
              for k in list(part.tables)}
    return DemoData(frames, part.personas.to_pandas())


@dataclass(frozen=True)
class _Options:
    """What :func:`generate` draws the same way for every chunk of a big demo."""

    as_of: str
    shares: tuple[float, float]  # consent_profiling / consent_marketing false shares
    planted_bias: bool


@dataclass
class _Part:
    """Arrow tables of a whole demo or of one chunk, and its number of orders."""

    tables: dict[str, pa.Table]
    personas: pa.Table
    n_orders: int


def _build(n: int, seeds: np.random.SeedSequence, options: _Options, *,
           first_customer: int = 0, first_order: int = 0) -> _Part:
    """The tables of ``n`` customers numbered from ``first_customer`` (orders likewise)."""
    # the ninth stream (the personas' favourite products) came last: the first eight
    # draw what they drew before it
    rng = [np.random.default_rng(s) for s in seeds.spawn(9)]
    start = start_of_history(options.as_of)
    dates = day_dates(start)
    promo, campaigns = promotions(dates)
    calendar = (dates, promo, start)
    persona = assign(rng[0], n)
    traits = draw_traits(rng[0], persona)
    birth = birth_years(rng[7], len(persona))
    if options.planted_bias:
        traits["offers"] = np.where(birth < PLANTED_BIAS_BORN_BEFORE,
                                    PLANTED_BIAS_OFFER_FACTOR, 1.0)
    who = people(rng[1], len(persona), first_customer)
    cat = catalogue(rng[2])
    levels = price_levels(cat.prices.size, start, len(dates))
    tx, orders = transactions(rng[2], traits, who.home_store, calendar, cat,
                              who.ids, levels, first_order=first_order,
                              taste=tastes(rng[8]))
    dev = devices(rng[3], len(persona))
    ev, used, linked = events(rng[3], traits, dev, orders, cat, calendar, campaigns,
                              who.ids)
    _, first = np.unique(orders.customer, return_index=True)
    tables = {
        "transactions": tx,
        "events": ev,
        "interactions": interactions(rng[4], traits, who, calendar),
        "customers": customers(rng[5], who, traits, orders.seconds[first], options.shares,
                               birth),
        "identities": identities(rng[6], who, dev, used, linked, traits),
        "prices": prices(cat.ids, cat.prices, levels, start),
        "calendar": calendar_days(start),
    }
    personas = pa.table({schema.CUSTOMER_ID: who.ids,
                         PERSONA: strings(PERSONA_NAMES).take(persona)})
    return _Part(tables, personas, len(orders.customer))
