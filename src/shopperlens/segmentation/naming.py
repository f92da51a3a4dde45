"""Human names for segments, from what sets each one apart.

A name is ``[adjectives] noun``. The noun comes from the recency/frequency/monetary
pattern (first rule that holds, in this order):

=================  ==========================================  ===================
noun               condition (standardised gap vs population)  feature it uses up
=================  ==========================================  ===================
newcomers          days since first order low                  tenure_days
loyalists          orders high                                 frequency
big spenders       total spend high                            monetary
occasionals        orders low                                  frequency
cart-abandoners    share of carts abandoned high               cart_abandonment
returners          share of value returned high                return_rate
shoppers           (otherwise)
=================  ==========================================  ===================

Adjectives are the catalogue's ``high``/``low`` words of the remaining features with the
largest gaps (at most two, gap at least ``threshold`` standard deviations), strongest
first: "High-value in-store loyalists", "Lapsed big spenders"; a word that repeats the
noun ("big-basket big spenders") is skipped. Names are unique within a
model: a clash is resolved by adding the next strongest word to the smaller segment, then
by a number.

Every word is a claim about the segment's members (:mod:`.claims`). Given a ``verify``
callable (``SegmentModel`` passes one that reads the members' raw values and the
segment's rules), a word is used only when its claim holds: a segment whose median
customer is recent but one of whose rules reads "days since last order above 240" is not
called "recent"; a noun whose claim fails gives way to the next noun that holds.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from shopperlens.features.catalog import FEATURES
from shopperlens.segmentation.claims import NOUNS, plain_word

# (feature, direction, noun); direction +1 = above the population.
NOUN_RULES = NOUNS
FALLBACK_NOUN = "shoppers"
MAINSTREAM = "Mainstream shoppers"
# Words that would only repeat the noun ("big-basket big spenders"); the noun's own
# feature is skipped anyway.
REDUNDANT = {"big spenders": {FEATURES["avg_order_value"].high}}
_MAX_ADJECTIVES = 2
# (segment, feature, direction) -> whether the members bear the claim out
Verifier = Callable[[int, str, int], bool]


def _always(segment: int, feature: str, direction: int) -> bool:
    return True


def feature_word(name: str, gap: float) -> str:
    """The word for a feature on one side of the population ('' = not worth naming).

    Examples
    --------
    >>> feature_word("recency_days", 1.4), feature_word("return_rate", -2.0)
    ('lapsed', '')
    >>> feature_word("x3", -1.0)
    'low-x3'
    """
    if name not in FEATURES:  # a feature without catalogue words still gets a plain one
        return plain_word(name, 1 if gap > 0 else -1)
    feature = FEATURES[name]
    return feature.high if gap > 0 else feature.low


def _side(gap: float) -> int:
    return 1 if gap > 0 else -1


def _noun(gaps: pd.Series, threshold: float, holds: Callable[[str, int], bool]
          ) -> tuple[str, str | None]:
    claims: dict[str, list[tuple[str, int]]] = {}
    for feature, direction, noun in NOUN_RULES:
        claims.setdefault(noun, []).append((feature, direction))
    for noun, ((feature, direction), *more) in claims.items():
        # the first claim picks the noun; every claim must hold ("newcomers" also says recent)
        if (feature in gaps.index and gaps[feature] * direction >= threshold
                and all(holds(f, d) for f, d in [(feature, direction), *more]
                        if f in gaps.index)):
            return noun, feature
    return FALLBACK_NOUN, None


def _words(gaps: pd.Series, used: str | None, noun: str, threshold: float,
           holds: Callable[[str, int], bool]) -> list[str]:
    """Adjectives of the remaining features whose claims hold, strongest gap first."""
    skip = REDUNDANT.get(noun, set())
    order = gaps.abs().sort_values(ascending=False, kind="stable").index
    words = []
    for feature in order:
        if feature == used or abs(gaps[feature]) < threshold:
            continue
        word = feature_word(str(feature), float(gaps[feature]))
        if (word and word not in words and word not in skip
                and holds(str(feature), _side(float(gaps[feature])))):
            words.append(word)
    return words


def _compose(words: list[str], noun: str) -> str:
    text = " ".join([*words, noun])
    return text[0].upper() + text[1:]


def name_segments(
    gaps: pd.DataFrame, *, threshold: float = 0.5, verify: Verifier | None = None
) -> dict[int, str]:
    """One unique name per segment from its standardised gaps.

    Parameters
    ----------
    gaps : DataFrame
        Segments (index) by features (columns): (segment mean - population mean) /
        population std, as in the ``diff_*`` columns of ``SegmentModel.profiles_``.
    threshold : float, default=0.5
        Smallest gap, in standard deviations, that earns a word.
    verify : callable, optional
        ``verify(segment, feature, direction)`` says whether the segment's members bear
        out the claim of the word (see :mod:`.claims`); a word whose claim fails is not
        used. Without it every word with a large enough gap is used.

    Examples
    --------
    >>> gaps = pd.DataFrame(
    ...     {"recency_days": [-0.6, 1.5, 0.1], "frequency": [1.2, -0.3, -0.9],
    ...      "monetary": [0.9, 1.1, -0.7], "store_share": [0.8, 0.0, -0.1]})
    >>> name_segments(gaps)
    {0: 'High-value in-store loyalists', 1: 'Lapsed big spenders', 2: 'Low-spend occasionals'}
    >>> name_segments(gaps, verify=lambda s, f, d: f != "recency_days")[1]
    'Big spenders'
    """
    check = verify or _always
    names: dict[int, str] = {}
    for segment, row in gaps.iterrows():
        def holds(feature: str, direction: int, segment: int = int(segment)) -> bool:
            return check(segment, feature, direction)

        noun, used = _noun(row, threshold, holds)
        words = _words(row, used, noun, threshold, holds)
        if not words and noun == FALLBACK_NOUN:
            names[int(segment)] = _unique(MAINSTREAM, names)
            continue
        name = _compose(words[:_MAX_ADJECTIVES], noun)
        extra = _MAX_ADJECTIVES
        while name in names.values() and extra < len(words):
            extra += 1
            name = _compose(words[:extra], noun)
        names[int(segment)] = _unique(name, names)
    return names


def _unique(name: str, names: dict[int, str]) -> str:
    base, n = name, 2
    while name in names.values():
        name, n = f"{base} {n}", n + 1
    return name
