"""A small synthetic run (no pipeline, no files) that the report tests render.

Three planted groups of buyers plus a few customers without purchases; the segment
model and RFM grid are fitted for real, so every fitted attribute the report reads is
the genuine article.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.batch.result import RunResult
from shopperlens.batch.segments import NO_PURCHASE_ID, NO_PURCHASE_NAME, fit_segment_model
from shopperlens.config import Settings
from shopperlens.ingest import TableQuality

AS_OF = datetime(2025, 12, 31)
# per group: recency, frequency, monetary (mean), store share, app share, discount share
GROUPS = {
    "loyal": (20, 18, 2500, 0.8, 0.05, 0.02),
    "deal": (150, 2, 150, 0.1, 0.05, 0.6),
    "app": (40, 8, 600, 0.05, 0.9, 0.02),
}


def make_features(n_per_group: int, seed: int, n_without_orders: int = 12) -> pd.DataFrame:
    """Features of ``3 * n_per_group`` buyers and some customers without orders."""
    rng = np.random.default_rng(seed)
    parts = []
    for recency, freq, spend, store, app, disc in GROUPS.values():
        n = n_per_group
        frequency = np.maximum(1, rng.poisson(freq, n)).astype(float)
        monetary = rng.lognormal(np.log(spend), 0.3, n)
        parts.append(pd.DataFrame({
            "recency_days": rng.gamma(2.0, recency / 2.0, n),
            "frequency": frequency,
            "monetary": monetary,
            "tenure_days": rng.uniform(100, 700, n),
            "avg_order_value": monetary / frequency,
            "discount_share": np.clip(rng.normal(disc, 0.05, n), 0, 1),
            "store_share": np.clip(rng.normal(store, 0.08, n), 0, 1),
            "app_share": np.clip(rng.normal(app, 0.08, n), 0, 1),
            "top_category": rng.choice(["shoes", "dresses", "bags"], n),
        }))
    none = pd.DataFrame({"frequency": np.zeros(n_without_orders),
                         "monetary": np.zeros(n_without_orders),
                         "top_category": [None] * n_without_orders})
    frame = pd.concat([*parts, none], ignore_index=True)
    frame.index = pd.Index([f"C{i:06d}" for i in range(len(frame))], name=s.CUSTOMER_ID)
    return frame


def quality() -> dict[str, TableQuality]:
    q = TableQuality("transactions", "transactions.csv", 1010, 1000, 10,
                     rejected_by_reason={"amount is not a number": 7, "missing order_id": 3},
                     date_min="2024-01-01T08:00:00", date_max="2025-12-30T21:00:00")
    return {"transactions": q}


def assign(model: SavedSegmentModel, features: pd.DataFrame) -> pd.DataFrame:
    """The segments table as the pipeline writes it (built here so these tests do not
    depend on the pipeline's own assignment code)."""
    buyers = (features["frequency"] > 0).to_numpy()
    seg = model.segment_model
    ids = np.full(len(features), NO_PURCHASE_ID)
    ids[buyers] = seg.predict(model.matrix(features[buyers]))
    names = [seg.names_.get(int(i), NO_PURCHASE_NAME) for i in ids]
    return pd.DataFrame({
        s.CUSTOMER_ID: features.index, s.SEGMENT_ID: ids, s.SEGMENT_NAME: names,
        s.RFM_SEGMENT: model.rfm.predict(features), s.SEGMENT_REASON: "",
    })


def make_result(n_per_group: int = 120, seed: int = 0) -> RunResult:
    """A fitted synthetic run without predictions or text features."""
    features = make_features(n_per_group, seed)
    model = fit_segment_model(features, settings=Settings(max_segments=4, seed=seed), as_of=AS_OF)
    segments = assign(model, features)
    profiles = model.segment_model.profiles_.copy()
    record = {
        "seed": seed,
        "versions": {"python": "3.x", "shopperlens": "0.1.0"},
        "parameters": {"as_of": AS_OF.isoformat(), "settings": {"seed": seed}},
        "row_counts": {"customers_excluded_no_consent": 0},
        "timings_s": {"ingest": 0.1, "features": 0.2, "segmentation": 1.5},
        "metrics": {},
    }
    return RunResult(None, AS_OF, features, segments, profiles, None, quality(), model, record)


def with_predictions_and_text(result: RunResult, seed: int = 0) -> RunResult:
    """The same run with predictions, a holdout record and text features added."""
    rng = np.random.default_rng(seed)
    ids = result.features.index
    n = len(ids)
    predictions = pd.DataFrame({
        s.CUSTOMER_ID: ids,
        "p_alive": rng.uniform(0.1, 1.0, n),
        "expected_orders_90d": rng.gamma(1.0, 1.0, n),
        "expected_clv_365d": rng.gamma(2.0, 100.0, n),
        "churn_risk": rng.uniform(0, 1, n),
        "next_order_date": pd.Timestamp("2026-02-01"),
        "churn_drivers": "recency",
    })
    features = result.features.assign(
        sentiment_mean=rng.uniform(-1, 1, n),
        dominant_emotion=rng.choice(["joy", "anger", "trust"], n),
    )
    # as shopperlens.predict records them
    deciles = [{"decile": i, "predicted": float(i), "actual": float(i) + 0.3} for i in range(10)]
    record = {**result.record, "metrics": {"predictions": {
        "transaction_model": "bg_nbd",
        "holdout": {"days": 90, "mae_orders": 0.42, "calibration_by_decile": deciles},
        "churn": {"auc": 0.81, "brier": 0.17, "features": ["recency_days"]},
    }}}
    return dataclasses.replace(result, predictions=predictions, features=features, record=record)


@pytest.fixture(scope="session")
def result() -> RunResult:
    return make_result()


@pytest.fixture(scope="session")
def full_result(result: RunResult) -> RunResult:
    return with_predictions_and_text(result)
