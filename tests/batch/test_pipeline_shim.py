"""``shopperlens.pipeline`` still works for one release, and says where things went."""

from __future__ import annotations

import importlib
import sys

import pytest

import shopperlens
from shopperlens import timewindow
from shopperlens.batch import result, segments


def test_the_old_module_warns_and_hands_on_the_new_names() -> None:
    sys.modules.pop("shopperlens.pipeline", None)
    with pytest.warns(DeprecationWarning, match="shopperlens.pipeline is deprecated"):
        pipeline = importlib.import_module("shopperlens.pipeline")
    assert pipeline.run is shopperlens.run
    assert pipeline.RunResult is result.RunResult
    assert pipeline.assign_segments is segments.assign_segments
    assert pipeline.NO_PURCHASE_ID == segments.NO_PURCHASE_ID
    assert pipeline.parse_cutoff("2025-01-31") == timewindow.parse_cutoff("2025-01-31")
    assert sorted(pipeline.__all__) == pipeline.__all__
    assert all(hasattr(pipeline, name) for name in pipeline.__all__)


def test_the_old_blocks_module_warns_and_hands_on_the_new_names() -> None:
    from shopperlens.engines import blocks

    sys.modules.pop("shopperlens.blocks", None)
    with pytest.warns(DeprecationWarning, match="shopperlens.blocks is deprecated"):
        old = importlib.import_module("shopperlens.blocks")
    assert old.customer_blocks is blocks.customer_blocks
    assert old.Block is blocks.Block


def test_the_old_predict_module_warns_and_hands_on_the_new_names() -> None:
    from shopperlens.batch import predict

    sys.modules.pop("shopperlens.predict", None)
    with pytest.warns(DeprecationWarning, match="shopperlens.predict is deprecated"):
        old = importlib.import_module("shopperlens.predict")
    assert old.fit_predictor is predict.fit_predictor
    assert old.Predictor is predict.Predictor
