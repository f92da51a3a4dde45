"""The prediction stage: its models' fit sets, and the invariants of its outputs on real
(a CDNOW subsample) and synthetic data sets: one notion of "still a customer", dates
within the stated horizon, probabilities, and drivers that read right."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens import run
from shopperlens import schema as s
from shopperlens.batch import predict
from shopperlens.config import Settings
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.errors import InputError
from shopperlens.models import (
    GammaGammaModel,
    ParetoNBDModel,
    select_transaction_model,
    summary_data,
)

CDNOW = Path(__file__).parents[1] / "data" / "cdnow" / "sample_transactions.csv"


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    tx = pd.read_csv(CDNOW, dtype={"customer_id": str})
    return summary_data(tx, calibration_end="1997-09-30")


def test_btyd_models_fit_on_a_sample_and_predict_everyone(
    summary: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = {}
    for model in (ParetoNBDModel, GammaGammaModel):
        fit = model.fit

        def spy(self, X, y=None, *, _fit=fit, _name=model.__name__):  # noqa: ANN001, ANN202
            seen[_name] = len(X)
            return _fit(self, X)

        monkeypatch.setattr(model, "fit", spy)
    monkeypatch.setattr(predict, "BTYD_FIT_MAX", 500)
    chosen, _ = select_transaction_model(summary, fit_rows=500)
    spend = predict._spend_model(summary)
    assert seen == {"ParetoNBDModel": 500, "GammaGammaModel": 500}
    assert spend is not None
    assert len(chosen.probability_alive(summary)) == len(summary) == 2357


def test_churn_window_covers_the_fit_set_not_everyone_when_that_is_a_sample() -> None:
    features = pd.DataFrame({"frequency": [0, 2, 1, 0, 5]},
                            index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"))
    # everyone fits: no sample, the whole population's tables are read as they are
    assert predict._churn_sample(features, seed=0) is None
    # the fit set is a sample of a bigger population: its buyers, not everyone
    assert list(predict._churn_sample(features, seed=0, everyone=False)) == ["b", "c", "e"]


days = st.integers(min_value=0, max_value=60)
purchases = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d"]), days,
              st.floats(min_value=0, max_value=500, allow_nan=False)),
    min_size=1, max_size=40,
)


@pytest.fixture(scope="module")
def shared_engine() -> Iterator[DuckDBEngine]:
    """One engine for every example below: each replaces its two tables (CREATE OR
    REPLACE) instead of opening an engine of its own."""
    with DuckDBEngine() as engine:
        yield engine


@settings(max_examples=60, deadline=None)
@given(purchases, days, st.one_of(st.none(), st.integers(min_value=1, max_value=30)))
def test_summary_in_the_engine_equals_summary_data(  # noqa: ANN001 - hypothesis's values
        shared_engine: DuckDBEngine, rows, cut: int, holdout) -> None:
    start = datetime(2024, 1, 1)
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    tx["timestamp"] = start + pd.to_timedelta(tx.pop("day"), unit="D") + pd.Timedelta(hours=9)
    as_of = start + timedelta(days=cut)
    end = None if holdout is None else as_of + timedelta(days=holdout)
    engine = shared_engine
    engine.register(s.TRANSACTIONS.name, tx)
    engine.create_table(predict.DAILY_TABLE, predict._daily_sql())
    got = predict.btyd_summary(engine, "TRUE", as_of, end)
    expected = summary_data(
        tx, calibration_end=as_of - timedelta(days=1), time_unit_days=predict.WEEK,
        observation_end=None if end is None else end - timedelta(days=1),
    )
    assert list(got.index) == list(expected.index)
    assert list(got.columns) == list(expected.columns)
    if len(expected):
        np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(float),
                                   rtol=1e-9, atol=1e-6)


def _one_notion(pred: pd.DataFrame) -> None:
    for column in ("p_alive", "churn_risk"):
        values = pred[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column
    incoherent = (pred["p_alive"] >= 0.95) & (pred["churn_risk"] >= 0.9)
    assert not incoherent.any(), pred[incoherent].head()


def _dates_within(pred: pd.DataFrame, as_of: datetime, horizon: int) -> None:
    dates = pd.to_datetime(pred["next_order_date"])
    assert (dates.dropna() >= pd.Timestamp(as_of) - pd.Timedelta(days=1)).all()
    assert (dates.dropna() <= pd.Timestamp(as_of) + pd.Timedelta(days=horizon)).all()


def _drivers_read_right(pred: pd.DataFrame) -> None:
    """Never "missing"; per feature, "high" always with one effect and "low" with the
    other, and every "high" value above every "low" one."""
    phrases = pred["churn_drivers"].dropna().str.split("; ").explode()
    assert not phrases.str.contains("missing").any()
    parsed = phrases.str.extract(r"^(.+) (high|low) \((-?[\d,.]+)\) (raises|lowers) risk$")
    named = parsed.dropna()
    meanings = phrases.str.fullmatch(r"(only one order|fewer than three orders) raises risk")
    assert len(named) + meanings.sum() == len(phrases)
    named = named.assign(value=named[2].str.replace(",", "").astype(float))
    for _, rows in named.groupby(0):
        effects = rows.groupby(1)[3].unique()
        assert all(len(e) == 1 for e in effects), rows.drop_duplicates([1, 3])
        if len(effects) == 2:
            assert effects["high"][0] != effects["low"][0]
            high, low = rows[rows[1] == "high"], rows[rows[1] == "low"]
            assert high["value"].min() > low["value"].max()


def _synthetic(folder: Path, customers: int, seed: int) -> Path:
    """Transactions only, from a process unlike the models' and the demo's: a personal
    jittered cycle and a geometric number of orders."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        gap, t = float(np.exp(rng.uniform(np.log(5), np.log(200)))), rng.uniform(0, 500)
        for _ in range(rng.geometric(rng.uniform(0.05, 0.6))):
            if t < 700:
                rows.append((f"S{c:05d}", datetime(2023, 1, 1) + timedelta(days=t),
                             round(rng.gamma(4, 10), 2)))
            t += gap * rng.gamma(3, 1 / 3)
    tx = pd.DataFrame(rows, columns=[s.CUSTOMER_ID, s.TIMESTAMP, s.AMOUNT])
    tx[s.ORDER_ID] = [f"O{i:07d}" for i in range(len(tx))]
    folder.mkdir(parents=True)
    tx.to_csv(folder / "transactions.csv", index=False, date_format="%Y-%m-%dT%H:%M:%S")
    return folder


@pytest.fixture(scope="module")
def cdnow_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cdnow")
    (folder / "transactions.csv").write_bytes(CDNOW.read_bytes())
    return folder


# whole CDNOW runs (2,357 customers): the quick run keeps the synthetic run below, and
# the corpus runs the 1997-09-30 split with the 273-day holdout on 1,600 CDNOW customers
# (tests/corpus/test_folders.py)
@pytest.mark.slow
@pytest.mark.parametrize("cutoff,horizon,holdout", [
    ("1997-09-30", 273, 273),
    ("1997-03-31", 90, None),  # the corpus runs it too
    (None, 90, None)])
def test_cdnow_predictions_agree_with_each_other(cdnow_folder: Path, cutoff: str | None,
                                                 horizon: int, holdout: int | None) -> None:
    result = run(cdnow_folder, None, cutoff=cutoff, holdout_days=holdout, report=False,
                 settings=Settings(orders_horizon_days=horizon))
    pred = result.predictions
    _one_notion(pred)
    _dates_within(pred, result.as_of, horizon)
    _drivers_read_right(pred)
    record = result.record["metrics"]["predictions"]
    assert record["transaction_model"] == "pareto_nbd"
    assert record["horizon_days"] == horizon
    # a one-time buyer of long ago is not "alive" by construction (BG/NBD gave 1.0)
    features = result.features
    if s.CUSTOMER_ID in features.columns:
        features = features.set_index(s.CUSTOMER_ID)
    old = features[(features["frequency"] == 1) & (features["recency_days"] >= 180)].index
    p_old = pred.set_index(s.CUSTOMER_ID).loc[old, "p_alive"]
    if len(p_old):
        assert p_old.max() < 0.95 and p_old.median() < 0.5
    if holdout:
        hold = record["holdout"]
        for name in ("churn_risk", "p_alive"):
            assert 0 <= hold[name]["brier"] <= 1 and len(hold[name]["bins"]) == 10
        assert hold["baselines"]["bgnbd_p_alive_auc"] < 0.5 < hold["p_alive_auc"]


def test_synthetic_predictions_agree_with_each_other(tmp_path: Path) -> None:
    folder = _synthetic(tmp_path / "synthetic", 600, seed=3)
    result = run(folder, None, cutoff="2024-06-30", holdout_days=90, report=False,
                 settings=Settings(orders_horizon_days=90))
    _one_notion(result.predictions)
    _dates_within(result.predictions, result.as_of, 90)
    _drivers_read_right(result.predictions)
    assert result.record["metrics"]["predictions"]["holdout"]["churn_auc"] > 0.6


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=1,
                max_size=20))
def test_reconciled_p_alive_explains_the_churn_risk(rows: list) -> None:  # noqa: ANN001
    risk, x_share, t_share = (np.array(v) for v in zip(*rows, strict=True))
    model = ParetoNBDModel()
    model.params_ = {"r": 0.6, "alpha": 11.6, "s": 0.5, "beta": 8.8}
    summary = pd.DataFrame({"frequency": np.round(x_share * 10), "T": 1 + 60 * t_share})
    summary["recency"] = np.where(summary["frequency"] > 0, summary["T"] * x_share, 0.0)
    frame = pd.DataFrame({"p_alive": model.probability_alive(summary), "churn_risk": risk},
                         index=summary.index)
    p_alive = predict.reconcile_p_alive(model, summary, frame, 90)
    assert np.all((p_alive >= 0) & (p_alive <= 1))
    quiet = model.no_purchase_if_alive(90 / predict.WEEK, summary)
    most = (1 - risk) / np.maximum(1 - quiet, 1e-12)
    # only the living buy, and the churn risk bounds how alive a customer can be
    assert np.all(p_alive >= 1 - risk - 1e-12) and np.all(p_alive <= most + 1e-12)
    moved = ~np.isclose(p_alive, frame["p_alive"].to_numpy())
    assert np.all(np.isclose(p_alive[moved], 1 - risk[moved])
                  | np.isclose(p_alive[moved], np.minimum(most[moved], 1)))
    # so "alive" and "churning" together need a customer who, alive, rarely buys at all
    both = (p_alive >= 0.95) & (risk >= 0.9)
    assert np.all(1 - quiet[both] <= 0.11)


@pytest.mark.slow  # two whole CDNOW runs
def test_the_churn_risk_is_chosen_without_the_holdout_and_explained(cdnow_folder: Path
                                                                    ) -> None:
    """The candidates are scored on past customers only: with or without --holdout the
    same churn risk is published; when it is not the churn model's own, its drivers
    still read right and name what moves it."""
    runs = [run(cdnow_folder, None, cutoff="1997-09-30", holdout_days=holdout, report=False,
                settings=Settings(orders_horizon_days=273)) for holdout in (273, None)]
    choices = [r.record["metrics"]["predictions"]["churn"]["choice"] for r in runs]
    assert choices[0] == choices[1]
    assert choices[0]["chosen"] in choices[0]["candidates"]
    assert set(choices[0]["candidates"]) == {"lightgbm", "pareto_nbd", "blend"}
    assert choices[0]["validation"].startswith("temporal")
    risks = [r.predictions.set_index(s.CUSTOMER_ID)["churn_risk"] for r in runs]
    pd.testing.assert_series_equal(risks[0], risks[1])
    pred = runs[1].predictions
    _one_notion(pred)
    _drivers_read_right(pred)
    if choices[0]["chosen"] == "pareto_nbd":  # only what moves Pareto/NBD's answer
        phrases = pred["churn_drivers"].dropna().str.split("; ").explode()
        assert phrases.str.match(r"(days since (last|first) order|orders) ").all()


def test_one_day_of_data_is_refused_at_once_with_the_reason(tmp_path: Path) -> None:
    """Every purchase on the data's last day: no time to learn rates from. The fit used
    to wander towards the parameter cap (26 s on 30 customers) and end in "check X"."""
    folder = tmp_path / "one-day"
    folder.mkdir()
    pd.DataFrame({
        s.CUSTOMER_ID: [f"C{i:02d}" for i in range(30)],
        s.ORDER_ID: [f"O{i:02d}" for i in range(30)],
        s.TIMESTAMP: [f"2024-05-01T{8 + i % 10:02d}:00:00" for i in range(30)],
        s.AMOUNT: np.linspace(5, 100, 30).round(2),
    }).to_csv(folder / "transactions.csv", index=False)
    with pytest.raises(InputError, match=r"T = 0.*later cutoff"):
        run(folder, None, report=False)


def test_the_label_window_shortens_to_allow_the_temporal_check_never_below_half() -> None:
    def buyers(tenures: list[float]) -> pd.DataFrame:
        return pd.DataFrame({"frequency": 1.0, "tenure_days": tenures})

    young = buyers([89.0] * predict.OLDER_MIN + [20.0] * 300)  # CDNOW at 1997-03-31
    window = predict.checkable_window(young, 47)
    assert window == 44  # buyers of 89 days bought before as_of - 2 * 44
    assert (young["tenure_days"] > 2 * window).sum() >= predict.OLDER_MIN
    assert predict.checkable_window(buyers([400.0] * 300), 90) == 90  # old enough already
    assert predict.checkable_window(buyers([60.0] * 300), 90) == 90  # would need < half
    assert predict.checkable_window(buyers([89.0] * 10), 47) == 47  # too few buyers
