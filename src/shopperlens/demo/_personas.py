"""The six planted personas of the demo data and the per-customer draw of their traits.

Each persona is a small table of distributions. A customer's traits are drawn from
their persona's distributions, so customers of one persona are alike but not clones.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from shopperlens.demo._util import N_DAYS


@dataclass(frozen=True)
class Persona:
    """Distributions of one persona's traits (days count back from ``as_of``)."""

    name: str
    share: float
    orders: tuple[int, int]  # uniform range of the number of orders
    first: tuple[int, int]  # days before as_of the shopping window opens
    last: tuple[int, int]  # days before as_of the shopping window closes
    channel: tuple[float, float, float]  # Dirichlet alphas of store, online, app orders
    lines: float  # mean extra lines per order
    price_skew: float  # < 1 favours dearer products
    discount: tuple[float, float]  # Beta of the share of lines bought on discount
    promo_boost: float  # how much more likely an order falls in a promotion
    returns: tuple[float, float]  # Beta of the share of lines returned
    browse: float  # mean browsing sessions without an order
    add_rate: float  # chance a browsing session adds to cart
    email_clicks: float  # mean e-mail clicks
    support: float  # mean support tickets
    reviews: float  # mean reviews
    tone: tuple[float, float, float]  # angry, neutral, delighted
    variety: float  # Dirichlet concentration of category preferences


PERSONAS: tuple[Persona, ...] = (
    Persona("High-value in-store loyalists", 0.20, (15, 40), (560, 729), (0, 20),
            (20, 2.5, 1), 0.8, 0.45, (1, 30), 0.3, (1, 60), 3, 0.25, 1.5, 0.3, 1.5,
            (0.03, 0.22, 0.75), 3.0),
    Persona("Discount-driven occasionals", 0.24, (2, 5), (200, 700), (15, 250),
            (1.5, 14, 3), 0.6, 1.6, (18, 3), 12.0, (1.5, 50), 3.5, 0.35, 10, 0.2, 0.3,
            (0.15, 0.6, 0.25), 0.7),
    Persona("Lapsed big spenders", 0.12, (10, 25), (560, 729), (190, 330),
            (1, 8, 1), 0.8, 0.45, (1.5, 25), 0.5, (1, 50), 1.5, 0.25, 0.6, 0.2, 0.5,
            (0.1, 0.6, 0.3), 2.0),
    Persona("App browsers who abandon carts", 0.17, (3, 8), (200, 700), (0, 100),
            (0.6, 2, 14), 0.5, 1.1, (2, 16), 1.0, (1.5, 40), 9, 0.85, 1.5, 0.25, 0.3,
            (0.1, 0.7, 0.2), 0.8),
    Persona("New customers", 0.13, (1, 2), (30, 90), (0, 29),
            (3, 4, 3), 0.8, 1.0, (2, 12), 1.0, (1, 80), 2, 0.4, 2, 0.3, 0.2,
            (0.1, 0.6, 0.3), 1.0),
    Persona("Unhappy returners", 0.14, (4, 10), (250, 700), (5, 120),
            (3, 8, 2), 0.9, 0.8, (2, 16), 1.0, (16, 20), 4, 0.3, 1.5, 5.0, 2.0,
            (0.85, 0.15, 0.0), 0.8),
)

PERSONA_NAMES: tuple[str, ...] = tuple(p.name for p in PERSONAS)


def _column(name: str) -> np.ndarray:
    """One trait of every persona, stacked (one row per persona)."""
    return np.array([getattr(p, name) for p in PERSONAS], dtype=float)


PARAMS: dict[str, np.ndarray] = {f.name: _column(f.name) for f in fields(Persona)
                                 if f.name != "name"}


def assign(rng: np.random.Generator, n: int) -> np.ndarray:
    """Persona index of each of ``n`` customers, with exact (rounded) shares."""
    shares = PARAMS["share"]
    counts = np.floor(shares * n).astype(int)
    counts[np.argsort(-(shares * n - counts), kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(PERSONAS)), counts))


def _range(rng: np.random.Generator, bounds: np.ndarray, persona: np.ndarray) -> np.ndarray:
    """Uniform integer draw within each customer's persona bounds (inclusive)."""
    return rng.integers(bounds[persona, 0], bounds[persona, 1] + 1).astype(np.int64)


def draw_traits(rng: np.random.Generator, persona: np.ndarray) -> dict[str, np.ndarray]:
    """Per-customer traits: shopping window, order count and behavioural propensities.

    Returns arrays of length ``len(persona)``: ``lo``/``hi`` (day indices of the shopping
    window), ``n_orders``, ``channel`` (n x 3 probabilities), ``categories`` (n x 8),
    and scalar propensities named after the :class:`Persona` fields.
    """
    p = persona
    hi = N_DAYS - 1 - _range(rng, PARAMS["last"], p)
    lo = np.minimum(N_DAYS - 1 - _range(rng, PARAMS["first"], p), hi)
    # Returners and discount hunters need room for several orders: at least 60 days.
    lo = np.where((hi - lo < 60) & (PARAMS["orders"][p, 1] > 2), np.maximum(hi - 60, 0), lo)
    traits = {
        "persona": p, "lo": lo, "hi": hi,
        "n_orders": _range(rng, PARAMS["orders"], p),
        "channel": rng.gamma(PARAMS["channel"][p]),
        "categories": rng.gamma(np.repeat(PARAMS["variety"][p, None], 8, axis=1)) + 1e-6,
        "discount": rng.beta(PARAMS["discount"][p, 0], PARAMS["discount"][p, 1]),
        "returns": rng.beta(PARAMS["returns"][p, 0], PARAMS["returns"][p, 1]),
    }
    # Persona-neutral spread: basket size and price taste vary within every persona.
    traits["lines"] = PARAMS["lines"][p] * rng.lognormal(0, 0.3, len(p))
    traits["price_skew"] = PARAMS["price_skew"][p] * rng.lognormal(0, 0.2, len(p))
    for name in ("browse", "email_clicks", "support", "reviews"):
        traits[name] = PARAMS[name][p] * rng.gamma(4.0, 0.25, len(p))
    traits["add_rate"] = np.clip(PARAMS["add_rate"][p] + rng.normal(0, 0.06, len(p)), 0.02, 0.95)
    traits["social"] = rng.gamma(1.0, 1.0, len(p))  # noise: social activity is persona-neutral
    traits["email_opens"] = rng.gamma(2.0, 1.0, len(p))
    return traits
