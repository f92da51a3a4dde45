"""Per-text emotion scores from ShopperLens's own retail emotion lexicon.

Six emotions (:data:`EMOTIONS`): joy, trust, anger, sadness, fear, surprise. The lexicon
(``data/emotion_lexicon.tsv``, about 300 words and phrases such as "let down", "still
waiting", "arrived on time") is our own work under the project's licence; the NRC lexicon
is research-only, so it is not used.

Rules, in order:

* a term's weights add up per emotion (phrases are matched before single words);
* a negation in the three words before a term ("not happy", "never reliable") drops the
  term, and turns half of a joy or trust weight into sadness or anger respectively
  ("not happy" is a little sad, "can't trust them" a little angry);
* each emotion's score is ``w / (1 + w)`` for its summed weight ``w``: 0 when absent,
  0.5 for one plain mention, approaching 1 with more;
* the dominant emotion is the highest score, ties broken in :data:`EMOTIONS` order, and
  ``"neutral"`` when no emotion word occurs.

>>> scores = emotion_one("Still waiting for my refund, really fed up")
>>> max(scores, key=scores.get), round(scores["anger"], 3)
('anger', 0.8)
>>> dominant_emotion("Not happy with it")
'sadness'
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from ._lexicon import emotion_lexicon, phrase_index
from .sentiment import _NEGATE

__all__ = ["EMOTIONS", "NEUTRAL", "dominant_emotion", "emotion_one", "score_emotions"]

EMOTIONS: tuple[str, ...] = ("joy", "trust", "anger", "sadness", "fear", "surprise")
NEUTRAL = "neutral"
# a negated positive emotion leaks into its opposite at half weight
_NEGATED_INTO = {"joy": "sadness", "trust": "anger"}
_STRIP = "!\"#$%&()*+,./:;<=>?@[\\]^_`{|}~"


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, dict[str, float]], dict[str, tuple[tuple[str, ...], ...]]]:
    lex = emotion_lexicon()
    return lex, phrase_index(list(lex))


def _words(text: str) -> list[str]:
    return [w.strip(_STRIP) for w in text.lower().replace("\u2019", "'").split()]


def _merge(toks: list[str], phrases: dict[str, tuple[tuple[str, ...], ...]]) -> list[str]:
    """Merge lexicon phrases into single tokens, longest first."""
    i = 0
    while i < len(toks):
        for phrase in phrases.get(toks[i], ()):
            if tuple(toks[i : i + len(phrase)]) == phrase:
                toks[i : i + len(phrase)] = [" ".join(phrase)]
                break
        i += 1
    return toks


def _negated(toks: list[str], i: int) -> bool:
    return any(w in _NEGATE or "n't" in w for w in toks[max(0, i - 3) : i])


def emotion_one(text: str) -> dict[str, float]:
    """Scores in [0, 1) per emotion for one text.

    Examples
    --------
    >>> emotion_one("I love it, arrived on time")["joy"]
    0.666...
    >>> sum(emotion_one("The parcel is blue").values())
    0.0
    """
    lex, phrases = _index()
    raw = dict.fromkeys(EMOTIONS, 0.0)
    toks = _words(text)
    if lex.keys().isdisjoint(toks) and phrases.keys().isdisjoint(toks):
        return raw
    for i, t in enumerate(_merge(toks, phrases)):
        weights = lex.get(t)
        if not weights:
            continue
        negated = _negated(toks, i)
        for emotion, w in weights.items():
            if not negated:
                raw[emotion] += w
            elif emotion in _NEGATED_INTO:
                raw[_NEGATED_INTO[emotion]] += w / 2
    return {e: w / (1.0 + w) for e, w in raw.items()}


def _dominant(scores: dict[str, float]) -> str:
    best = max(EMOTIONS, key=lambda e: scores[e])  # max keeps the first of equals
    return best if scores[best] > 0 else NEUTRAL


def dominant_emotion(text: str) -> str:
    """The strongest emotion of a text, or ``"neutral"``.

    Examples
    --------
    >>> dominant_emotion("Worried it won't arrive before the party")
    'fear'
    >>> dominant_emotion("Order 123")
    'neutral'
    """
    return _dominant(emotion_one(text))


def score_emotions(texts: Sequence[str | None]) -> pd.DataFrame:
    """Emotion scores for many texts.

    Returns
    -------
    pandas.DataFrame
        One row per text (default index), a float column per emotion in
        :data:`EMOTIONS`, and ``dominant_emotion`` (str). Missing texts score 0
        and are ``"neutral"``.

    Examples
    --------
    >>> score_emotions(["So happy!", None])["dominant_emotion"].tolist()
    ['joy', 'neutral']
    """
    rows = [emotion_one(t) if isinstance(t, str) else dict.fromkeys(EMOTIONS, 0.0)
            for t in texts]
    frame = pd.DataFrame(rows, columns=list(EMOTIONS), dtype=np.float64)
    frame["dominant_emotion"] = [_dominant(r) for r in rows]
    return frame
