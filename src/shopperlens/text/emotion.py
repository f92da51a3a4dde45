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


_Phrases = dict[tuple[str, ...], tuple[tuple[str, ...], ...]]


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, dict[str, float]], _Phrases, frozenset[str]]:
    """The lexicon, its phrases by their first two words (longest first), and every
    word that can start a term."""
    lex = emotion_lexicon()
    bigrams: _Phrases = {}
    for group in phrase_index(list(lex)).values():
        for phrase in group:
            bigrams[phrase[:2]] = (*bigrams.get(phrase[:2], ()), phrase)
    starts = frozenset(lex) | frozenset(p[0] for p in bigrams)
    return lex, bigrams, starts


# raw token -> lexicon token, as in the sentiment tokenizer (bounded, then cleared)
_WORDS: dict[str, str] = {}
_WORDS_SIZE = 100_000


def _word(raw: str) -> str:
    if len(_WORDS) >= _WORDS_SIZE:
        _WORDS.clear()
    word = _WORDS[raw] = raw.lower().replace("\u2019", "'").strip(_STRIP)
    return word


def _words(text: str) -> list[str]:
    get = _WORDS.get
    return [w if (w := get(raw)) is not None else _word(raw) for raw in text.split()]


def _merge(toks: list[str], bigrams: _Phrases) -> list[str]:
    """Merge lexicon phrases into single tokens, left to right, longest first."""
    pairs = list(zip(toks, toks[1:], strict=False))
    if bigrams.keys().isdisjoint(pairs):
        return toks
    done = 0  # tokens before ``done`` are final
    for k in [k for k, pair in enumerate(pairs) if pair in bigrams]:
        j = k - (len(pairs) + 1 - len(toks))  # position of token k after earlier merges
        if j < done:
            continue
        for phrase in bigrams[pairs[k]]:
            if tuple(toks[j : j + len(phrase)]) == phrase:
                toks[j : j + len(phrase)] = [" ".join(phrase)]
                done = j + 1
                break
    return toks


def _negated(toks: list[str], i: int) -> bool:
    return any(w in _NEGATE or "n't" in w for w in toks[max(0, i - 3) : i])


def _raw(text: str) -> list[float] | None:
    """Summed weight per emotion (in :data:`EMOTIONS` order), None when no term occurs."""
    lex, bigrams, starts = _index()
    toks = _words(text)
    if starts.isdisjoint(toks):
        return None
    raw = dict.fromkeys(EMOTIONS, 0.0)
    for i, t in enumerate(_merge(toks, bigrams)):
        weights = lex.get(t)
        if not weights:
            continue
        negated = _negated(toks, i)
        for emotion, w in weights.items():
            if not negated:
                raw[emotion] += w
            elif emotion in _NEGATED_INTO:
                raw[_NEGATED_INTO[emotion]] += w / 2
    return list(raw.values())


def emotion_one(text: str) -> dict[str, float]:
    """Scores in [0, 1) per emotion for one text.

    Examples
    --------
    >>> emotion_one("I love it, arrived on time")["joy"]
    0.666...
    >>> sum(emotion_one("The parcel is blue").values())
    0.0
    """
    raw = _raw(text)
    if raw is None:
        return dict.fromkeys(EMOTIONS, 0.0)
    return {e: w / (1.0 + w) for e, w in zip(EMOTIONS, raw, strict=True)}


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
    raw = np.zeros((len(texts), len(EMOTIONS)))
    for k, text in enumerate(texts):
        if isinstance(text, str) and (weights := _raw(text)) is not None:
            raw[k] = weights
    scores = raw / (1.0 + raw)
    frame = pd.DataFrame(scores, columns=list(EMOTIONS))
    best = scores.argmax(axis=1)  # the first of equals, as in :func:`dominant_emotion`
    labels = np.array([*EMOTIONS, NEUTRAL], dtype=object)
    frame["dominant_emotion"] = labels[np.where(scores.max(axis=1) > 0, best, len(EMOTIONS))]
    return frame
