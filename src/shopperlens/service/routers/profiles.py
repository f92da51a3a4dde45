"""Reading one customer's profile: traits, features, segment, reasons, history."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from shopperlens.service.deps import (
    ClockDep,
    ModelDep,
    StoreDep,
    require_key,
)
from shopperlens.service.errors import NotFound
from shopperlens.service.ingest import features_now
from shopperlens.service.models import ErrorBody, Profile, SegmentChange
from shopperlens.service.runtime import Clock, LoadedModel
from shopperlens.service.store.base import Change, Store

router = APIRouter(prefix="/v1", tags=["profiles"], dependencies=[Depends(require_key)])


def change_model(c: Change) -> SegmentChange:
    return SegmentChange(
        id=c.id,
        customer_id=c.customer_id,
        from_segment=c.from_segment,
        to_segment=c.to_segment,
        at=datetime.fromtimestamp(c.at, timezone.utc),
        model_version=c.model_version,
    )


def _profile(customer_id: str, store: Store, clock: Clock, model: LoadedModel) -> Profile:
    record = store.get_profile(customer_id)
    if record is None:
        raise NotFound(f"no profile for customer_id={customer_id!r}.")
    now = clock()
    features = features_now(record.state, now.timestamp())
    reasons = ""
    if model.assigner is not None and record.segment_id is not None:
        reasons = model.assigner.explain_one(features)
    return Profile(
        customer_id=customer_id,
        as_of=now,
        traits=record.state.traits,
        features=features,
        segment_id=record.segment_id,
        segment_name=model.names().get(record.segment_id)
        if record.segment_id is not None
        else None,
        reasons=reasons,
        history=[change_model(c) for c in record.history],
    )


@router.get(
    "/profiles/{customer_id}",
    response_model=Profile,
    responses={404: {"model": ErrorBody, "description": "Unknown customer"}},
)
async def get_profile(
    customer_id: str, store: StoreDep, clock: ClockDep, model: ModelDep
) -> Profile:
    """The customer's current features (at the service clock), segment, reasons and history."""
    return await run_in_threadpool(_profile, customer_id, store, clock, model)
