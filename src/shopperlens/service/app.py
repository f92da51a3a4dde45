"""The FastAPI application: :func:`create_app` wires settings, store, model and routes.

One exception handler maps the :class:`~shopperlens.errors.ShopperLensError` tree to
HTTP statuses (:data:`~shopperlens.service.errors.STATUS`); request validation errors
become 400 on ingestion paths (the Segment spec's answer) and 422 elsewhere. Bodies
carry ``{"detail": ..., "reason": ...}`` with a machine-readable reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from shopperlens._version import __version__
from shopperlens.errors import ShopperLensError
from shopperlens.service.errors import Overloaded, status_of
from shopperlens.service.models import BatchRequest, Message
from shopperlens.service.rights import apply_retention, retention_loop
from shopperlens.service.routers import (
    audit,
    campaigns,
    events,
    friction,
    health,
    live,
    profiles,
    recommendations,
    segments,
)
from shopperlens.service.runtime import Clock, Limiter, LoadedModel, Runtime, utc_now
from shopperlens.service.seeding import seed_from_run
from shopperlens.service.settings import ServiceSettings
from shopperlens.service.store import Store, open_store
from shopperlens.service.webhooks import WebhookWorker

log = logging.getLogger("shopperlens.service")
LIVE_PAGE = "shopperlens-live"  # X-Requested-With of the live page's calls
INGEST_PATHS = (
    "/v1/track",
    "/v1/identify",
    "/v1/page",
    "/v1/screen",
    "/v1/alias",
    "/v1/group",
    "/v1/batch",
)


def create_app(
    settings: ServiceSettings | None = None,
    *,
    store: Store | None = None,
    clock: Clock = utc_now,
    transport: httpx.BaseTransport | None = None,
    start_worker: bool = True,
) -> FastAPI:
    """The service application.

    ``store`` defaults to the one ``settings`` names; ``clock`` and ``transport`` (for
    webhooks) are there for tests. The model is loaded at once, so a bad model folder
    fails here rather than on the first event.
    """
    settings = settings or ServiceSettings()
    store = store or open_store(
        settings.resolved_store_url(), synchronous=settings.sqlite_synchronous
    )
    rt = Runtime(
        settings,
        store,
        LoadedModel.load(settings.model_dir),
        clock=clock,
        limiter=Limiter(settings.max_inflight),
    )
    rt.seeded = seed_from_run(rt)
    if not settings.write_key_hashes:
        log.warning("no write keys configured: the API accepts unauthenticated calls")
    worker = WebhookWorker(rt, transport=transport)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start_worker and settings.webhook_urls:
            worker.start()
        retention = None
        if settings.retention_days is not None:
            await run_in_threadpool(apply_retention, rt)
            retention = asyncio.create_task(retention_loop(rt))
        yield
        if retention is not None:
            retention.cancel()
        worker.stop()
        store.close()

    app = FastAPI(
        title="ShopperLens real-time segmentation", version=__version__, lifespan=lifespan
    )
    app.state.runtime, app.state.webhooks = rt, worker
    app.state.recommender = recommendations.load_recommender(settings.model_dir)
    routers = (events.router, profiles.router, recommendations.router, segments.router,
               friction.router, audit.router, health.router, health.hooks, live.page,
               live.router, campaigns.router)
    for router in routers:
        app.include_router(router)
    _handlers(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _error(
    status: int, reason: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": detail, "reason": reason}, status_code=status, headers=headers)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ShopperLensError)
    async def shopperlens_error(request: Request, exc: ShopperLensError) -> JSONResponse:
        status, reason = status_of(exc)
        headers = None
        if isinstance(exc, Overloaded):
            headers = {"Retry-After": str(exc.retry_after)}
        elif status == 401 and request.headers.get("x-requested-with") != LIVE_PAGE:
            # not for the live page's fetches: a browser would pop up its own login box
            headers = {"WWW-Authenticate": 'Basic realm="shopperlens"'}
        elif status == 503:
            headers = {"Retry-After": "1"}
        if status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc)
        return _error(status, reason, str(exc), headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        err = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in err["loc"])
        status = 400 if request.url.path in INGEST_PATHS else 422
        return _error(status, f"invalid_field:{where}", f"{where}: {err['msg']}.")


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema plus the raw-body request models of the ingestion routes."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Message, BatchRequest):
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(body.pop("$defs", {}))
        components[model.__name__] = body
    app.openapi_schema = schema
    return schema
