"""Ingestion: Segment-spec ``track``, ``identify``, ``page``, ``screen``, ``alias``,
``group`` and ``batch``. Bodies are read raw so every mistake is a 400 with a reason."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from shopperlens.service.deps import (
    ClockDep,
    ModelDep,
    RuntimeDep,
    StoreDep,
    read_json,
    require_key,
)
from shopperlens.service.errors import PayloadTooLarge
from shopperlens.service.ingest import ingest
from shopperlens.service.models import Ack, ErrorBody
from shopperlens.service.runtime import Clock, LoadedModel, Runtime
from shopperlens.service.spec import MalformedEvent
from shopperlens.service.store.base import Store

router = APIRouter(prefix="/v1", tags=["ingestion"], dependencies=[Depends(require_key)])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "Malformed message (reason says what)"),
        (401, "No write key"),
        (403, "Unknown write key"),
        (413, "Too large"),
        (429, "Overloaded; see Retry-After"),
        (503, "Store unavailable"),
    )
}
MESSAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}},
    }
}
BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"}}},
    }
}


def _view(rt: Runtime, store: Store, clock: Clock, model: LoadedModel) -> Runtime:
    """The runtime with any dependency overrides applied."""
    return dataclasses.replace(rt, store=store, clock=clock, model=model)


async def _one(request: Request, rt: Runtime, kind: str) -> Ack:
    with rt.limiter:
        raw = await read_json(request, rt.settings.max_event_bytes)
        if isinstance(raw, dict) and raw.get("type") not in (None, kind):
            raise MalformedEvent("invalid_field:type", f"type must be {kind!r} on /v1/{kind}.")
        ack = await run_in_threadpool(ingest, rt, [raw], kind, body_bytes=request.state.body_bytes)
    if ack.rejected:
        bad = ack.rejected[0]
        if bad.reason == "event_too_large":
            raise PayloadTooLarge(bad.reason, bad.detail)
        raise MalformedEvent(bad.reason, bad.detail)
    return ack


def _route(kind: str) -> Any:
    async def endpoint(
        request: Request, rt: RuntimeDep, store: StoreDep, clock: ClockDep, model: ModelDep
    ) -> Ack:
        return await _one(request, _view(rt, store, clock, model), kind)

    endpoint.__name__ = f"{kind}_message"
    endpoint.__doc__ = f"Store one ``{kind}`` message (acknowledged once durably committed)."
    return endpoint


for _kind in ("track", "identify", "page", "screen", "alias", "group"):
    router.add_api_route(
        f"/{_kind}",
        _route(_kind),
        methods=["POST"],
        response_model=Ack,
        responses=ERRORS,
        openapi_extra=MESSAGE_BODY,
    )


@router.post("/batch", response_model=Ack, responses=ERRORS, openapi_extra=BATCH_BODY)
async def batch(
    request: Request, rt: RuntimeDep, store: StoreDep, clock: ClockDep, model: ModelDep
) -> Ack:
    """Store many messages (each with its ``type``): the good ones are stored, the bad
    ones come back in ``rejected`` with reasons, and the answer is still 200."""
    rt = _view(rt, store, clock, model)
    with rt.limiter:
        raw = await read_json(request, rt.settings.max_batch_bytes)
        if not isinstance(raw, dict) or not isinstance(raw.get("batch"), list):
            raise MalformedEvent("missing_field:batch", 'the body must be {"batch": [...]}.')
        return await run_in_threadpool(
            ingest, rt, raw["batch"], None, body_bytes=request.state.body_bytes
        )
