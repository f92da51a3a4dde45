"""One customer's profile: read it (traits, features, segment, reasons, history), export
everything held about them, or erase them. Each call is written to the audit log."""

from __future__ import annotations

import uuid
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
from shopperlens.service.models import Erasure, ErrorBody, Profile, SegmentChange, SubjectExport
from shopperlens.service.rights import Auditor, AuditorDep
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
        predictions=(record.state.seed or {}).get("predictions"),
    )


def _read(customer_id: str, store: Store, clock: Clock, model: LoadedModel, audit: Auditor
          ) -> Profile:
    try:
        profile = _profile(customer_id, store, clock, model)
    except NotFound:
        audit.record("read", customer_id, 404)
        raise
    audit.record("read", customer_id, 200)
    return profile


@router.get(
    "/profiles/{customer_id}",
    response_model=Profile,
    responses={404: {"model": ErrorBody, "description": "Unknown customer"}},
)
async def get_profile(
    customer_id: str, store: StoreDep, clock: ClockDep, model: ModelDep, audit: AuditorDep
) -> Profile:
    """The customer's current features (at the service clock), segment, reasons and history."""
    return await run_in_threadpool(_read, customer_id, store, clock, model, audit)


def _export(customer_id: str, store: Store, audit: Auditor) -> SubjectExport:
    found = store.export_customer(customer_id)
    subject = audit.record("export", customer_id, 404 if found is None else 200)
    if found is None:
        raise NotFound(f"no data held for customer_id={customer_id!r}.")
    return SubjectExport(subject=subject, **found)


@router.get(
    "/profiles/{customer_id}/export",
    response_model=SubjectExport,
    responses={404: {"model": ErrorBody, "description": "Nothing held about the customer"}},
)
async def export_profile(customer_id: str, store: StoreDep, audit: AuditorDep) -> SubjectExport:
    """Everything the store holds about the customer: profile states, anonymous ids,
    stored events, segment history and webhook deliveries (right of access)."""
    return await run_in_threadpool(_export, customer_id, store, audit)


def _erase(customer_id: str, store: Store, clock: Clock, audit: Auditor) -> Erasure:
    removed = store.erase_customer(customer_id)
    subject = audit.record("erase", customer_id, 200)
    return Erasure(receipt=uuid.uuid4().hex, subject=subject, requested_at=clock(),
                   store=type(store).__name__, rows_removed=removed)


@router.delete("/profiles/{customer_id}", response_model=Erasure)
async def erase_profile(
    customer_id: str, store: StoreDep, clock: ClockDep, audit: AuditorDep
) -> Erasure:
    """Erase the customer from the service store (right to erasure): their events, profile,
    identity links, segment history and webhook deliveries, in one transaction. The
    receipt names them only by a keyed hash. Erasing an unknown id removes 0 rows."""
    return await run_in_threadpool(_erase, customer_id, store, clock, audit)
