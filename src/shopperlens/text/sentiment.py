"""Sentence sentiment in [-1, 1], tuned for retail language, fast and offline.

The rules are VADER's (Hutto & Gilbert 2014, "VADER: A Parsimonious Rule-based Model for
Sentiment Analysis of Social Media Text", ICWSM-14, section 3.2): lexicon valences,
boosters and dampeners up to three words back, negation (x -0.74), ALL-CAPS emphasis,
"but" shifts weight to the later clause, "!" and "?" emphasis, and the compound
normalisation ``x / sqrt(x**2 + 15)``. They are reimplemented here because VADER walks
every token through every rule, which caps it near 13k sentences/s; we look only at the
tokens that carry valence, which is several times faster.

What we change for retail text (each a general rule, not a patch for a test sentence):

* a retail lexicon on top of VADER's (``data/retail_sentiment.tsv``): "defective",
  "flimsy", "refund", "sturdy", "fits", ... and multi-word phrases ("stopped working",
  "fell apart", "well made"); VADER's own multi-word entries ("fed up") now match;
* negated expectations: words that are neutral alone but strongly negative negated
  ("doesn't work", "never arrived", "no refund") take a fixed negative valence instead
  of VADER's mild flip;
* short words followed by punctuation ("no.", "ok!") are still found in the lexicon;
* "too" before a neutral or negative word is a complaint of excess ("too small");
* a positive word right after "would have" / "could have" / "should have" is an unmet
  wish ("would have been nice"), so it counts negative at half strength;
* a modifier's reach stops at an earlier sentiment word ("not disappointed, great"
  no longer negates "great"), and "however" shifts weight like "but";
* booster adjectives score on their own when they modify nothing ("incredible camera");
* a positive word later in a wish clause ("I wish the zoom were better") is a complaint;
* "barely", "hardly" and "scarcely" negate expectation words ("barely works");
* an opening "while"/"although" clause weighs less than the clause after its comma, and
  "then"/"until" after a time span turns the sentence like "but" ("worked great for a
  week, then died"); "lasted two weeks" is a short life, "lasted for years" a long one;
* "back" a few words after "send", "ship", "take", ... is a return ("sent the jacket
  back"), and "better" after "buy", "find", ... is advice to shop elsewhere ("buy a
  better one");
* an exclamative "what a ..." praises, or intensifies the word after it;
* a 1-5 star rating, where given, is blended with the text score.

>>> float(round(sentiment_one("The delivery was late and the box arrived damaged."), 3))
-0.599
>>> sentiment_one("Great quality, fits perfectly!") > 0.5
True
>>> sentiment_one("It doesn't work.") < -0.4
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._columns import as_list
from ._lexicon import SentimentLexicon, sentiment_lexicon

__all__ = ["blend_rating", "score_sentiment", "sentiment_one"]

# VADER's empirically derived constants (Hutto & Gilbert 2014, table 3 and code).
B_INCR = 0.293
C_INCR = 0.733
N_SCALAR = -0.74
ALPHA = 15.0
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

# VADER's word lists, kept as whitespace-separated text for readability
_NEGATE = frozenset(
    """aint arent cannot cant couldnt darent didnt doesnt dont hadnt hasnt havent isnt
    mightnt mustnt neither neednt never none nope nor not nothing nowhere oughtnt shant
    shouldnt uhuh wasnt werent without wont wouldnt rarely seldom despite uh-uh""".split()  # noqa: SIM905
)
_DECR = """almost barely hardly little marginal marginally occasional occasionally partly
    scarce scarcely slight slightly somewhat kinda kindof kind-of sorta sortof sort-of
    less""".split()  # noqa: SIM905
_INCR = """absolutely amazingly awfully completely considerable considerably decidedly deeply
    effing enormous enormously entirely especially exceptional exceptionally extreme
    extremely fabulously flipping flippin frackin fracking fricking frickin frigging friggin
    fully fuckin fucking fuggin fugging greatly hella highly hugely incredible incredibly
    intensely major majorly more most particularly purely quite really remarkably so
    substantially thoroughly total totally tremendous tremendously uber unbelievably
    unusually utter utterly very""".split()  # noqa: SIM905
BOOSTERS: dict[str, float] = {w: B_INCR for w in _INCR} | {w: -B_INCR for w in _DECR}
BOOSTERS |= {"kind of": -B_INCR, "sort of": -B_INCR, "just enough": -B_INCR,
             "what a": B_INCR, "what an": B_INCR}
_SO_THIS = ("so", "this")
CONTRAST = frozenset(["but", "however"])
COUNTERFACTUAL_SCALAR = -0.5
_COUNTERFACTUAL = frozenset(
    ["would have", "could have", "should have", "would've", "could've", "should've"]
)
TOO_EXCESS = -1.2  # valence of "too" before a neutral or negative word (retail rule)
# a positive word later in a clause opened by these is a wish, so a complaint
_WISH = _COUNTERFACTUAL | frozenset(["wish", "i wish"])
WISH_REACH = 6  # words after the opener that the wish can reach
_CLAUSE_END = frozenset(",.;:!?")
# "barely works": near-negations negate expectation words ("work", "arrive")
_NEAR_NEGATE = frozenset(["barely", "hardly", "scarcely"])
# "While it looks nice, it broke": the clause after the comma carries the weight
_CONCESSIVE = frozenset(["while", "whilst", "although", "though", "even though"])
# "worked great for a week, then died": a time span followed by these turns the sentence
_SHORT_SPANS = frozenset("minute minutes hour hours day days week weeks month".split())  # noqa: SIM905
_TIME_UNITS = _SHORT_SPANS | frozenset(["months", "year", "years"])
_TEMPORAL = frozenset(["then", "until", "till", "before"])
# "lasted two weeks" complains of a short life, "lasted for years" praises
LASTED_SHORT, LASTED_LONG = -1.8, 1.4
# "sent the jacket back", "took them back to the shop": a return, whatever lies between
_SEND = frozenset("""send sends sent sending ship shipped shipping mail mailed post posted
    take took taking""".split())  # noqa: SIM905
SENT_BACK = -1.6
# "buy a better one", "get something better": advice to shop elsewhere ("gets better" and
# a negated "won't find better" aside)
_SHOP = frozenset(["buy", "purchase", "get", "find", "consider", "choose", "pick"])
SHOP_BETTER = -1.2


# Words that can change the valence of a sentiment word up to three places after them.
_MODIFIER_WORDS = (frozenset(BOOSTERS) | _NEGATE | _COUNTERFACTUAL | _NEAR_NEGATE
                   | frozenset(["least", *_SO_THIS]))
# Lexicon terms that need a closer look before they score (see ``_base``).
_SPECIAL = frozenset(BOOSTERS) | frozenset(["kind", "no", "well", "lasted", "lasts", "too",
                                            "back", "better"])
_Sets = tuple[frozenset[str], frozenset[str], frozenset[str]]
_SETS: list[tuple[SentimentLexicon, _Sets]] = []  # the last lexicon seen and its sets


def _sets(lex: SentimentLexicon) -> _Sets:
    """Per lexicon: tokens worth a look ("too", "back" and lexicon terms), the plain ones
    among them (their valence is their base), and tokens that may modify a later one."""
    if not _SETS or _SETS[0][0] is not lex:
        terms = frozenset(lex.valence)
        _SETS[:] = [(lex, (terms | {"too", "back"}, terms - _SPECIAL, terms | _MODIFIER_WORDS))]
    return _SETS[0][1]


def _is_negation(word: str) -> bool:
    return word in _NEGATE or "n't" in word


def _normalise(text: str, emoji: dict[str, str]) -> str:
    """Curly apostrophes to straight ones and emoji to VADER's words (non-ASCII only)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    if any(ch in emoji for ch in text):
        text = "".join(f" {emoji[ch]} " if ch in emoji else ch for ch in text)
    return text


def _strip(word: str) -> str:
    """VADER keeps tokens whose stripped form is <= 2 chars (emoticons); we also keep
    short words followed by punctuation ("no.", "ok!") so they still reach the lexicon."""
    s = word.strip(_PUNCT)
    if len(s) > 2:
        return s
    r = word.rstrip(".,!?;:")
    return r if len(r) == 2 and r.isalpha() else word


# Raw token -> lexicon token. Texts share most of their words, so a dictionary lookup
# replaces lower-casing and stripping per token; cleared when it grows past the bound.
_TOKEN_CACHE: dict[str, str] = {}
_TOKEN_CACHE_SIZE = 100_000


def _token(word: str) -> str:
    if len(_TOKEN_CACHE) >= _TOKEN_CACHE_SIZE:
        _TOKEN_CACHE.clear()
    tok = _TOKEN_CACHE[word] = _strip(word.lower())
    return tok


def _tokens(text: str, lex: SentimentLexicon) -> tuple[list[str], list[str]]:
    """Lower-cased tokens with phrases merged, and the original-case token per slot."""
    orig = text.split()
    get = _TOKEN_CACHE.get
    toks = [get(w) or _token(w) for w in orig]  # tokens are never empty
    bigrams = lex.bigrams
    # cheap C-level test first: most texts contain no phrase at all
    if bigrams.keys().isdisjoint(pairs := list(zip(toks, toks[1:], strict=False))):
        return toks, orig
    done = 0  # tokens before ``done`` are final (merged or checked)
    for k in [k for k, pair in enumerate(pairs) if pair in bigrams]:
        j = k - (len(pairs) + 1 - len(toks))  # position of token k after earlier merges
        if j < done:
            continue
        for phrase in bigrams[pairs[k]]:
            size = len(phrase)
            if tuple(toks[j : j + size]) == phrase:
                # merge in place: one slot per phrase keeps the distance rules simple
                toks[j : j + size] = [" ".join(phrase)]
                orig[j : j + size] = [" ".join(orig[j : j + size])]
                done = j + 1
                break
    return toks, orig


def _cap_diff(orig: list[str]) -> bool:
    """True when some but not all tokens are ALL CAPS (VADER's emphasis condition)."""
    upper = sum(1 for w in orig if w.isupper())
    return 0 < upper < len(orig)


def _negate(term: str, valence: float, lex: SentimentLexicon) -> float:
    return lex.negated.get(term, valence * N_SCALAR)


def _modifiers(toks: list[str], orig: list[str], i: int, v: float, lex: SentimentLexicon,
               cap: bool) -> float:
    """Boosters, dampeners and negations in the three words before token ``i``."""
    val, t = lex.valence, toks[i]
    for d in (1, 2, 3):
        if i < d:
            break
        w = toks[i - d]
        if w in _COUNTERFACTUAL and v > 0:
            v *= COUNTERFACTUAL_SCALAR  # "would have been nice": a wish, so a complaint
            break
        if w in val:
            break  # an earlier sentiment word carries its own modifiers (VADER continues)
        b = BOOSTERS.get(w)
        if b is not None:
            s = b if v >= 0 else -b
            if cap and orig[i - d].isupper():
                s += C_INCR if v > 0 else -C_INCR
            v += s * (1.0, 0.95, 0.9)[d - 1]
        if (d >= 2 and toks[i - d] == "never" and toks[i - d + 1] in _SO_THIS) or (
            d == 3 and toks[i - 1] in _SO_THIS
        ):
            v *= 1.25
        elif d >= 2 and toks[i - d] == "without" and "doubt" in toks[i - d + 1 : i]:
            pass
        elif _is_negation(w):
            v = _negate(t, v, lex)
        elif w in _NEAR_NEGATE and t in lex.negated:
            v = lex.negated[t]  # "barely works", "hardly arrived"
    if i > 0 and toks[i - 1] == "least" and (i == 1 or toks[i - 2] not in ("at", "very")):
        v *= N_SCALAR
    return v


def _is_excess(toks: list[str], orig: list[str], i: int, val: dict[str, float]) -> bool:
    """"too" + a word that is not positive ("too small", "too much") complains of excess;
    "too cute" and a sentence-final "me too" do not."""
    if i + 1 >= len(toks) or orig[i][-1] in _PUNCT:
        return False
    nxt = toks[i + 1]
    return val.get(nxt, 0.0) <= 0.0 or nxt.endswith("ly")  # "too easily scratched"


def _contrast(toks: list[str], orig: list[str]) -> int:
    """Index from which the sentence's weight shifts, -1 if it does not: the first
    "but"/"however"; else the clause after the comma of an opening "while"/"although";
    else a "then"/"until" after a time span ("worked for a week, then died")."""
    if not CONTRAST.isdisjoint(toks):
        return next(k for k, w in enumerate(toks) if w in CONTRAST)
    if toks[0] in _CONCESSIVE:
        comma = next((k for k, w in enumerate(orig) if w[-1] == ","), -1)
        if comma >= 0:
            return comma + 1
    if _TEMPORAL.isdisjoint(toks):
        return -1
    for k, w in enumerate(toks):
        if w in _TEMPORAL and not _TIME_UNITS.isdisjoint(toks[max(0, k - 4) : k]):
            return k
    return -1


def _wishes(toks: list[str], orig: list[str]) -> set[int]:
    """Positions inside a wish clause: after "would have", "I wish", "would be", ... up to
    the end of the clause (punctuation or "but"), at most ``WISH_REACH`` words on."""
    out: set[int] = set()
    if _WISH.isdisjoint(toks):
        return out
    for k, w in enumerate(toks):
        if w not in _WISH:
            continue
        for j in range(k + 1, min(len(toks), k + 1 + WISH_REACH)):
            if toks[j] in CONTRAST:
                break
            out.add(j)
            if orig[j][-1] in _CLAUSE_END:
                break
    return out


def _lasted(toks: list[str], i: int) -> float | None:
    """"lasted two weeks" complains of a short life, "lasted for years" praises."""
    after = toks[i + 1 : i + 5]
    if not _SHORT_SPANS.isdisjoint(after):
        return LASTED_SHORT
    if "years" in after or "year" in after:
        return LASTED_LONG
    return None


def _base(toks: list[str], orig: list[str], i: int, val: dict[str, float]) -> float | None:
    """The valence token ``i`` carries on its own, or None if it carries none here."""
    t, n = toks[i], len(toks)
    base = val.get(t)
    if base is None:
        if t == "back":
            return SENT_BACK if not _SEND.isdisjoint(toks[max(0, i - 4) : i]) else None
        return TOO_EXCESS if t == "too" and _is_excess(toks, orig, i, val) else None
    if (t in BOOSTERS and i + 1 < n and toks[i + 1] in val) or (
        t == "kind" and i + 1 < n and toks[i + 1] == "of"
    ):
        return None  # a modifier of the next word, not a sentiment of its own
    if t == "no" and i + 1 < n and toks[i + 1] in val:
        return None  # "no" negates the next word instead of scoring itself
    if t == "well" and (i == 0 or orig[i - 1][-1] in ".!?"):
        return None  # "Well, ..." opens a sentence; it rates nothing
    if t in ("lasted", "lasts"):
        return _lasted(toks, i) or base
    if t == "better" and i > 0 and (toks[i - 1] != "get" and toks[i - 1] in _SHOP
                                     or not _SHOP.isdisjoint(toks[max(0, i - 3) : i - 1])):
        return SHOP_BETTER
    return base


def _after_no(toks: list[str], i: int, val: dict[str, float]) -> bool:
    """"no" reaches past one plain word only ("no real problems"), or over "or"/"nor"."""
    return (i > 0 and toks[i - 1] == "no") or (
        i > 1 and toks[i - 2] == "no" and toks[i - 1] not in val
    ) or (i > 2 and toks[i - 3] == "no" and toks[i - 1] in ("or", "nor"))


def _valences(toks: list[str], orig: list[str], lex: SentimentLexicon,
              nt: bool = True) -> list[float]:
    """Valence per sentiment-bearing token, after VADER's rules and the "but" shift.

    ``nt`` is False when the text holds no "n't", so no token is such a negation."""
    val = lex.valence
    out: list[float] = []
    look, plain, mods = _sets(lex)
    hits = [i for i, t in enumerate(toks) if t in look]
    if not hits:
        return out
    # ALL-CAPS emphasis needs some but not all tokens in caps: test once per text
    cap = any(map(str.isupper, orig)) and _cap_diff(orig)
    but = _contrast(toks, orig)
    wish = _wishes(toks, orig)
    for i in hits:
        t = toks[i]
        v = val[t] if t in plain else _base(toks, orig, i, val)
        if v is None:
            continue
        window = toks[i - 3 : i] if i >= 3 else toks[:i]
        # most sentiment words have no modifier before them: skip the rules then
        near = not mods.isdisjoint(window) or (nt and any("n't" in w for w in window))
        if near and "no" in window and _after_no(toks, i, val):
            v = _negate(t, v, lex)
        if cap and orig[i].isupper():
            v += C_INCR if v > 0 else -C_INCR
        if near:
            v = _modifiers(toks, orig, i, v, lex, cap)
        if i in wish and v > 0:
            v *= COUNTERFACTUAL_SCALAR  # "I wish the zoom were better"
        if v:
            out.append(v if but < 0 else v * (0.5 if i < but else 1.5))
    return out


def _punctuation(text: str) -> float:
    """VADER's emphasis from up to four "!" and two or more "?"."""
    q = text.count("?")
    qm = 0.0 if q < 2 else (q * 0.18 if q <= 3 else 0.96)
    return min(text.count("!"), 4) * 0.292 + qm


def sentiment_one(text: str) -> float:
    """Sentiment of one text in [-1, 1] (0 for empty or neutral text).

    Examples
    --------
    >>> sentiment_one("")
    0.0
    >>> sentiment_one("not good") < 0 < sentiment_one("good")
    True
    """
    return _score(text, sentiment_lexicon())


def _score(text: str, lex: SentimentLexicon) -> float:
    if not text.isascii():
        text = _normalise(text, lex.emoji)
    toks, orig = _tokens(text, lex)
    nt = "'t" in text or "'T" in text  # a negation such as "don't" is possible
    total = sum(_valences(toks, orig, lex, nt)) if toks else 0.0
    if total == 0.0:
        return 0.0
    total += math.copysign(_punctuation(text), total)
    return max(-1.0, min(1.0, total / math.sqrt(total * total + ALPHA)))


def blend_rating(text_score: np.ndarray, ratings: np.ndarray, weight: float = 0.5) -> np.ndarray:
    """Blend text scores with 1-5 star ratings mapped to [-1, 1] as ``(rating - 3) / 2``.

    Where both are known the result is ``(1 - weight) * text + weight * stars``; where one
    is missing (NaN) the other is used alone.

    Examples
    --------
    >>> blend_rating(np.array([0.8, 0.2, np.nan]), np.array([1.0, np.nan, 5.0]))
    array([-0.1,  0.2,  1. ])
    """
    stars = (np.asarray(ratings, dtype=float) - 3.0) / 2.0
    text_score = np.asarray(text_score, dtype=float)
    both = (1.0 - weight) * text_score + weight * stars
    out = np.where(np.isnan(stars), text_score, np.where(np.isnan(text_score), stars, both))
    return np.clip(out, -1.0, 1.0)


def _text_scores(texts: list[str | None]) -> np.ndarray:
    """Scores per text, each distinct text scored once (batches repeat templates)."""
    lex = sentiment_lexicon()
    seen: dict[str, float] = {}
    out = np.full(len(texts), math.nan)
    for k, text in enumerate(texts):
        if isinstance(text, str):
            score = seen.get(text)
            if score is None:
                score = seen[text] = _score(text, lex)
            out[k] = score
    return out


def score_sentiment(texts: Sequence[str | None], ratings: Sequence[float | None] | None = None,
                    *, rating_weight: float = 0.5) -> np.ndarray:
    """Sentiment in [-1, 1] per text, optionally blended with 1-5 star ratings.

    Parameters
    ----------
    texts
        Sentences or short documents, as a list or any column (pandas, NumPy, Arrow);
        ``None``/NaN gives NaN (or the rating alone).
    ratings
        Optional stars from 1 to 5 per text, NaN where unknown; see :func:`blend_rating`.
    rating_weight
        Weight of the stars where both stars and text are known.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(len(texts),)``.

    Examples
    --------
    >>> score_sentiment(["Love it", "Arrived broken", None]).round(3)
    array([ 0.637, -0.477,    nan])
    >>> score_sentiment(["Arrived broken"], ratings=[5]).round(3)
    array([0.262])
    """
    text_score = _text_scores(as_list(texts))
    if ratings is None:
        return text_score
    return blend_rating(text_score, pd.to_numeric(pd.Series(list(ratings)), errors="coerce")
                        .to_numpy(dtype=float), rating_weight)
