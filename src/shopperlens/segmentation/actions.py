"""Suggested marketing actions per segment, from its profile.

Each rule looks at the standardised gaps (segment vs population, in standard deviations)
and fires when its condition holds; a segment gets every action that fires, in the
order below, or the fallback. ``+`` means at least ``threshold`` above the population,
``-`` at least ``threshold`` below.

==========================================  =============================================
condition                                   action
==========================================  =============================================
recency_days + and monetary +               win-back offer with a personal incentive
recency_days + (otherwise)                  low-cost reactivation e-mail
tenure_days -                               onboarding series
frequency + and recency_days not +          loyalty rewards and early access
monetary + and recency_days not +           VIP treatment
discount_share +                            targeted promotions
cart_abandonment +                          cart-reminder messages
return_rate +, support_contacts + or        service recovery and fit/size advice
mean_rating -
app_share +                                 app push messages
store_share +                               in-store events and clienteling
email_clicks +                              richer e-mail content
==========================================  =============================================
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

Rule = tuple[Callable[[Callable[[str], float], float], bool], str]

WIN_BACK = "Win-back offer with a personal incentive before they are gone for good"
REACTIVATE = "Low-cost reactivation e-mail; keep them out of expensive channels"
ONBOARD = "Onboarding series: welcome, best-sellers, second-purchase incentive"
LOYALTY = "Loyalty rewards and early access to new collections"
VIP = "VIP treatment: personal service, previews, no blanket discounts"
PROMOTE = "Targeted promotions timed to their price sensitivity"
CART = "Cart-reminder messages within hours of an abandoned cart"
SERVICE = "Service recovery: follow up on problems, offer fit and size advice"
APP = "App push messages and app-only offers"
STORE = "In-store events and clienteling"
EMAIL = "Richer e-mail content: they read and click"
FALLBACK = "Keep in the regular newsletter; test offers to learn what moves them"

RULES: tuple[Rule, ...] = (
    (lambda g, t: g("recency_days") >= t and g("monetary") >= t, WIN_BACK),
    (lambda g, t: g("recency_days") >= t and g("monetary") < t, REACTIVATE),
    (lambda g, t: g("tenure_days") <= -t, ONBOARD),
    (lambda g, t: g("frequency") >= t and g("recency_days") < t, LOYALTY),
    (lambda g, t: g("monetary") >= t and g("recency_days") < t, VIP),
    (lambda g, t: g("discount_share") >= t, PROMOTE),
    (lambda g, t: g("cart_abandonment") >= t, CART),
    (lambda g, t: max(g("return_rate"), g("support_contacts"), -g("mean_rating")) >= t,
     SERVICE),
    (lambda g, t: g("app_share") >= t, APP),
    (lambda g, t: g("store_share") >= t, STORE),
    (lambda g, t: g("email_clicks") >= t, EMAIL),
)


def suggest_actions(gaps: pd.DataFrame, *, threshold: float = 0.5) -> dict[int, list[str]]:
    """Suggested actions per segment (index of ``gaps``), from its standardised gaps.

    A feature missing from ``gaps`` counts as no gap.

    Examples
    --------
    >>> gaps = pd.DataFrame({"recency_days": [1.2, -0.8], "monetary": [1.0, 0.2],
    ...                      "frequency": [0.0, 1.1]})
    >>> suggest_actions(gaps)[0]
    ['Win-back offer with a personal incentive before they are gone for good']
    >>> suggest_actions(gaps)[1]
    ['Loyalty rewards and early access to new collections']
    """
    actions: dict[int, list[str]] = {}
    for segment, row in gaps.iterrows():
        def gap(name: str, row: pd.Series = row) -> float:
            return float(row[name]) if name in row.index else 0.0

        fired = [action for rule, action in RULES if rule(gap, threshold)]
        actions[int(segment)] = fired or [FALLBACK]
    return actions
