"""A run into a folder that holds an earlier run keeps that run's segment ids."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import shopperlens
from shopperlens import demo
from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.config import Settings
from shopperlens.segmentation import relabel_model

pytestmark = pytest.mark.slow  # three whole runs


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ids") / "data"
    demo.write(demo.generate(1500, seed=3), path, fmt="parquet")
    return path


def _segments(out: Path) -> pd.Series:
    frame = pd.read_parquet(out / f"{s.SEGMENTS_FILE}.parquet")
    return frame.set_index(s.CUSTOMER_ID)[s.SEGMENT_ID]


def test_a_refit_follows_the_previous_ids(folder: Path, tmp_path: Path) -> None:
    shopperlens.run(folder, tmp_path, report=False)
    # Last time the segments carried other ids: 0 <-> 1, 2 <-> 3, ... swapped.
    saved = SavedSegmentModel.load(tmp_path)
    model = saved.segment_model
    saved.segment_model = relabel_model(model, model.labels_ ^ 1)
    saved.save(tmp_path / s.MODEL_FILE)
    previous = saved.segment_model.predict(
        saved.matrix(pd.read_parquet(tmp_path / s.FEATURES_FILE).set_index(s.CUSTOMER_ID)))
    shopperlens.run(folder, tmp_path, report=False, settings=Settings(seed=2))
    after = _segments(tmp_path)
    record = json.loads((tmp_path / s.RUN_FILE).read_text())["metrics"]["segmentation"]
    assert record["segment_ids"]["matched"] is True
    buyers = after[after >= 0]
    features = pd.read_parquet(tmp_path / s.FEATURES_FILE).set_index(s.CUSTOMER_ID)
    before = pd.Series(previous, index=features.index).reindex(buyers.index)
    assert (before == buyers).mean() > 0.9  # the same people under the same ids


def test_an_unreadable_previous_model_is_recorded_not_fatal(folder: Path,
                                                           tmp_path: Path) -> None:
    (tmp_path / s.MODEL_FILE).write_bytes(b"not a model")
    shopperlens.run(folder, tmp_path, report=False)
    record = json.loads((tmp_path / s.RUN_FILE).read_text())["metrics"]["segmentation"]
    assert record["segment_ids"]["matched"] is False
    assert "not a readable" in record["segment_ids"]["why"]
