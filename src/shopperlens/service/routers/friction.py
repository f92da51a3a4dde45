"""Friction points and incidents of the run the service's model comes from."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from shopperlens import schema as s
from shopperlens.service.deps import ModelDep, RuntimeDep, require_key
from shopperlens.service.errors import NotFound
from shopperlens.service.models import ErrorBody, Friction, FrictionPoint, Incident
from shopperlens.service.seeding import run_folder

router = APIRouter(prefix="/v1", tags=["journeys"], dependencies=[Depends(require_key)])


def _rows(path: Path, filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    frame = pd.read_parquet(path) if path.is_file() else pd.DataFrame()
    for column, value in filters.items():
        if value is not None and column in frame:
            frame = frame[frame[column].astype(str) == str(value)]
    rows = frame.head(limit).astype(object).to_dict("records")
    return [{k: None if v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v
             for k, v in row.items()} for row in rows]


def _friction(folder: Path | None, filters: dict[str, Any], limit: int,
              version: str) -> Friction:
    if folder is None or not (folder / f"{s.FRICTION_FILE}.parquet").is_file():
        raise NotFound("the service's run has no journeys: run `shopperlens run` on data "
                       "whose events have a session_id, and serve that run's folder.")
    points = _rows(folder / f"{s.FRICTION_FILE}.parquet", filters, limit)
    incidents = _rows(folder / f"{s.INCIDENTS_FILE}.parquet", filters, limit)
    return Friction(model_version=version,
                    friction=[FrictionPoint(**row) for row in points],
                    incidents=[Incident(**row) for row in incidents])


@router.get("/friction", response_model=Friction, responses={404: {"model": ErrorBody}})
async def friction(
    rt: RuntimeDep,
    model: ModelDep,
    step: Annotated[str | None, Query(max_length=256)] = None,
    segment_id: int | None = None,
    channel: Annotated[str | None, Query(max_length=256)] = None,
    device: Annotated[str | None, Query(max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> Friction:
    """Where customers get stuck: the run's friction points (most lost orders first)
    and its incidents (steps whose drop-off jumped), optionally of one step, segment,
    channel or device."""
    filters = {"step": step, s.SEGMENT_ID: segment_id, s.CHANNEL: channel, s.DEVICE: device}
    return await run_in_threadpool(_friction, run_folder(rt.settings.model_dir), filters,
                                   limit, model.version)
