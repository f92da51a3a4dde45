"""Health, Prometheus metrics, and the webhook failure queue."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from shopperlens.errors import StoreError
from shopperlens.service.deps import (
    ModelDep,
    RuntimeDep,
    StoreDep,
    require_key,
)
from shopperlens.service.errors import NotFound
from shopperlens.service.models import ErrorBody, Health, WebhookDelivery
from shopperlens.service.runtime import LoadedModel, Runtime
from shopperlens.service.store.base import Store

router = APIRouter(tags=["operations"])
hooks = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], dependencies=[Depends(require_key)])


@router.get("/healthz", response_model=Health)
async def healthz(store: StoreDep, model: ModelDep) -> Health:
    """``ok`` when the store answers; received = stored + rejected + duplicates."""
    try:
        counters = await run_in_threadpool(store.counters)
        status: Literal["ok", "degraded"] = "ok"
    except StoreError:
        counters, status = {}, "degraded"
    return Health(
        status=status,
        store=store.url.split("@")[-1],
        model_version=model.version,
        counters=counters,
    )


def _metrics(store: Store, model: LoadedModel, rt: Runtime) -> str:
    lines = [
        "# HELP shopperlens_events_total Events by outcome "
        "(received = stored + rejected + duplicates).",
        "# TYPE shopperlens_events_total counter",
    ]
    for name, value in store.counters().items():
        lines.append(f'shopperlens_events_total{{outcome="{name}"}} {value}')
    lines += [
        "# HELP shopperlens_segment_size Customers in each segment now.",
        "# TYPE shopperlens_segment_size gauge",
    ]
    for seg, size in store.segment_sizes().items():
        lines.append(
            f'shopperlens_segment_size{{segment_id="{seg}",model_version="{model.version}"}} {size}'
        )
    lines += [
        "# HELP shopperlens_webhook_failed Webhook deliveries kept as failed.",
        "# TYPE shopperlens_webhook_failed gauge",
        f"shopperlens_webhook_failed {len(store.deliveries(status='failed', limit=100000))}",
        "# HELP shopperlens_ingest_inflight Ingestion calls in flight.",
        "# TYPE shopperlens_ingest_inflight gauge",
        f"shopperlens_ingest_inflight {rt.limiter.inflight}",
    ]
    return "\n".join(lines) + "\n"


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(store: StoreDep, model: ModelDep, rt: RuntimeDep) -> PlainTextResponse:
    """Prometheus text exposition format."""
    text = await run_in_threadpool(_metrics, store, model, rt)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


def _delivery(d: object) -> WebhookDelivery:
    return WebhookDelivery.model_validate(d, from_attributes=True)


@hooks.get("", response_model=list[WebhookDelivery])
async def deliveries(
    store: StoreDep,
    status: Literal["pending", "delivered", "failed"] = "failed",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[WebhookDelivery]:
    """Webhook deliveries by status (default: the failed ones, kept for replay)."""
    rows = await run_in_threadpool(store.deliveries, status=status, limit=limit)
    return [_delivery(d) for d in rows]


@hooks.post("/{delivery_id}/replay", responses={404: {"model": ErrorBody}})
async def replay(delivery_id: int, rt: RuntimeDep, store: StoreDep) -> dict[str, int]:
    """Queue a failed delivery again (attempts start over)."""
    now = rt.clock().timestamp()
    if not await run_in_threadpool(store.replay_delivery, delivery_id, now=now):
        raise NotFound(f"no failed webhook delivery with id={delivery_id}.")
    rt.wakeup.set()
    return {"id": delivery_id}
