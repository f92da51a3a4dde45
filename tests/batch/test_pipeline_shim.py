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


@pytest.mark.parametrize(("old_name", "new_name"), [
    ("shopperlens.blocks", "shopperlens.engines.blocks"),
    ("shopperlens.predict", "shopperlens.batch.predict"),
])
def test_an_old_module_warns_and_hands_on_the_new_names(old_name: str, new_name: str) -> None:
    new = importlib.import_module(new_name)
    sys.modules.pop(old_name, None)
    with pytest.warns(DeprecationWarning, match=f"{old_name} is deprecated"):
        old = importlib.import_module(old_name)
    assert old.__all__ and all(getattr(old, n) is getattr(new, n) for n in old.__all__)
