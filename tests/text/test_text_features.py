from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import shopperlens.text as text_api
from shopperlens import schema
from shopperlens.errors import MissingColumnError
from shopperlens.text import (
    customer_text_features,
    emotion_segments,
    score_interactions,
    score_texts,
    sentiment_one,
)


@pytest.fixture
def interactions() -> pd.DataFrame:
    return pd.DataFrame({
        schema.CUSTOMER_ID: ["a", "a", "a", "b", "b", "c"],
        schema.TIMESTAMP: pd.to_datetime(["2024-01-01", "2024-05-01", "2024-06-20",
                                          "2024-06-01", "2024-07-15", "2024-06-10"]),
        schema.SOURCE: [schema.REVIEW, schema.SUPPORT, schema.SUPPORT, schema.REVIEW,
                        schema.REVIEW, schema.CHAT],
        schema.TEXT: ["Love it", "Parcel is late, I'm furious", "Still no refund, angry",
                      "Great value", "after as_of, ignored", "Thanks, all sorted"],
        schema.RATING: [5, None, None, 4, 1, None],
    })


def test_customer_text_features_exact(interactions: pd.DataFrame) -> None:
    f = customer_text_features(interactions, as_of="2024-06-30", trend_days=90)
    assert f.index.tolist() == ["a", "b", "c"] and f.index.name == schema.CUSTOMER_ID
    assert f["text_count"].tolist() == [3, 1, 1]
    s_love = 0.5 * sentiment_one("Love it") + 0.5
    s_late = sentiment_one("Parcel is late, I'm furious")
    s_refund = sentiment_one("Still no refund, angry")
    assert f.loc["a", "sentiment_mean"] == pytest.approx((s_love + s_late + s_refund) / 3)
    assert f.loc["a", "sentiment_latest"] == pytest.approx(s_refund)
    # recent (after 2024-04-01): late + refund; earlier: love
    assert f.loc["a", "sentiment_trend"] == pytest.approx((s_late + s_refund) / 2 - s_love)
    assert np.isnan(f.loc["b", "sentiment_trend"])
    assert f["negative_support_share"].tolist()[0] == 1.0
    assert np.isnan(f.loc["b", "negative_support_share"])
    assert f.loc["c", "negative_support_share"] == 0.0
    assert f["anger_share"].tolist() == pytest.approx([2 / 3, 0.0, 0.0])
    assert f["dominant_emotion"].tolist() == ["anger", "joy", "trust"]
    assert f["complaint_topic"].tolist()[0] == "delivery"
    assert isinstance(f["complaint_topic"].dtype, pd.CategoricalDtype)


def test_rows_after_as_of_are_ignored(interactions: pd.DataFrame) -> None:
    f = customer_text_features(interactions, as_of="2024-06-30")
    g = customer_text_features(interactions.iloc[[0, 1, 2, 3, 5]], as_of="2024-06-30")
    pd.testing.assert_frame_equal(f, g)


def test_row_order_does_not_matter(interactions: pd.DataFrame) -> None:
    f = customer_text_features(interactions, as_of="2024-06-30")
    g = customer_text_features(interactions.iloc[::-1], as_of="2024-06-30")
    pd.testing.assert_frame_equal(f, g)


def test_presorted_rows_are_scored_in_the_order_given(interactions: pd.DataFrame) -> None:
    shuffled = interactions.iloc[[5, 3, 0, 4, 2, 1]].reset_index(drop=True)
    scored = score_interactions(shuffled)
    ordered = shuffled.sort_values([schema.CUSTOMER_ID, schema.TIMESTAMP], kind="stable")
    pd.testing.assert_frame_equal(score_interactions(ordered, presorted=True), scored)
    assert not score_interactions(shuffled, presorted=True).equals(scored)


def test_missing_column_is_named(interactions: pd.DataFrame) -> None:
    with pytest.raises(MissingColumnError, match="'text'"):
        customer_text_features(interactions.drop(columns=[schema.TEXT]), as_of="2024-06-30")


def test_emotion_segments(interactions: pd.DataFrame) -> None:
    f = customer_text_features(interactions, as_of="2024-06-30")
    orders = pd.DataFrame({"frequency": [1, 2, 1, 5]},
                          index=pd.Index(["a", "b", "c", "d"], name=schema.CUSTOMER_ID))
    seg = emotion_segments(f, orders)
    assert seg.to_dict() == {"a": "Angry at risk", "b": "Delighted advocates",
                             "c": "Quietly satisfied", "d": "Silent"}
    orders.loc["a", "frequency"] = 6
    assert emotion_segments(f, orders)["a"] == "Frustrated loyalists"
    assert emotion_segments(f).index.tolist() == ["a", "b", "c"]


def test_score_texts_columns() -> None:
    frame = score_texts(["Love it, mail me at a@b.com", None])
    assert list(frame.columns) == [schema.TEXT, "sentiment", *text_api.EMOTIONS,
                                   "dominant_emotion", "topics"]
    assert frame[schema.TEXT].tolist()[0] == "Love it, mail me at <EMAIL>"
    assert np.isnan(frame["sentiment"][1]) and frame["topics"][1] == ""


def test_public_api_sorted_and_complete() -> None:
    assert text_api.__all__ == sorted(text_api.__all__)
    assert all(hasattr(text_api, name) for name in text_api.__all__)
