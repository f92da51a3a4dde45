"""The batch run through the Python API, on demo data with planted personas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import shopperlens
from shopperlens import demo


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("planted") / "data"
    data = demo.generate(3000, seed=7)
    demo.write(data, folder, fmt="parquet")
    return folder, data.personas


@pytest.fixture(scope="module")
def result(planted: tuple[Path, pd.DataFrame]) -> shopperlens.RunResult:
    return shopperlens.run(planted[0])


def test_segments_recover_the_planted_personas(
    result: shopperlens.RunResult, planted: tuple[Path, pd.DataFrame]
) -> None:
    merged = result.segments.merge(planted[1], on="customer_id")
    assert len(merged) == len(planted[1])
    assert adjusted_rand_score(merged["persona"], merged["segment_id"]) >= 0.9


def test_surrogate_rules_are_faithful(result: shopperlens.RunResult) -> None:
    assert result.model.segment_model.rule_fidelity_ >= 0.85


def test_every_segment_is_explained(result: shopperlens.RunResult) -> None:
    profiles = result.profiles
    assert profiles["share"].min() >= 0.02
    names = list(result.model.segment_model.names_)
    assert len(set(names)) == len(names)
    assert all(result.model.segment_model.rules_[i] for i in range(len(names)))
    assert result.segments["segment_reason"].str.len().gt(0).all()
    assert result.segments["rfm_segment"].notna().all()


def test_predictions_cover_profiled_buyers(result: shopperlens.RunResult) -> None:
    predictions = result.predictions
    assert predictions is not None
    assert predictions["p_alive"].between(0, 1).all()
    assert (predictions["expected_orders_90d"] >= 0).all()
    assert predictions["churn_risk"].dropna().between(0, 1).all()
    params = result.record["models"]
    assert {"bgnbd", "pareto_nbd", "gamma_gamma"} <= set(params)
    assert set(params["bgnbd"]["params"]) == {"r", "alpha", "a", "b"}


def test_consent_refusers_are_counted_not_profiled(tmp_path: Path) -> None:
    data = demo.generate(600, seed=3, consent_profiling_false_share=0.1)
    demo.write(data, tmp_path, fmt="parquet")
    refused = set(data.tables["customers"].query("consent_profiling == False")["customer_id"])
    assert refused
    run = shopperlens.run(tmp_path)
    assert refused.isdisjoint(run.segments["customer_id"])
    assert refused.isdisjoint(run.predictions["customer_id"])
    assert run.record["row_counts"]["customers_excluded_no_consent"] == len(refused)
