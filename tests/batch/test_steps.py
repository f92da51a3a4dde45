"""The run calls its steps from one list, in order, timing each: a new step is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopperlens import demo
from shopperlens.batch import runner
from shopperlens.batch.progress import ProgressEvent
from shopperlens.batch.state import RunState, Step
from shopperlens.batch.steps import STEPS
from shopperlens.config import Settings


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("steps") / "data"
    demo.write(demo.generate(300, seed=2), folder, fmt="parquet")
    return folder


def test_steps_have_distinct_names_and_the_report_comes_last() -> None:
    names = [step.name for step in STEPS]
    assert len(set(names)) == len(names)
    assert names[0] == "ingest" and names[-1] == "report"
    assert [step.name for step in STEPS if not step.engine] == ["report"]


def test_a_new_step_is_one_line_in_the_list(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}

    def count_buyers(state: RunState) -> None:  # a capability using earlier steps' results
        assert state.result is not None
        seen["engine_open"] = state.engine is not None
        buyers = int((state.result.segments["segment_id"] >= 0).sum())
        state.result.record["metrics"]["buyers"] = buyers

    def never(state: RunState) -> None:
        raise AssertionError("a step whose `when` is false does not run")

    extra = (Step("buyers", count_buyers, engine=False),
             Step("skipped", never, when=lambda state: False))
    monkeypatch.setattr(runner, "STEPS", (*STEPS, *extra))
    events: list[ProgressEvent] = []
    # no demand forecasts (forecast_weeks=0): the slowest step of a small run, and
    # nothing here reads them
    result = runner.run(folder, tmp_path, report=False, progress=events.append,
                        settings=Settings(forecast_weeks=0))
    announced = [e.step for e in events if e.kind == "start"]
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["metrics"]["buyers"] == (result.segments["segment_id"] >= 0).sum() > 0
    assert seen["engine_open"] is False  # closed before the first step that needs none
    timings = list(record["timings_s"])
    assert timings[-1] == "buyers" and "skipped" not in timings and "report" not in timings
    assert announced[0] == "ingest" and announced[-1] == "buyers"
    assert announced.count("segmentation") == 1  # scoring's parts are not announced again
    assert "scoring" in announced and "scoring" not in timings  # timed under the stages
