"""BTYD models reproduce the published CDNOW results (sample of 2,357 customers).

Published values: Fader, Hardie & Lee (2005a) "Counting your customers the easy way"
(BG/NBD and Pareto/NBD), CLVTools' tests (BG/NBD to 7 digits), Fader, Hardie & Lee (2005b)
"RFM and CLV" (Gamma-Gamma). The T convention (T ends at the start of 1997-09-30, T = 38.86
weeks for a 1997-01-01 first purchase) is that of Fader & Hardie's summary file and of
lifetimes' ``calibration_and_holdout_data``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopperlens.errors import DataQualityWarning
from shopperlens.models import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    select_transaction_model,
    summary_data,
)

DATA = Path(__file__).parents[1] / "data" / "cdnow" / "sample_transactions.csv"
MASTER = Path(__file__).parents[1] / "data" / "cdnow" / "master_transactions.csv"


def _summary(path: Path) -> pd.DataFrame:
    tx = pd.read_csv(path, dtype={"customer_id": str})
    return summary_data(tx, calibration_end="1997-09-30", observation_end="1998-06-30")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return _summary(DATA)


def _close(got: dict[str, float], want: dict[str, float], rel: float) -> None:
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=rel), key


def test_sufficient_statistics(cdnow: pd.DataFrame) -> None:
    assert len(cdnow) == 2357
    assert (cdnow["frequency"] > 0).sum() == 946
    assert cdnow["frequency"].sum() == 2457
    assert cdnow["frequency_holdout"].sum() == 1882
    assert cdnow["duration_holdout"].iloc[0] == 39.0
    first = cdnow.loc["00004"]  # Fader & Hardie's customer 1: x=2, t_x=30.43, T=38.86
    assert (first["frequency"], round(first["recency"], 2), round(first["T"], 2)) == (
        2, 30.43, 38.86)


def test_bg_nbd_matches_published(cdnow: pd.DataFrame) -> None:
    model = BetaGeoModel().fit(cdnow)
    _close(model.params_, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, 0.01)
    # CLVTools reproduces the paper to 7 digits; we agree to 1e-5.
    _close(model.params_, {"r": 0.2425945, "alpha": 4.4136019, "a": 0.7929199,
                           "b": 2.4258881}, 1e-5)
    assert model.log_likelihood_ == pytest.approx(-9582.429, abs=0.01)
    assert model.n_customers_ == 2357
    assert all(0 < se < 1 for se in model.standard_errors_.values())


def test_pareto_nbd_matches_published(cdnow: pd.DataFrame) -> None:
    model = ParetoNBDModel().fit(cdnow)
    _close(model.params_, {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, 0.01)
    assert model.log_likelihood_ == pytest.approx(-9595.0, abs=0.1)


def test_gamma_gamma_matches_published(cdnow: pd.DataFrame) -> None:
    model = GammaGammaModel().fit(cdnow)
    _close(model.params_, {"p": 6.25, "q": 3.74, "v": 15.44}, 0.01)
    assert model.log_likelihood_ == pytest.approx(-4055.92, abs=0.01)
    assert (model.n_customers_, model.n_excluded_) == (946, 0)


def test_one_rule_chooses_the_transaction_model_without_looking_at_the_holdout(
    cdnow: pd.DataFrame,
) -> None:
    best, scores = select_transaction_model(cdnow)
    assert list(scores["model"]) == ["pareto_nbd", "pareto_nbd"]  # the run record's keys
    assert type(best).__name__ == "ParetoNBDModel" and scores["chosen"].tolist() == [True, False]
    assert scores.loc[0, "penalizer"] == 0.0
    # Pareto/NBD scores better on this holdout, yet BG/NBD, preferred here, is kept: the
    # holdout only scores.
    _, both = select_transaction_model(cdnow, candidates=[BetaGeoModel(), ParetoNBDModel()])
    assert list(both["model"]) == ["bgnbd", "pareto_nbd"]
    assert both.loc[1, "holdout_mae"] < both.loc[0, "holdout_mae"]
    assert both["chosen"].tolist() == [True, False]
    # Both models predict the holdout total within 15% (1,882 purchases happened).
    assert np.allclose(both["holdout_predicted"], 1882, rtol=0.15)


@pytest.mark.slow
def test_master_file_fits_and_copes_with_zero_spend() -> None:
    if not MASTER.exists():
        pytest.skip("the vendored CDNOW master file (tests/data/cdnow) is not there yet")
    full = _summary(MASTER)
    assert len(full) == 23570
    bg = BetaGeoModel().fit(full)
    assert np.isfinite(bg.log_likelihood_)
    with pytest.warns(DataQualityWarning, match="1 repeat customer"):
        gg = GammaGammaModel().fit(full)
    zero = full[(full["frequency"] > 0) & (full["monetary_value"] <= 0)]
    p, q, v = gg.params_["p"], gg.params_["q"], gg.params_["v"]
    assert gg.expected_spend(zero) == pytest.approx([p * v / (q - 1)])
