"""A customer's recommendations and next best offer, now: the run's recommender
(``recommender.joblib`` beside the model) with the products their events touched since.

Both answer 404 for an unknown customer and 422 (``no_recommender``) when the model's
run made no recommender (its transactions named no product). A customer who refused profiling gets
the popular products only (no personal history is read); one who refused marketing gets
no offer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from shopperlens import schema as s
from shopperlens.errors import ModelError
from shopperlens.realtime import to_days
from shopperlens.recommend.live import LiveRecommender
from shopperlens.service.deps import ClockDep, StoreDep, require_key
from shopperlens.service.errors import NotFound
from shopperlens.service.runtime import Clock
from shopperlens.service.store.base import Store, marketing_allowed, profiling_allowed

router = APIRouter(prefix="/v1", tags=["recommendations"], dependencies=[Depends(require_key)])


class NoRecommender(ModelError):
    """The service's model comes from a run without recommendations."""

    reason = "no_recommender"


class Recommendation(BaseModel):
    rank: int
    product_id: str
    category: str | None
    score: float
    reason: str


class Recommendations(BaseModel):
    customer_id: str
    segment_id: int | None
    items: list[Recommendation]


class NextBestOffer(BaseModel):
    customer_id: str
    offer_id: str | None  # None: no offer (no marketing consent, or none worth making)
    expected_value: float | None
    reason: str


def load_recommender(model_dir: Path | None) -> LiveRecommender | None:
    """The run's recommender beside ``model_dir``, or None."""
    if model_dir is None:
        return None
    folder = model_dir if model_dir.is_dir() else model_dir.parent
    path = folder / s.RECOMMENDER_FILE
    return joblib.load(path) if path.is_file() else None


def _recommender(request: Request) -> LiveRecommender:
    live = getattr(request.app.state, "recommender", None)
    if live is None:
        raise NoRecommender("the model's run made no recommendations: its transactions "
                            "need a product_id column.")
    return live


def _recs(customer_id: str, store: Store, clock: Clock, live: LiveRecommender
          ) -> tuple[Recommendations, Any]:
    record = store.get_profile(customer_id, history=0)
    if record is None:
        raise NotFound(f"no profile for customer_id={customer_id!r}.")
    state = record.state
    personal = profiling_allowed(state)
    found = live.recommend(customer_id if personal else "",
                           state.products if personal else {}, to_days(clock()),
                           segment=record.segment_id if personal else None)
    items = [Recommendation(rank=int(r["rank"]), product_id=str(r[s.PRODUCT_ID]),
                            category=r[s.CATEGORY], score=float(r["score"]),
                            reason=str(r[s.REASON]))
             for r in found]
    return Recommendations(customer_id=customer_id, segment_id=record.segment_id,
                           items=items), record


def _offer(customer_id: str, store: Store, clock: Clock, live: LiveRecommender
           ) -> NextBestOffer:
    recs, record = _recs(customer_id, store, clock, live)
    if not marketing_allowed(record.state):
        return NextBestOffer(customer_id=customer_id, offer_id=None, expected_value=None,
                             reason="no marketing consent")
    predictions = (record.state.seed or {}).get("predictions") or {}
    clv = next((v for k, v in predictions.items() if k.startswith("expected_clv_")), None)
    row = {s.CUSTOMER_ID: customer_id, s.SEGMENT_ID: record.segment_id,
           "expected_clv": clv, "churn_risk": predictions.get("churn_risk")}
    chosen = live.next_best_offer(row, max((i.score for i in recs.items), default=None))
    if chosen is None:
        return NextBestOffer(customer_id=customer_id, offer_id=None, expected_value=None,
                             reason="no offer is worth its cost for this customer now")
    return NextBestOffer(customer_id=customer_id, **chosen)


@router.get("/profiles/{customer_id}/recommendations", response_model=Recommendations)
async def get_recommendations(customer_id: str, request: Request, store: StoreDep,
                              clock: ClockDep) -> Recommendations:
    """The customer's top 10 products now, each with a one-line reason."""
    live = _recommender(request)
    return (await run_in_threadpool(_recs, customer_id, store, clock, live))[0]


@router.get("/profiles/{customer_id}/next-best-offer", response_model=NextBestOffer)
async def get_next_best_offer(customer_id: str, request: Request, store: StoreDep,
                              clock: ClockDep) -> NextBestOffer:
    """The customer's one offer of the highest expected incremental value now."""
    live = _recommender(request)
    return await run_in_threadpool(_offer, customer_id, store, clock, live)
