"""Runs that know their predecessor (``--previous``, issue #31): the files, the record,
the report's "What changed", the registry; a vanished group reported as a death."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import shopperlens
from shopperlens import demo
from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.batch.result import RunResult
from shopperlens.cli import app
from shopperlens.errors import InputError

pytestmark = pytest.mark.slow  # four whole runs

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"
FIRST, SECOND = "2025-06-30", "2025-09-30"


def _contract() -> dict:
    spec = importlib.util.spec_from_file_location(
        "contract", Path(__file__).resolve().parents[1] / "test_data_contract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["contract"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.parse_outputs(CONTRACT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, RunResult, pd.Series]:
    root = tmp_path_factory.mktemp("learning")
    generated = demo.generate(800, seed=4)
    demo.write(generated, root / "data")
    shopperlens.run(root / "data", root / "q2", cutoff=FIRST, report=False)
    result = shopperlens.run(root / "data", root / "q3", cutoff=SECOND, previous=root / "q2")
    personas = pd.read_csv(root / "data" / "personas.csv").set_index(s.CUSTOMER_ID)["persona"]
    return root, root / "q3", result, personas


def test_a_run_with_its_predecessor_writes_what_changed(runs: tuple) -> None:
    root, out, result, _ = runs
    learning = result.record["learning"]
    assert json.loads((out / "segment_changes.json").read_text()) == json.loads(
        json.dumps(learning, default=str))
    assert json.loads((out / s.RUN_FILE).read_text())["learning"]["decision"] in (
        "kept", "grafted", "refitted")
    transitions = pd.read_parquet(out / "transitions.parquet")
    assert transitions["customers"].sum() >= len(result.segments)
    drift = pd.read_parquet(out / "drift.parquet")
    assert set(drift["feature"]) == set(result.model.feature_names)
    ageing = drift["feature"].isin(["recency_days", "tenure_days"])
    assert not drift.loc[ageing, "alarm"].any()  # the customers' ageing alone: no alarm
    assert learning["continuity"]["stayers"] > 0 and learning["continuity"]["kept"] >= 0.97
    assert 0.5 < learning["report_card"]["churn_auc"] <= 1
    assert "What changed" in (out / s.REPORT_FILE).read_text(encoding="utf-8")
    version = learning["model_version"]
    assert (out / "models" / f"v{version}" / s.MODEL_FILE).is_file()
    assert json.loads((out / "models" / f"v{version}" / "metrics.json").read_text())[
        "version"] == version


def test_the_new_files_match_the_contract(runs: tuple) -> None:
    _, out, _, _ = runs
    contract = _contract()
    for name in ("drift.parquet", "transitions.csv", "segment_changes.json"):
        documented = {c.name for c in contract[name]}
        written = (list(json.loads((out / name).read_text())) if name.endswith(".json")
                   else list(pd.read_parquet(out / name).columns) if name.endswith(".parquet")
                   else list(pd.read_csv(out / name).columns))
        assert set(written) <= documented, name
        assert {c.name for c in contract[name] if c.required} <= set(written), name


def test_a_vanished_group_is_reported_as_a_death(runs: tuple) -> None:
    root, _, _, personas = runs
    before = pd.read_parquet(root / "q2" / f"{s.SEGMENTS_FILE}.parquet").set_index(
        s.CUSTOMER_ID)[s.SEGMENT_ID]
    mix = pd.crosstab(before[before >= 0], personas.reindex(before.index), normalize="index")
    segment, persona = mix.stack().idxmax()  # the persona that makes a segment
    assert mix.loc[segment, persona] > 0.8
    gone = set(personas[personas == persona].index)
    less = root / "less"
    less.mkdir()
    for path in (root / "data").glob("*.csv"):
        frame = pd.read_csv(path)
        if s.CUSTOMER_ID in frame and path.name != "personas.csv":
            frame = frame[~frame[s.CUSTOMER_ID].isin(gone)]
        frame.to_csv(less / path.name, index=False)
    result = shopperlens.run(less, root / "q3-less", cutoff=SECOND, previous=root / "q2",
                             report=False)
    learning = result.record["learning"]
    assert learning["decision"] == "grafted"  # the previous model less the dead segment
    deaths = [e["previous_id"] for e in learning["events"] if e["type"] == "death"]
    assert deaths == [segment] and segment not in set(result.segments[s.SEGMENT_ID])
    old_model = SavedSegmentModel.load(root / "q2" / s.MODEL_FILE)
    buyers = result.features[result.features["frequency"].fillna(0) > 0]
    old = pd.Series(old_model.segment_model.predict(old_model.matrix(buyers)), index=buyers.index)
    now = result.segments.set_index(s.CUSTOMER_ID)[s.SEGMENT_ID].loc[old.index]
    was = before.reindex(old.index)
    stayers = (old == was) & (was != segment)
    assert stayers.sum() > 100 and (now[stayers] == was[stayers]).all()  # nobody else moves


def test_a_folder_that_is_no_run_is_refused(runs: tuple, tmp_path: Path) -> None:
    root = runs[0]
    with pytest.raises(InputError, match="--previous"):
        shopperlens.run(root / "data", tmp_path / "out", previous=tmp_path, report=False)
    answer = CliRunner().invoke(app, ["run", str(root / "data"), "--out", str(tmp_path / "o"),
                                      "--previous", str(tmp_path), "--quiet"])
    assert answer.exit_code == 2 and "not the output folder of a finished run" in answer.output


def test_a_previous_model_whose_features_are_missing_gives_way_to_the_refit(
        runs: tuple) -> None:
    root = runs[0]
    fewer = root / "no-events"
    fewer.mkdir()
    for path in (root / "data").glob("*.csv"):
        if path.name not in ("events.csv", "personas.csv"):
            (fewer / path.name).write_bytes(path.read_bytes())
    result = shopperlens.run(fewer, root / "q3-no-events", cutoff=SECOND,
                             previous=root / "q2", report=False)
    learning = result.record["learning"]
    assert learning["decision"] == "refitted" and "lacks features" in learning["reasons"][0]
    assert learning["model_version"] == learning["previous_model_version"] + 1
    assert (result.segments[s.SEGMENT_ID] >= -1).all()
