"""Running the service: the start-up banner, JSON access logs, uvicorn.

The banner says where the service listens, which model it serves (version, as-of), its
segments by name with their sizes, and the store. Every request then writes one JSON
line on stderr (logger ``shopperlens.access``): ``method``, ``path``, ``status``, ``ms``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import IO, Any

from fastapi import FastAPI

from shopperlens.service.app import create_app
from shopperlens.service.runtime import Runtime
from shopperlens.service.settings import ServiceSettings, hash_key

access_log = logging.getLogger("shopperlens.access")
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


class AccessLog:
    """ASGI middleware: one JSON line per HTTP request once its answer has started
    (a plain ASGI wrapper, far cheaper per call than Starlette's BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            access_log.info(json.dumps({
                "method": scope["method"], "path": scope["path"], "status": status[0],
                "ms": round((time.perf_counter() - start) * 1000, 2)}, separators=(",", ":")))


def banner(rt: Runtime, address: str) -> list[str]:
    """The start-up lines: address, model, segments by name (size now), store."""
    model, store = rt.model, rt.store
    lines = [f"ShopperLens service on {address}  (live page: {address}/live, API: {address}/docs)"]
    if model.assigner is None:
        lines.append("model: none (profiles without segments)")
    else:
        lines.append(f"model: {model.version}, fitted as of {model.assigner.model.as_of}"
                     f" ({rt.settings.model_dir})")
        sizes = store.segment_sizes()
        for seg, name in sorted(model.names().items()):
            lines.append(f"  segment {seg:>2}  {name}: {sizes.get(seg, 0):,} customers")
    seeded = rt.seeded
    if seeded is not None:
        lines.append(f"seeded from the run: {seeded:,} customers")
    lines.append(f"store: {_safe_url(store.url)}")
    return lines


def _safe_url(url: str) -> str:
    """A store URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        rest = f"{credentials.split(':')[0]}@{host}"
    return f"{scheme}{sep}{rest}"


def configure_access_log(stream: IO[str] = sys.stderr) -> None:
    """JSON lines, nothing else, on ``stream`` (once)."""
    if not access_log.handlers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


def build(settings: ServiceSettings) -> FastAPI:
    """The application wrapped for serving (access logs on)."""
    app = create_app(settings)
    app.add_middleware(AccessLog)  # type: ignore[arg-type]
    return app


def run(
    model_dir: str | Path,
    *,
    store_url: str | None,
    host: str,
    port: int,
    write_keys: Sequence[str],
    **overrides: object,
) -> None:
    """Build the app, print the banner, serve until interrupted."""
    import uvicorn

    settings = ServiceSettings(
        model_dir=Path(model_dir),
        store_url=store_url,
        write_key_hashes=[hash_key(k) for k in write_keys],
        **overrides,  # type: ignore[arg-type]
    )
    app = build(settings)
    for line in banner(app.state.runtime, f"http://{host}:{port}"):
        print(line, flush=True)
    configure_access_log()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
