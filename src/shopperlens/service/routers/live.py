"""The live page: segment sizes now, events per second, the latest moves, a lookup.

``GET /live`` is one self-contained HTML page (inline CSS and JavaScript, no request
outside the service) holding no data; it polls ``GET /v1/live`` (a snapshot, behind the
write key like every ``/v1`` route) and reads profiles from ``/v1/profiles/{id}``.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from shopperlens.service.deps import RuntimeDep, require_key
from shopperlens.service.models import SegmentChange, SegmentSize
from shopperlens.service.routers.profiles import change_model
from shopperlens.service.runtime import Runtime

page = APIRouter(tags=["live"])
router = APIRouter(prefix="/v1", tags=["live"], dependencies=[Depends(require_key)])
PAGE = files("shopperlens.service").joinpath("live.html")


class Move(SegmentChange):
    from_name: str | None
    to_name: str | None


class LiveSnapshot(BaseModel):
    """What the live page shows, at ``at`` (seconds since the epoch, the service clock)."""

    at: float
    model_version: str
    seeded: int | None
    counters: dict[str, int]
    segments: list[SegmentSize]
    moves: list[Move]


@page.get("/live", response_class=HTMLResponse, include_in_schema=False)
async def live_page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"),
                        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


# the page may talk to this service only
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'")


def _snapshot(rt: Runtime) -> LiveSnapshot:
    names = rt.model.names()
    sizes = rt.store.segment_sizes()
    recent = rt.hub.latest()
    moves = [Move(**change_model(c).model_dump(),
                  from_name=names.get(c.from_segment) if c.from_segment is not None else None,
                  to_name=names.get(c.to_segment) if c.to_segment is not None else None)
             for c in reversed(recent)]
    return LiveSnapshot(
        at=rt.clock().timestamp(), model_version=rt.model.version, seeded=rt.seeded,
        counters=rt.store.counters(),
        segments=[SegmentSize(segment_id=i, segment_name=names.get(i, f"segment {i}"),
                              size=sizes.get(i, 0)) for i in sorted(set(names) | set(sizes))],
        moves=moves[:20],
    )


@router.get("/live", response_model=LiveSnapshot)
async def live(rt: RuntimeDep) -> LiveSnapshot:
    """The live page's data: segment sizes now, event counters, the latest 20 moves."""
    return await run_in_threadpool(_snapshot, rt)
