"""The fast paths give exactly what the plain definitions give.

Speed-ups in the text core (a look-ahead in the PII expression, lower-cased topic rules,
token caches, scoring each distinct text once, columns as input) must not change a
single result; these tests compare them with the plain forms on generated text.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.text import (
    emotion_one,
    score_emotions,
    score_sentiment,
    score_texts,
    score_topics,
    scrub,
    sentiment_one,
    topics_one,
)
from shopperlens.text.emotion import _dominant

scrub_module = importlib.import_module("shopperlens.text.scrub")
topics_module = importlib.import_module("shopperlens.text.topics")

PIECES = ["Call", "me", "on", "07700", "900123", "+44", "20", "7946", "0958", "(415)",
          "555-0132", "jo@example.com", "a.b+c@shop.co.uk", "@", "www.shop.example/x?id=9",
          "https://t.co/AbC123xyz", "4111", "1111", "GB82", "WEST", "1234", "5698", "7654",
          "32", "12", "Baker", "Street,", "NW1", "6XE", "CA", "94105", "Order", "123456",
          "£25", "Delivery", "LATE", "refund", "too", "small", "stock", "Ä", "é", "İ", "K",
          "ſize", "returned", "it", "didn't", "work", "not", "great", "but", "fits", "!"]
texts = st.lists(st.sampled_from(PIECES), max_size=14).map(" ".join)


def _plain_scrub(text: str) -> str:
    """The scrubber with its expression minus the start look-ahead."""
    plain = re.compile(scrub_module._PATTERN.pattern.removeprefix(scrub_module._START))
    original = scrub_module._PATTERN
    scrub_module._PATTERN = plain
    try:
        return scrub_module._replace(text, Counter())
    finally:
        scrub_module._PATTERN = original


@settings(max_examples=300, deadline=None)
@given(texts)
def test_scrub_look_ahead_changes_nothing(text: str) -> None:
    assert scrub([text])[0][0] == _plain_scrub(text)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_lower_cased_topic_rules_match_ignorecase(text: str) -> None:
    assert topics_module._LOWER_RULES is not None
    assert topics_one(text) == [t for t, r in topics_module._RULES.items() if r.search(text)]


# Topic words glued to word characters, digits, apostrophes and non-ASCII letters, to
# probe the word boundaries RE2 consumes where ``re`` looks around.
TOPIC_PIECES = ["late", "on time", "back in stock", "in stock", "send it back", "£5", "$12",
                "doesn't work", "works well", "Sizes", "runs small", "_", "x", "9", "'",
                "-", ".", "\n", "é", "Ä", "ſize", "K", "KELVIN", "Refund", "SALE!"]
glued = st.lists(st.sampled_from(TOPIC_PIECES), max_size=10).flatmap(
    lambda parts: st.lists(st.sampled_from(["", " ", ", "]), min_size=len(parts),
                           max_size=len(parts)).map(
        lambda seps: "".join(p + sep for p, sep in zip(parts, seps, strict=True))))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(glued, texts, st.none()), max_size=12))
def test_topic_column_equals_text_by_text(batch: list[str | None]) -> None:
    expected = [";".join(topics_one(t)) if t is not None else "" for t in batch]
    assert score_topics(batch) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(texts, st.none()), max_size=12))
def test_batches_equal_one_by_one(batch: list[str | None]) -> None:
    batch = batch + batch[:3]  # repeated texts are scored once and spread
    frame = score_texts(batch)
    clean = [scrub([t])[0][0] for t in batch]
    one = [sentiment_one(t) if t is not None else np.nan for t in clean]
    np.testing.assert_array_equal(frame["sentiment"].to_numpy(), one)
    emotions = [emotion_one(t if t is not None else "") for t in clean]
    assert frame["dominant_emotion"].tolist() == [_dominant(e) for e in emotions]
    assert frame["topics"].tolist() == [";".join(topics_one(t)) if t else "" for t in clean]
    pd.testing.assert_frame_equal(score_emotions(clean), frame[score_emotions([]).columns])


def test_columns_are_accepted() -> None:
    values = ["Love it, mail jo@example.com", None, "Arrived broken"]
    as_list = score_texts(values, ratings=[5, None, 1])
    for column in (pd.Series(values), pa.array(values), pa.chunked_array([values[:1],
                                                                          values[1:]])):
        pd.testing.assert_frame_equal(score_texts(column, ratings=pd.Series([5, None, 1])),
                                      as_list)
        # a missing value stays missing (pandas spells it NaN)
        assert [None if pd.isna(t) else t for t in scrub(column)[0]] == scrub(values)[0]
    np.testing.assert_array_equal(score_sentiment(pa.array(values)), score_sentiment(values))


def test_scrub_does_not_change_the_input_list() -> None:
    values = ["mail jo@example.com"]
    assert scrub(values)[0] == ["mail <EMAIL>"] and values == ["mail jo@example.com"]


@pytest.mark.slow  # starts worker processes, each importing the package
def test_parallel_scoring_equals_serial(monkeypatch) -> None:  # noqa: ANN001 - pytest fixture
    score_module = importlib.import_module("shopperlens.text.score")
    monkeypatch.setattr(score_module, "PARALLEL_MIN_TEXTS", 2)  # chunk even a small batch
    batch = ["Love it", "Parcel late again, fed up", None, "Call me on 07700 900123",
             "Arrived broken", "Love it", "Great value"]
    pd.testing.assert_frame_equal(score_texts(batch, n_jobs=2), score_texts(batch))


def test_scrubbed_texts_are_scored_as_given() -> None:
    raw = ["Mail jo@example.com, it arrived broken", "Fine", None]
    clean = scrub(raw)[0]
    pd.testing.assert_frame_equal(score_texts(clean, scrubbed=True), score_texts(raw))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(texts, st.none()), max_size=12), st.booleans())
def test_arrow_columns_and_no_text_column_change_no_score(batch: list[str | None],
                                                          scrubbed: bool) -> None:
    batch = batch + batch[:3]
    plain = score_texts(batch, scrubbed=scrubbed)
    # Arrow strings (pandas 3's "str"; spelt out for pandas 2): factorised in C++
    column = pd.Series(batch, dtype=pd.StringDtype("pyarrow"))
    assert isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow"
    lean = score_texts(column, scrubbed=scrubbed, with_text=False)
    pd.testing.assert_frame_equal(lean, plain.drop(columns="text"))
