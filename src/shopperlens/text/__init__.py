"""Text core: PII scrubbing, sentiment, emotions, topics and per-customer text features.

Everything here is pure and offline: inputs are strings and frames, outputs are arrays
and frames. Word lists ship inside the package (``data/``) or come from the installed
vaderSentiment wheel.

>>> score_texts(["Arrived broken, call me on 07700 900123"])["text"][0]
'Arrived broken, call me on <PHONE>'
"""

from __future__ import annotations

from .emotion import EMOTIONS, dominant_emotion, emotion_one, score_emotions
from .features import (
    EMOTION_SEGMENTS,
    customer_text_features,
    emotion_segments,
    score_interactions,
    text_features_from_scores,
)
from .score import score_texts
from .scrub import PLACEHOLDERS, ScrubReport, iban_valid, luhn_valid, scrub, scrub_one
from .sentiment import blend_rating, score_sentiment, sentiment_one
from .topics import TOPIC_RULES, TOPICS, score_topics, topics_one

__all__ = [
    "EMOTIONS",
    "EMOTION_SEGMENTS",
    "PLACEHOLDERS",
    "ScrubReport",
    "TOPICS",
    "TOPIC_RULES",
    "blend_rating",
    "customer_text_features",
    "dominant_emotion",
    "emotion_one",
    "emotion_segments",
    "iban_valid",
    "luhn_valid",
    "score_emotions",
    "score_interactions",
    "score_sentiment",
    "score_texts",
    "score_topics",
    "scrub",
    "scrub_one",
    "sentiment_one",
    "text_features_from_scores",
    "topics_one",
]
