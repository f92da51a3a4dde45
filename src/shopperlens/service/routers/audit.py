"""The audit log: who read, exported or erased which profile, and when."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from shopperlens.service.deps import RuntimeDep, require_key
from shopperlens.service.models import AuditPage, AuditRecord
from shopperlens.service.rights import subject_of
from shopperlens.service.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["privacy"], dependencies=[Depends(require_key)])


def _page(rt: Runtime, after: int, limit: int, customer_id: str | None) -> AuditPage:
    subject = None if customer_id is None else subject_of(rt, customer_id)
    rows = rt.store.audit_entries(after=after, limit=limit, subject=subject)
    entries = [
        AuditRecord(id=e.id, at=datetime.fromtimestamp(e.at, timezone.utc), actor=e.actor,
                    key_id=e.key_id, action=e.action, subject=e.subject,  # type: ignore[arg-type]
                    status=e.status)
        for e in rows
    ]
    return AuditPage(entries=entries, next_after=rows[-1].id if len(rows) == limit else None)


@router.get("/audit", response_model=AuditPage)
async def audit_log(
    rt: RuntimeDep,
    after: Annotated[int, Query(ge=0, description="Entries after this id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    customer_id: Annotated[
        str | None, Query(max_length=256, description="Only entries about this customer.")
    ] = None,
) -> AuditPage:
    """One page of the audit log, oldest first. ``customer_id`` is hashed the way the log
    stores it, so the answer holds no plain customer id."""
    return await run_in_threadpool(_page, rt, after, limit, customer_id)
