"""Per-customer text features and the emotion view of customers.

``customer_text_features`` turns the contract's interactions table into one row per
customer; ``emotion_segments`` names customers from those features (and, optionally,
order features) with the readable rules documented on the function.

>>> import pandas as pd
>>> interactions = pd.DataFrame({
...     "customer_id": ["a", "a", "b"],
...     "timestamp": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-02-01"]),
...     "source": ["review", "support", "review"],
...     "text": ["Love it", "Parcel is late again, fed up", "Fine"],
...     "rating": [5, None, 4],
... })
>>> f = customer_text_features(interactions, as_of="2024-03-31")
>>> f[["text_count", "anger_share", "complaint_topic"]]
             text_count  anger_share complaint_topic
customer_id
a                     2          0.5        delivery
b                     1          0.0             NaN
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from .. import schema
from ..errors import MissingColumnError
from ..timewindow import before, in_frame_zone, parse_cutoff
from .emotion import EMOTIONS, NEUTRAL
from .score import SENTIMENT, TOPICS_COLUMN, score_texts
from .topics import TOPICS

__all__ = ["EMOTION_SEGMENTS", "NEGATIVE_BELOW", "customer_text_features", "emotion_segments",
           "score_interactions", "text_features_from_scores"]

NEGATIVE_BELOW = -0.05  # VADER's conventional neutral band is [-0.05, 0.05]
POSITIVE_ABOVE = 0.05
SUPPORT_SOURCES = (schema.SUPPORT, schema.CHAT)
EMOTION_SEGMENTS = ("Delighted advocates", "Quietly satisfied", "Neutral",
                    "Frustrated loyalists", "Angry at risk", "Disappointed", "Silent")
_REQUIRED = (schema.CUSTOMER_ID, schema.TIMESTAMP, schema.SOURCE, schema.TEXT)


def _check_columns(frame: pd.DataFrame) -> None:
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise MissingColumnError(schema.INTERACTIONS.name, "<frame>", missing,
                                 [str(c) for c in frame.columns])


def _up_to(frame: pd.DataFrame, as_of: str | datetime | pd.Timestamp) -> pd.DataFrame:
    # a datetime is the window's end itself, text a cutoff (a date includes its day)
    stamps = pd.to_datetime(frame[schema.TIMESTAMP])
    frame = frame.assign(**{schema.TIMESTAMP: stamps})
    return frame[before(frame[schema.TIMESTAMP], parse_cutoff(as_of))]


def score_interactions(interactions: pd.DataFrame, *, n_jobs: int | None = None,
                       scrubbed: bool = False, presorted: bool = False) -> pd.DataFrame:
    """Customer, time and source of each interaction with its text scores, sorted by
    customer and time: score once, then :func:`text_features_from_scores` at several
    as-of dates. ``n_jobs`` and ``scrubbed`` as in
    :func:`~shopperlens.text.score.score_texts`; ``presorted``: the rows come in that
    order already (SQL sorts in parallel; pandas takes 2 s for 2.6M rows). The texts
    themselves are left out: features need only their scores (and 2.6M texts at 1M
    customers hold 0.5 GB)."""
    _check_columns(interactions)
    frame = interactions.assign(
        **{schema.TIMESTAMP: pd.to_datetime(interactions[schema.TIMESTAMP])}
    )
    if not presorted:
        frame = frame.sort_values([schema.CUSTOMER_ID, schema.TIMESTAMP], kind="stable")
    ratings = frame[schema.RATING].tolist() if schema.RATING in frame.columns else None
    scores = score_texts(frame[schema.TEXT], ratings, n_jobs=n_jobs, scrubbed=scrubbed,
                         with_text=False).set_axis(frame.index)
    return pd.concat([frame[[schema.CUSTOMER_ID, schema.TIMESTAMP, schema.SOURCE]], scores],
                     axis=1)


def _argmax_label(counts: pd.Series, labels: tuple[str, ...], index: pd.Index) -> pd.Series:
    """Most frequent label per customer from (customer, label) counts; ties go to the
    label listed first; NaN for customers without any."""
    if counts.empty:
        return pd.Series(np.nan, index=index, dtype=object)
    table = counts.unstack(fill_value=0).reindex(columns=list(labels), fill_value=0)
    best = table.idxmax(axis=1).where(table.max(axis=1) > 0)
    return best.reindex(index)


def _label_counts(customers: pd.Series, labels: pd.Series) -> pd.Series:
    """Rows per (customer, label), grouped on the labels' codes: they are few and
    repeat millions of times."""
    label = pd.Categorical(labels)
    return pd.Series(1, index=customers.index).groupby(
        [customers.to_numpy(), label], observed=True).size()


def _trend(scored: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    """Mean sentiment after ``cutoff`` minus mean sentiment up to it (NaN if one is empty)."""
    recent = scored[schema.TIMESTAMP] > cutoff
    by_recent = scored[recent].groupby(schema.CUSTOMER_ID)[SENTIMENT].mean()
    by_earlier = scored[~recent].groupby(schema.CUSTOMER_ID)[SENTIMENT].mean()
    return by_recent.sub(by_earlier)


def _emotion_and_topic(scored: pd.DataFrame, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    cid = schema.CUSTOMER_ID
    emotional = scored[scored["dominant_emotion"] != NEUTRAL]
    emotion = _argmax_label(_label_counts(emotional[cid], emotional["dominant_emotion"]),
                            EMOTIONS, index)
    negative = scored.loc[scored[SENTIMENT] < NEGATIVE_BELOW, [cid, TOPICS_COLUMN]]
    # ";"-joined topics: split each distinct value once, then spread them by code
    codes, joined = pd.factorize(negative[TOPICS_COLUMN].fillna(""))
    pairs = pd.DataFrame([(k, topic) for k, value in enumerate(joined)
                          for topic in value.split(";") if topic], columns=["_k", "_topic"])
    topics = pd.DataFrame({cid: negative[cid].to_numpy(), "_k": codes}).merge(pairs, on="_k")
    topic = _argmax_label(_label_counts(topics[cid], topics["_topic"]), TOPICS, index)
    emotion = pd.Categorical(emotion.fillna(NEUTRAL), categories=[*EMOTIONS, NEUTRAL])
    return (pd.Series(emotion, index=index),
            pd.Series(pd.Categorical(topic, categories=list(TOPICS)), index=index))


def customer_text_features(interactions: pd.DataFrame, *,
                           as_of: str | datetime | pd.Timestamp,
                           trend_days: int = 90) -> pd.DataFrame:
    """Sentiment, emotion and complaint features per customer from their texts.

    Parameters
    ----------
    interactions
        The contract's interactions table: ``customer_id``, ``timestamp``, ``source``,
        ``text`` and optional ``rating`` (1-5). Only rows before the window's end count.
    as_of
        End of the observation window (passed in, never "now"), excluded: a datetime
        is the end itself, a date string includes its whole day
        (:mod:`shopperlens.timewindow`).
    trend_days
        ``sentiment_trend`` compares texts in the last ``trend_days`` before ``as_of``
        with earlier ones.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (customers with at least one text in the window):
        ``text_count``; ``sentiment_mean`` and ``sentiment_latest`` in [-1, 1];
        ``sentiment_trend`` = mean sentiment of the last ``trend_days`` minus mean
        sentiment before them (NaN unless both periods have texts; positive means
        warming up); ``negative_support_share`` = share of support and chat texts with
        sentiment below -0.05 (NaN without support contacts); ``anger_share`` = share
        of texts whose dominant emotion is anger; ``dominant_emotion`` (categorical:
        most frequent non-neutral dominant emotion, else "neutral"); and
        ``complaint_topic`` (categorical: most frequent topic among negative texts,
        NaN if none).

    Raises
    ------
    MissingColumnError
        When a required column is absent.
    """
    _check_columns(interactions)
    scored = score_interactions(_up_to(interactions, as_of))
    return text_features_from_scores(scored, as_of=as_of, trend_days=trend_days)


def text_features_from_scores(scored: pd.DataFrame, *,
                              as_of: str | datetime | pd.Timestamp,
                              trend_days: int = 90) -> pd.DataFrame:
    """:func:`customer_text_features` from :func:`score_interactions` rows (those after
    ``as_of`` are ignored)."""
    scored = _up_to(scored, as_of)
    cid = schema.CUSTOMER_ID
    # grouped by integer codes: each groupby on the text ids would factorise them anew
    codes, customers = pd.factorize(scored[cid], sort=True)
    scored = scored.assign(**{cid: codes})
    groups = scored.groupby(cid, sort=True)
    out = pd.DataFrame({"text_count": groups.size()})
    out.index.name = cid
    out["sentiment_mean"] = groups[SENTIMENT].mean()
    out["sentiment_latest"] = scored.dropna(subset=[SENTIMENT]).groupby(cid)[SENTIMENT].last()
    end = in_frame_zone(scored[schema.TIMESTAMP], parse_cutoff(as_of))
    cutoff = end - pd.Timedelta(days=trend_days)
    out["sentiment_trend"] = _trend(scored, cutoff)
    support = scored[scored[schema.SOURCE].isin(SUPPORT_SOURCES)]
    out["negative_support_share"] = (support[SENTIMENT] < NEGATIVE_BELOW).groupby(
        support[cid]).mean()
    out["anger_share"] = (scored["dominant_emotion"] == "anger").groupby(scored[cid]).mean()
    out["dominant_emotion"], out["complaint_topic"] = _emotion_and_topic(scored, out.index)
    out.index = pd.Index(customers.take(out.index), name=cid)
    return out


def emotion_segments(text_features: pd.DataFrame, order_features: pd.DataFrame | None = None,
                     *, loyal_orders: int = 3, delighted_above: float = 0.5,
                     angry_share: float = 0.25) -> pd.Series:
    """Name customers by how they feel, with rules a marketer can read.

    The first rule that holds wins:

    1. **Silent**: no texts (customers only in ``order_features`` are Silent too).
    2. **Frustrated loyalists**: mean sentiment below -0.05 but ``frequency`` (orders, from
       ``order_features``) of at least ``loyal_orders``: unhappy, yet still buying.
    3. **Angry at risk**: mean sentiment below -0.05 and anger dominates (``anger_share``
       of at least ``angry_share`` or dominant emotion anger).
    4. **Disappointed**: any other mean sentiment below -0.05.
    5. **Delighted advocates**: mean sentiment of at least ``delighted_above`` with joy or
       trust as dominant emotion.
    6. **Quietly satisfied**: mean sentiment above 0.05.
    7. **Neutral**: the rest.

    Parameters
    ----------
    text_features
        Output of :func:`customer_text_features`.
    order_features
        Optional per-customer order features indexed by ``customer_id`` with a
        ``frequency`` column; without it nobody is a Frustrated loyalist.

    Returns
    -------
    pandas.Series
        Categorical (categories :data:`EMOTION_SEGMENTS`) named ``emotion_segment``,
        indexed by the union of both inputs' customers.

    Examples
    --------
    >>> tf = pd.DataFrame({"text_count": [2, 1, 3], "sentiment_mean": [0.8, -0.6, -0.4],
    ...                    "anger_share": [0.0, 1.0, 0.0],
    ...                    "dominant_emotion": ["joy", "anger", "sadness"]},
    ...                   index=pd.Index(["a", "b", "c"], name="customer_id"))
    >>> orders = pd.DataFrame({"frequency": [1, 1, 9, 4]},
    ...                       index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
    >>> emotion_segments(tf, orders).tolist()
    ['Delighted advocates', 'Angry at risk', 'Frustrated loyalists', 'Silent']
    """
    index = text_features.index
    if order_features is not None:
        index = index.union(order_features.index)
    tf = text_features.reindex(index)
    mean = tf["sentiment_mean"].to_numpy(dtype=float)
    count = tf["text_count"].fillna(0).to_numpy(dtype=float)
    emotion = tf["dominant_emotion"].astype(object).to_numpy()
    frequency = (order_features["frequency"].reindex(index).fillna(0).to_numpy(dtype=float)
                 if order_features is not None else np.zeros(len(index)))
    negative = mean < NEGATIVE_BELOW
    angry = (tf["anger_share"].fillna(0).to_numpy(dtype=float) >= angry_share) | (
        emotion == "anger")
    conditions = [
        (count == 0) | np.isnan(mean),
        negative & (frequency >= loyal_orders),
        negative & angry,
        negative,
        (mean >= delighted_above) & np.isin(emotion, ["joy", "trust"]),
        mean > POSITIVE_ABOVE,
    ]
    names = ["Silent", "Frustrated loyalists", "Angry at risk", "Disappointed",
             "Delighted advocates", "Quietly satisfied"]
    labels = np.select(conditions, names, default="Neutral")
    return pd.Series(pd.Categorical(labels, categories=list(EMOTION_SEGMENTS)), index=index,
                     name="emotion_segment")
