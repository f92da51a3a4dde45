"""Issue 6: on demo data, angry tickets carry a higher churn risk.

We run the batch pipeline on demo data, keep the churn model it fitted, and score pairs
of real customers that are identical in every feature except what their tickets say:
one "angry" copy (negative sentiment, every contact angry and negative) and one "calm"
copy (neutral, non-angry text). The model must rank the angry copy as riskier on
average, and the text features must carry part of its learnt signal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shopperlens
from shopperlens import demo
from shopperlens.batch.steps import predictions as predictions_step

pytestmark = pytest.mark.slow  # a whole pipeline run of 2,500 customers

TEXT = ["sentiment_mean", "sentiment_latest", "anger_share", "negative_support_share"]
ANGRY = {
    "sentiment_mean": -0.8,
    "sentiment_latest": -0.8,
    "anger_share": 1.0,
    "negative_support_share": 1.0,
    "sentiment_trend": 0.0,
}
CALM = {
    "sentiment_mean": 0.0,
    "sentiment_latest": 0.0,
    "anger_share": 0.0,
    "negative_support_share": 0.0,
    "sentiment_trend": 0.0,
}


@pytest.fixture(scope="module")
def fitted(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[object, pd.DataFrame]:
    folder: Path = tmp_path_factory.mktemp("text_churn")
    demo.write(demo.generate(2500, seed=11), folder, fmt="parquet")
    captured = {}
    original = predictions_step.fit_predictor

    def spy(*args, **kwargs):  # keep the churn model the run fitted
        out = original(*args, **kwargs)
        captured["model"] = out.churn
        return out

    mp = pytest.MonkeyPatch()
    mp.setattr(predictions_step, "fit_predictor", spy)
    try:
        result = shopperlens.run(folder, report=False)
    finally:
        mp.undo()
    assert captured.get("model") is not None, result.record.get("metrics")
    return captured["model"], result.features


def test_churn_model_uses_text_features(fitted: tuple[object, pd.DataFrame]) -> None:
    model, _ = fitted
    names = list(model.feature_names_in_)
    importance = dict(zip(names, np.asarray(model.feature_importances_, dtype=float), strict=True))
    text = [c for c in TEXT if c in importance]
    assert text, f"no text feature reaches the churn model: {names}"
    assert sum(importance[c] for c in text) > 0.02 * sum(importance.values())


def test_angry_tickets_raise_churn_risk(fitted: tuple[object, pd.DataFrame]) -> None:
    model, features = fitted
    names = list(model.feature_names_in_)
    buyers = features[features["frequency"] > 0][names].astype(float)
    angry, calm = buyers.copy(), buyers.copy()
    for column in names:
        if column in ANGRY:
            angry[column] = ANGRY[column]
            calm[column] = CALM[column]
    p_angry = model.predict_proba(angry)[:, 1]
    p_calm = model.predict_proba(calm)[:, 1]
    diff = p_angry - p_calm
    assert len(diff) >= 500
    assert diff.mean() > 0.02, diff.mean()
    assert np.mean(diff > 0) > np.mean(diff < 0)


def test_blocks_of_buyers_score_as_all_at_once(
    fitted: tuple[object, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shopperlens.batch import predict

    model, features = fitted
    whole = predict._churn_frame(model, features)
    monkeypatch.setattr(predict, "SCORE_BLOCK", 333)  # several blocks, the last one short
    pd.testing.assert_frame_equal(predict._churn_frame(model, features), whole)
    assert len(whole) == int((features["frequency"] > 0).sum()) > 3 * 333
