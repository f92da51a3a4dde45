"""GET /v1/friction: the friction points and incidents of the served run's folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from service_support import Fitted, TestClient

from shopperlens import schema as s

FRICTION = pd.DataFrame({
    "rank": [1, 2], "step": ["Checkout Started", "Product Added"],
    "segment_id": pd.array([2, None], dtype="Int64"), "channel": ["web", "app"],
    "device": ["mobile", "ios"], "sessions": [900, 400], "drop_off": [0.4, 0.3],
    "baseline_drop_off": [0.2, 0.25], "lost_orders": [120.0, 12.0],
    "lost_revenue": [6000.0, 500.0]})
INCIDENTS = pd.DataFrame({
    "step": ["Payment Info Entered"], "channel": ["web"], "device": ["desktop"],
    "segment_id": pd.array([None], dtype="Int64"), "started_on": [date(2025, 5, 19)],
    "detected_on": [date(2025, 5, 20)], "ended_on": [None], "drop_off_before": [0.1],
    "drop_off_during": [0.5], "lost_orders": [80.0]})


@pytest.fixture
def run_folder(fitted: Fitted, tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    shutil.copytree(fitted.out, folder)
    FRICTION.to_parquet(folder / f"{s.FRICTION_FILE}.parquet")
    INCIDENTS.to_parquet(folder / f"{s.INCIDENTS_FILE}.parquet")
    return folder


def test_friction_lists_the_runs_points_and_incidents(
        make_client: Callable[..., TestClient], run_folder: Path) -> None:
    body = make_client(model_dir=run_folder).get("/v1/friction").json()
    assert [p["rank"] for p in body["friction"]] == [1, 2]
    assert body["friction"][1]["segment_id"] is None
    assert body["incidents"][0]["started_on"] == "2025-05-19"
    assert body["incidents"][0]["ended_on"] is None


def test_friction_filters_by_device(make_client: Callable[..., TestClient],
                                    run_folder: Path) -> None:
    body = make_client(model_dir=run_folder).get("/v1/friction?device=ios").json()
    assert [p["device"] for p in body["friction"]] == ["ios"] and body["incidents"] == []


def test_a_run_without_journeys_is_a_404_that_says_why(
        make_client: Callable[..., TestClient]) -> None:
    response = make_client().get("/v1/friction")
    assert response.status_code == 404
    assert "session_id" in response.json()["detail"]
