"""Segments now, their members, the live stream of changes, and model hot-swap."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from shopperlens.service.deps import (
    HubDep,
    ModelDep,
    RuntimeDep,
    StoreDep,
    require_key,
)
from shopperlens.service.errors import MalformedEvent, NotFound
from shopperlens.service.ingest import reassign_all
from shopperlens.service.models import (
    ErrorBody,
    Members,
    ModelSwap,
    ModelSwapResult,
    Segments,
    SegmentSize,
)
from shopperlens.service.routers.profiles import change_model
from shopperlens.service.runtime import LoadedModel
from shopperlens.service.store.base import Change

router = APIRouter(prefix="/v1", tags=["segments"], dependencies=[Depends(require_key)])
HEARTBEAT_S = 15.0


@router.get("/segments", response_model=Segments)
async def segments(store: StoreDep, model: ModelDep) -> Segments:
    """Every segment of the current model with its size now."""
    sizes = await run_in_threadpool(store.segment_sizes)
    names = model.names()
    ids = sorted(set(names) | set(sizes))
    return Segments(
        model_version=model.version,
        segments=[
            SegmentSize(
                segment_id=i, segment_name=names.get(i, f"segment {i}"), size=sizes.get(i, 0)
            )
            for i in ids
        ],
    )


def _cursor(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value.encode("ascii"), altchars=b"-_", validate=True).decode(
            "utf-8"
        )
    except (binascii.Error, UnicodeError, ValueError):
        raise MalformedEvent(
            "invalid_cursor", "cursor: pass back a next_cursor unchanged."
        ) from None


@router.get(
    "/segments/{segment_id}/members",
    response_model=Members,
    responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}},
)
async def members(
    segment_id: int,
    store: StoreDep,
    model: ModelDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Members:
    """One page of the segment's customer ids, in id order (stable under writes).

    This is the exported audience: customers whose ``consent_marketing`` trait is
    ``false`` (set with ``identify``) are left out, from the moment that trait is stored;
    ``true`` or no answer at all counts as allowed. So a segment's ``size`` in
    ``GET /v1/segments`` can be larger than the number of ids listed here.

    Pass ``next_cursor`` back as ``cursor`` until it is ``null`` to walk the whole list;
    every listed customer comes exactly once. A page holds fewer than ``limit`` ids only
    when it is the last one.
    """
    known = segment_id in model.names()
    if not known and segment_id not in await run_in_threadpool(store.segment_sizes):
        raise NotFound(f"no segment with segment_id={segment_id}.")
    ids = await run_in_threadpool(store.members, segment_id, after=_cursor(cursor), limit=limit)
    nxt = base64.urlsafe_b64encode(ids[-1].encode()).decode() if len(ids) == limit else None
    return Members(segment_id=segment_id, customer_ids=ids, next_cursor=nxt)


def _sse(change: Change) -> str:
    data = change_model(change).model_dump_json()
    return f"id: {change.id}\nevent: segment_change\ndata: {data}\n\n"


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-Sent Events, one per segment change",
        }
    },
)
async def stream(
    request: Request,
    store: StoreDep,
    hub: HubDep,
    after: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
) -> StreamingResponse:
    """Segment changes as they happen. ``after`` (or ``Last-Event-ID``) first replays the
    stored changes after that id; ``limit`` ends the stream after that many events."""
    start = after if after is not None else last_event_id
    sub = hub.subscribe()  # subscribe before the replay, so nothing falls in between

    async def events() -> AsyncIterator[str]:
        sent, last = 0, start or 0
        try:
            if start is not None:
                backlog = await run_in_threadpool(store.history_since, start, limit=limit or 10_000)
                for change in backlog:
                    yield _sse(change)
                    sent, last = sent + 1, change.id
            while limit is None or sent < limit:
                try:
                    change = await asyncio.wait_for(sub[1].get(), HEARTBEAT_S)
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if change.id > last:
                    yield _sse(change)
                    sent, last = sent + 1, change.id
        finally:
            hub.unsubscribe(sub)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


@router.post(
    "/models",
    response_model=ModelSwapResult,
    responses={422: {"model": ErrorBody, "description": "Not a usable model"}},
)
async def swap_model(body: ModelSwap, rt: RuntimeDep) -> ModelSwapResult:
    """Load a newly fitted model folder, switch to it, and re-assign every customer.

    Ingestion goes on meanwhile: events use the new model from the moment it is loaded.
    """

    def work() -> ModelSwapResult:
        loaded = LoadedModel.load(Path(body.path))
        with rt.model_lock:
            rt.model = loaded
            rt.store.set_meta("model_version", loaded.version)
            total, changed = reassign_all(rt)
        return ModelSwapResult(model_version=loaded.version, reassigned=total, changed=changed)

    return await run_in_threadpool(work)
