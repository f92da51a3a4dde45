from __future__ import annotations

import pytest

from shopperlens.text.emotion import EMOTIONS, dominant_emotion, emotion_one, score_emotions
from shopperlens.text.topics import TOPICS, score_topics, topics_one


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("So happy with my new boots!", "joy"),
        ("Reliable seller, arrived on time as described", "trust"),
        ("Absolutely furious, still waiting for my refund", "anger"),
        ("Really disappointed, they fell apart", "sadness"),
        ("Worried the charger overheats, is it safe?", "fear"),
        ("Wow, did not expect it so soon", "surprise"),
        ("Order number 123", "neutral"),
        ("Not happy at all", "sadness"),
        ("I can't trust this shop", "anger"),
    ],
)
def test_dominant_emotion(text: str, emotion: str) -> None:
    assert dominant_emotion(text) == emotion


def test_emotion_scores_exact() -> None:
    scores = emotion_one("I love it and I'm happy")
    assert scores["joy"] == pytest.approx(4 / 5)
    assert set(scores) == set(EMOTIONS)
    assert all(scores[e] == 0 for e in EMOTIONS if e != "joy")


def test_score_emotions_frame() -> None:
    frame = score_emotions(["Love it", None])
    assert list(frame.columns) == [*EMOTIONS, "dominant_emotion"]
    assert frame["joy"].tolist() == pytest.approx([2 / 3, 0.0])
    assert frame["dominant_emotion"].tolist() == ["joy", "neutral"]


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("The courier left my parcel in the rain", ["delivery"]),
        ("Stitching came loose after one wash", ["product quality", "sizing"]),
        ("Way too expensive for what it is", ["price"]),
        ("Customer service was rude on the phone", ["service"]),
        ("Still waiting for my refund", ["returns"]),
        ("Runs small, order a size up", ["sizing"]),
        ("Sold out again, when will you restock?", ["stock"]),
        ("Lovely colour", []),
    ],
)
def test_topics(text: str, topics: list[str]) -> None:
    assert topics_one(text) == topics


def test_score_topics_joins_in_order() -> None:
    assert score_topics(["refund for the late parcel", None]) == ["delivery;returns", ""]
    assert TOPICS == ("delivery", "product quality", "price", "service", "returns", "sizing",
                      "stock")
