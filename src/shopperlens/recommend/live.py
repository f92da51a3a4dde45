"""One customer's recommendations and next best offer at any moment, from the run's
fitted recommender and the products their live events touched since.

The run's history of the customer (age-weighted at the run's cutoff) ages on to ``now``;
each product viewed or bought since adds its weight (a view counts ``VIEW_WEIGHT`` of a
purchase) at its own age, so a product just viewed moves the list at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from shopperlens.recommend.model import ItemKNNRecommender
from shopperlens.recommend.offers import best_offer_one

VIEW_WEIGHT = 0.5
LAST, VIEWS, BUYS = range(3)  # a live product: [last t, views, purchases]


@dataclass
class LiveRecommender:
    """The run's recommender, its segment names and offers, ready for one customer."""

    model: ItemKNNRecommender
    as_of: float  # the run's cutoff, days since the epoch
    segment_names: dict[Any, str] = field(default_factory=dict)
    offers: pd.DataFrame | None = None
    _offer_rows: list[dict[str, Any]] | None = field(default=None, repr=False)

    def forget(self, customer_id: str) -> int:
        """Erase one customer from the run's recommender (see ``ItemKNNRecommender``)."""
        return self.model.forget(customer_id)

    def history(self, customer_id: str, live: Mapping[str, list[float]], now: float
                ) -> tuple[dict[str, float], list[str]]:
        """Product -> weight at ``now``, and the products bought (run and live)."""
        model = self.model
        age = 0.5 ** (max(now - self.as_of, 0.0) / model.half_life_days)
        weights: dict[str, float] = {}
        bought: list[str] = []
        row = model.customer_row(customer_id)
        if row >= 0:
            start, end = model.history_.indptr[row], model.history_.indptr[row + 1]
            for col, w in zip(model.history_.indices[start:end],
                              model.history_.data[start:end], strict=True):
                weights[str(model.items_[col])] = float(w) * age
            b0, b1 = model.bought_.indptr[row], model.bought_.indptr[row + 1]
            bought = [str(p) for p in model.items_[model.bought_.indices[b0:b1]]]
        for product, seen in live.items():
            decay = 0.5 ** (max(now - seen[LAST], 0.0) / model.half_life_days)
            strength = seen[BUYS] + VIEW_WEIGHT * seen[VIEWS]
            weights[product] = weights.get(product, 0.0) + strength * decay
            if seen[BUYS] > 0:
                bought.append(product)
        return weights, bought

    def recommend(self, customer_id: str, live: Mapping[str, list[float]], now: float, *,
                  segment: Any = None, n: int = 10) -> list[dict[str, Any]]:
        """The customer's top ``n`` now (records of :data:`~.model.COLUMNS` without the
        customer)."""
        weights, bought = self.history(customer_id, live, now)
        return self.model.recommend_one(weights, bought, segment=segment,
                                        segment_name=self.segment_names.get(segment), n=n)

    def next_best_offer(self, customer: dict[str, Any], top_score: float | None
                        ) -> dict[str, Any] | None:
        """The one offer for ``customer`` (segment, expected CLV, churn risk, consent),
        or None."""
        if self.offers is None or self.offers.empty:
            return None
        if self._offer_rows is None:
            self._offer_rows = self.offers.to_dict("records")
        return best_offer_one(customer, self._offer_rows, top_score)
