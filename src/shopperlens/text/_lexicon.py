"""Loading the word lists the text core scores with.

Three sources, all read once and cached:

* VADER's lexicon and emoji descriptions, read from the installed ``vaderSentiment``
  wheel with :mod:`importlib.resources` (MIT licence, Hutto & Gilbert 2014).
* ``data/retail_sentiment.tsv``: our own retail additions and overrides (this project's
  licence). A third column gives the valence a term takes when it is negated, for words
  such as "work" or "refund" that are neutral alone but strongly negative in
  "doesn't work" or "no refund".
* ``data/emotion_lexicon.tsv``: our own retail emotion lexicon (see :mod:`.emotion`).

Multi-word terms ("stopped working", "fed up") are kept as phrases: a mapping from the
first word to the possible continuations, longest first, so the tokenizer can merge them
into one token in a single left-to-right pass.

>>> lex = sentiment_lexicon()
>>> lex.valence["great"], lex.valence["refund"], lex.negated["refund"]
(3.1, -0.6, -1.8)
>>> lex.phrases["stopped"][0]
('stopped', 'working')
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

_PKG = "shopperlens.text"


# VADER's SPECIAL_CASES idioms (vaderSentiment.py), which our phrase matcher handles.
_VADER_IDIOMS = {"the shit": 3.0, "the bomb": 3.0, "bad ass": 1.5, "yeah right": -2.0,
                 "kiss of death": -1.5, "to die for": 3.0, "beating heart": 3.5}


@dataclass(frozen=True)
class SentimentLexicon:
    """Valences (-4..4) per lower-case token or merged phrase (words joined by spaces)."""

    valence: dict[str, float]
    negated: dict[str, float]
    phrases: dict[str, tuple[tuple[str, ...], ...]]
    emoji: dict[str, str]
    # phrases by their first two words, longest first (the order of ``phrases``)
    bigrams: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = field(default_factory=dict)


def _read(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def _rows(text: str) -> Iterator[list[str]]:
    """Tab-separated rows of a data file, skipping blank lines and ``#`` comments."""
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.rstrip("\n").split("\t")


def phrase_index(terms: list[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Index multi-word terms by their first word, longest continuation first.

    >>> phrase_index(["fell apart", "not bad", "fell"])
    {'fell': (('fell', 'apart'),), 'not': (('not', 'bad'),)}
    """
    index: dict[str, list[tuple[str, ...]]] = {}
    for term in terms:
        words = tuple(term.split())
        if len(words) > 1:
            index.setdefault(words[0], []).append(words)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in index.items()}


@lru_cache(maxsize=1)
def sentiment_lexicon() -> SentimentLexicon:
    """VADER's lexicon with the retail additions applied on top (cached)."""
    valence = {r[0]: float(r[1]) for r in _rows(_read("vaderSentiment", "vader_lexicon.txt"))}
    valence |= _VADER_IDIOMS
    negated: dict[str, float] = {}
    for row in _rows(_read(_PKG, "data/retail_sentiment.tsv")):
        term = " ".join(row[0].lower().split())
        valence[term] = float(row[1])
        if len(row) > 2 and row[2].strip():
            negated[term] = float(row[2])
    emoji = dict(
        (r[0], r[1]) for r in _rows(_read("vaderSentiment", "emoji_utf8_lexicon.txt")) if len(r) > 1
    )
    phrases = phrase_index(list(valence))
    bigrams: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    for group in phrases.values():
        for p in group:
            bigrams[p[:2]] = (*bigrams.get(p[:2], ()), p)
    return SentimentLexicon(valence, negated, phrases, emoji, bigrams)


@lru_cache(maxsize=1)
def emotion_lexicon() -> dict[str, dict[str, float]]:
    """Emotion weights per term: ``{term: {emotion: weight}}`` (cached)."""
    out: dict[str, dict[str, float]] = {}
    for row in _rows(_read(_PKG, "data/emotion_lexicon.tsv")):
        term = " ".join(row[0].lower().split())
        for cell in row[1].split(","):
            emotion, _, weight = cell.strip().partition(":")
            out.setdefault(term, {})[emotion] = float(weight or 1.0)
    return out
