"""The batch run through the Python API, on demo data with planted personas."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score

import shopperlens
from shopperlens import demo
from shopperlens.config import Settings

# No test here reads the demand forecasts: the run leaves that step out (forecast_weeks=0);
# the runs of tests/test_data_contract.py, tests/batch/test_progress.py and tests/demand
# make them.
NO_DEMAND = Settings(forecast_weeks=0)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, demo.DemoData]:
    """600 customers, a tenth of them refusing profiling: six personas of about 65 to 130
    profiled customers each (recovered as well as from 3,000), and the refusers the
    consent test reads from the same run."""
    folder = tmp_path_factory.mktemp("planted") / "data"
    data = demo.generate(600, seed=7, consent_profiling_false_share=0.1)
    demo.write(data, folder, fmt="parquet")
    return folder, data


@pytest.fixture(scope="module")
def result(planted: tuple[Path, demo.DemoData]) -> shopperlens.RunResult:
    return shopperlens.run(planted[0], settings=NO_DEMAND)


def _refused(data: demo.DemoData) -> set[str]:
    return set(data.tables["customers"].query("consent_profiling == False")["customer_id"])


def test_segments_recover_the_planted_personas(
    result: shopperlens.RunResult, planted: tuple[Path, demo.DemoData]
) -> None:
    personas = planted[1].personas
    profiled = personas[~personas["customer_id"].isin(_refused(planted[1]))]
    merged = result.segments.merge(profiled, on="customer_id")
    assert len(merged) == len(profiled) == len(result.segments)
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


def test_consent_refusers_are_counted_not_profiled(
    result: shopperlens.RunResult, planted: tuple[Path, demo.DemoData]
) -> None:
    refused = _refused(planted[1])
    assert refused
    assert refused.isdisjoint(result.segments["customer_id"])
    assert refused.isdisjoint(result.predictions["customer_id"])
    assert result.record["row_counts"]["customers_excluded_no_consent"] == len(refused)
