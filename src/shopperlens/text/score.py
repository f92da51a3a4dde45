"""One call that turns raw texts into a scored, scrubbed frame.

>>> frame = score_texts(["Love it! Mail me at jo@example.com", "Parcel arrived late"])
>>> frame[["text", "dominant_emotion", "topics"]].values.tolist()
[['Love it! Mail me at <EMAIL>', 'joy', ''], ['Parcel arrived late', 'neutral', 'delivery']]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import schema
from ._columns import as_list
from .emotion import score_emotions
from .scrub import scrub
from .sentiment import blend_rating, score_sentiment
from .topics import score_topics

__all__ = ["SENTIMENT", "TOPICS_COLUMN", "score_texts"]

SENTIMENT = "sentiment"
TOPICS_COLUMN = "topics"


def score_texts(texts: Sequence[str | None], ratings: Sequence[float | None] | None = None,
                *, rating_weight: float = 0.5) -> pd.DataFrame:
    """Scrub, then score sentiment, emotions and topics for each text.

    Parameters
    ----------
    texts
        Free texts (reviews, support messages, posts) as a list or any column (pandas,
        NumPy, Arrow); ``None`` is allowed.
    ratings
        Optional 1-5 stars per text (NaN where unknown), blended into ``sentiment``.
    rating_weight
        Weight of the stars where both stars and text exist (see
        :func:`~shopperlens.text.sentiment.blend_rating`).

    Returns
    -------
    pandas.DataFrame
        One row per text, default index: ``text`` (scrubbed), ``sentiment`` in [-1, 1],
        one column per emotion in [0, 1), ``dominant_emotion`` and ``topics``
        (";"-joined, ``""`` when none). Scoring runs on the scrubbed text, so
        placeholders never carry sentiment.

    Examples
    --------
    >>> score_texts(["Too small, sending it back"], ratings=[2])["sentiment"].round(3).tolist()
    [-0.556]
    """
    # Scrub and score each distinct text once and spread the results with C-level takes:
    # interaction texts repeat (templates, "Where is my order?"), and scrubbing can make
    # more of them equal. Missing texts keep their own value and score as missing.
    raw = pd.Series(as_list(texts), dtype=object)
    raw_codes, raw_uniques = pd.factorize(raw, use_na_sentinel=True)
    scrubbed, _ = scrub(raw_uniques.tolist())
    codes, uniques = pd.factorize(pd.Series(scrubbed, dtype=object), use_na_sentinel=True)
    distinct = [*uniques.tolist(), None]  # the last slot scores as missing
    codes = np.append(codes, len(distinct) - 1).take(raw_codes)  # raw -1 -> last slot
    clean = np.asarray(scrubbed + [None], dtype=object).take(raw_codes)
    missing = raw_codes < 0
    clean[missing] = raw.to_numpy()[missing]
    frame = pd.DataFrame({schema.TEXT: clean.tolist()})
    text_score = score_sentiment(distinct).take(codes)
    frame[SENTIMENT] = (text_score if ratings is None else
                        blend_rating(text_score, _numbers(ratings), rating_weight))
    emotions = score_emotions(distinct)
    for column in emotions.columns:
        frame[column] = emotions[column].to_numpy().take(codes)
    frame[TOPICS_COLUMN] = np.asarray(score_topics(distinct), dtype=object).take(codes)
    return frame


def _numbers(values: Sequence[float | None]) -> np.ndarray:
    return pd.to_numeric(pd.Series(as_list(values)), errors="coerce").to_numpy(dtype=float)
