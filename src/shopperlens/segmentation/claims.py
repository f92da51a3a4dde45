"""What segment names and RFM labels claim, checked on the customers they describe.

A segment name is made of words that are claims about the segment's members relative to
all customers: "recent" says its members ordered more recently than the others, "one-off"
that they ordered fewer times, "big spenders" that they spent more. The words and the
feature and side each one claims come from the feature catalogue (``high``/``low`` words)
and from :data:`NOUNS`.

A claim about a segment holds when all four are true:

* **effect**: a member picked at random sits on the claimed side of a non-member picked
  at random with probability at least :data:`CLAIM_EFFECT` (ties count half: the
  Mann-Whitney common-language effect size). 0.65 is the effect of a gap of half a
  standard deviation between two normal groups, the gap the names have always asked for;
  being rank-based, it reads the same on skewed spend as on bounded shares;
* **median**: the segment's median lies on the claimed side of the population's
  (its mid-rank percentile among all customers is above or below one half);
* **edge**: at most :data:`CLAIM_EDGE` of the members lie beyond the population's
  quartile on the other side (a "recent" segment holds almost nobody less recent than
  three quarters of all customers);
* **rules**: no rule of the segment contradicts it. A rule contradicts "low" on a
  feature when its range there is open upwards ("days since last order above 240") or
  lies wholly above the population's median; "high" the other way round.

RFM labels claim things of *every* member (:data:`RFM_CLAIMS`); ``p`` below is the share
of customers with purchases who score strictly worse on R (more days since the last
order), F (fewer orders) or M (less spend). :func:`check_rfm` verifies them customer by
customer, from the raw values, without the grid's cut values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.features.catalog import FEATURES, describe

CLAIM_EFFECT = 0.65
# Members that may sit on the far side of everyone's opposite quartile: a segment is named
# after its typical member, and a few at its edge need not fit, but not more.
CLAIM_EDGE = 0.05
RECENCY = FEATURES["recency_days"].name
FREQUENCY = FEATURES["frequency"].name
MONETARY = FEATURES["monetary"].name
TENURE = FEATURES["tenure_days"].name
CART = FEATURES["cart_abandonment"].name
RETURNS = FEATURES["return_rate"].name
# Nouns of segment names: (feature, side, noun); side +1 = above the population.
NOUNS: tuple[tuple[str, int, str], ...] = (
    (TENURE, -1, "newcomers"),
    (RECENCY, -1, "newcomers"),  # new customers have bought lately, not only once long ago
    (FREQUENCY, +1, "loyalists"),
    (MONETARY, +1, "big spenders"),
    (FREQUENCY, -1, "occasionals"),
    (CART, +1, "cart-abandoners"),
    (RETURNS, +1, "returners"),
)
Bound = tuple[float | None, float | None]  # a rule's range on a feature: (above, at most)


@dataclass(frozen=True)
class Violation:
    """A name, rule or label that its members contradict."""

    segment: int | str
    name: str
    claim: str
    detail: str


def plain_word(feature: str, side: int) -> str:
    """The word of a feature without catalogue words: 'high-x3' or 'low-x3'."""
    return f"{'high' if side > 0 else 'low'}-{describe(feature).label}"


def vocabulary(features: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
    """Each word a name may use -> the (feature, side) pairs it claims, for ``features``.

    >>> vocabulary(["recency_days", "x3"])["recent"], vocabulary(["x3"])["high-x3"]
    ([('recency_days', -1)], [('x3', 1)])
    """
    words: dict[str, list[tuple[str, int]]] = {}
    for name in features:
        entry = FEATURES.get(name)
        for side in (+1, -1):
            word = (entry.high if side > 0 else entry.low) if entry else plain_word(name, side)
            if word:
                words.setdefault(word.lower(), []).append((name, side))
    for feature, side, noun in NOUNS:
        if feature in features:
            words.setdefault(noun, []).append((feature, side))
    return words


def name_words(name: str, vocab: Mapping[str, object]) -> list[str]:
    """The words of ``name`` found in ``vocab`` (nouns of two words included).

    >>> name_words("Lapsed big spenders 2", {"lapsed": 1, "big spenders": 1})
    ['lapsed', 'big spenders']
    """
    text = re.sub(r" \d+$", "", name.lower())
    found = []
    for phrase in sorted(vocab, key=len, reverse=True):
        pattern = rf"(?<![\w-]){re.escape(phrase)}(?![\w-])"
        if re.search(pattern, text):
            found.append(phrase)
            text = re.sub(pattern, " ", text)
    return sorted(found, key=lambda w: name.lower().find(w.split()[0]))


class FeatureStats:
    """One feature's values over all customers, sorted once so that every claim about
    it (a few per segment) costs one pass over the members, not a sort."""

    def __init__(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=float)
        self.present = ~np.isnan(values)
        self.values = values
        kept = values[self.present]
        order = np.argsort(kept, kind="stable")
        self.sorted = kept[order]
        # mid-ranks: each run of equal values shares the mean of its ranks
        starts = np.flatnonzero(np.r_[True, self.sorted[1:] != self.sorted[:-1]])
        counts = np.diff(np.r_[starts, len(self.sorted)])
        ranks = np.empty(len(order))
        ranks[order] = np.repeat(starts + (counts + 1) / 2, counts)
        self.ranks = np.zeros(len(values))
        self.ranks[self.present] = ranks
        self.median = float(np.median(self.sorted)) if len(self.sorted) else 0.0
        quartiles = np.quantile(self.sorted, [0.25, 0.75]) if len(self.sorted) else [0, 0]
        self.q1, self.q3 = float(quartiles[0]), float(quartiles[1])

    def effect(self, members: np.ndarray, side: int) -> float:
        """P(member on the ``side`` of a non-member) + half the ties; 0.5 if undefined."""
        mine = members & self.present
        n1 = int(mine.sum())
        n2 = len(self.sorted) - n1
        if n1 == 0 or n2 == 0:
            return 0.5
        above = (self.ranks[mine].sum() - n1 * (n1 + 1) / 2) / (n1 * n2)
        return float(above if side > 0 else 1.0 - above)

    def median_side(self, members: np.ndarray) -> float:
        """Mid-rank percentile of the members' median among all values (0.5 = middle)."""
        mine = self.values[members & self.present]
        if len(mine) == 0:
            return 0.5
        med = np.median(mine)
        below = np.searchsorted(self.sorted, med, side="left")
        equal = np.searchsorted(self.sorted, med, side="right") - below
        return float((below + 0.5 * equal) / len(self.sorted))

    def past_far_quartile(self, members: np.ndarray, side: int) -> float:
        """Share of the members beyond the population's quartile on the other side of
        the claim: above the 3rd for a "low" claim, below the 1st for a "high" one."""
        mine = self.values[members & self.present]
        if len(mine) == 0 or len(self.sorted) == 0:
            return 0.0
        return float(np.mean(mine > self.q3 if side < 0 else mine < self.q1))


def effect_size(values: np.ndarray, members: np.ndarray, side: int) -> float:
    """P(member on the ``side`` of a non-member) + half the ties; 0.5 when undefined.

    >>> effect_size(np.array([1.0, 2, 3, 4]), np.array([False, False, True, True]), +1)
    1.0
    """
    return FeatureStats(values).effect(members, side)


def rule_contradicts(bound: Bound, side: int, population_median: float) -> bool:
    """Whether a rule's range on a feature contradicts a claim of ``side`` on it.

    >>> rule_contradicts((240.0, None), -1, 472.0), rule_contradicts((None, 182.0), -1, 472)
    (True, False)
    """
    low, high = bound
    if side < 0:
        return low is not None and (high is None or low >= population_median)
    return high is not None and (low is None or high <= population_median)


def check_claim(
    values: np.ndarray | FeatureStats, members: np.ndarray, side: int,
    rules: Iterable[Mapping[str, Bound]] = (), feature: str = "",
) -> str:
    """Why the claim (``side`` on ``values``) fails for ``members``; '' when it holds."""
    stats = values if isinstance(values, FeatureStats) else FeatureStats(values)
    effect = stats.effect(members, side)
    if effect < CLAIM_EFFECT:
        return f"effect {effect:.2f} < {CLAIM_EFFECT} against the other customers"
    pct = stats.median_side(members)
    if (pct - 0.5) * side <= 0:
        return f"median at percentile {pct:.2f} of all customers"
    edge = stats.past_far_quartile(members, side)
    if edge > CLAIM_EDGE:
        return (f"{edge:.0%} of members past all customers' "
                f"{'3rd' if side < 0 else '1st'} quartile")
    for rule in rules:
        if feature in rule and rule_contradicts(rule[feature], side, stats.median):
            return f"a rule bounds it {rule[feature]} (population median {stats.median:g})"
    return ""


def check_names(
    X: pd.DataFrame, labels: np.ndarray, names: Mapping[int, str],
    rules: Mapping[int, list[Mapping[str, Bound]]] | None = None,
) -> list[Violation]:
    """Every word of every segment name that its members or its rules contradict.

    ``X`` holds the raw features of the customers ``labels`` assigns to segments, ``rules``
    the structured rules per segment (``SegmentModel.rule_ranges_``).
    """
    vocab = vocabulary([str(c) for c in X.columns])
    stats: dict[str, FeatureStats] = {}
    out = []
    for segment, name in names.items():
        members = np.asarray(labels) == segment
        for word in name_words(name, vocab):
            reasons = [
                check_claim(stats.setdefault(f, FeatureStats(X[f].to_numpy(dtype=float))),
                            members, side, (rules or {}).get(segment, ()), f)
                for f, side in vocab[word]
            ]
            if all(reasons):
                out.append(Violation(segment, name, word, "; ".join(reasons)))
    return out


def worse_share(values: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Share of ``population`` strictly below each value (ties never lift a value)."""
    ordered = np.sort(population)
    return np.searchsorted(ordered, values, side="left") / max(len(ordered), 1)


Test = Callable[[dict[str, np.ndarray]], np.ndarray]
CLAIM_TESTS: dict[str, Test] = {
    "recent (best fifth by days since last order)": lambda p: p["R"] >= 0.8,
    "fairly recent (best two fifths)": lambda p: p["R"] >= 0.6,
    "not lapsed (best three fifths)": lambda p: p["R"] >= 0.4,
    "middling recency (third fifth)": lambda p: (p["R"] >= 0.4) & (p["R"] < 0.6),
    "lapsed (worst two fifths)": lambda p: p["R"] < 0.4,
    "long lapsed (worst fifth)": lambda p: p["R"] < 0.2,
    "repeat buyer (two orders or more)": lambda p: p["orders"] >= 2,
    "one order": lambda p: p["orders"] < 2,
    "frequent (best two fifths by orders, two or more)":
        lambda p: (p["F"] >= 0.6) & (p["orders"] >= 2),
    "few orders (worst two fifths by orders)": lambda p: p["F"] < 0.4,
    "high spend (best two fifths)": lambda p: p["M"] >= 0.6,
    "no purchase": lambda p: ~p["scored"],
}
_R, _FR, _NL, _MID, _LAP, _LONG, _REP, _ONE, _FREQ, _FEW, _HIGH, _NONE = CLAIM_TESTS
RFM_CLAIMS: dict[str, tuple[str, ...]] = {
    "Champions": (_R, _FREQ, _HIGH),
    "Loyal": (_NL, _FREQ),
    "Potential loyalists": (_FR, _REP),
    "New": (_R, _ONE),
    "Promising": (_FR,),
    "Need attention": (_MID, _REP),
    "About to sleep": (_MID,),
    "Can't lose them": (_LAP, _FREQ, _HIGH),
    "At risk": (_LAP, _REP),
    "Hibernating": (_LAP,),
    "Lost": (_LONG, _FEW),
    "No purchases": (_NONE,),
}


def rfm_shares(X: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per customer: whether scored, and the shares of scored customers scoring worse."""
    rec = X[RECENCY].to_numpy(dtype=float)
    freq = np.nan_to_num(X[FREQUENCY].to_numpy(dtype=float))
    spend = np.nan_to_num(X[MONETARY].to_numpy(dtype=float))
    scored = ~np.isnan(rec) & (freq > 0)
    return {
        "scored": scored, "orders": freq,
        "R": worse_share(-np.nan_to_num(rec), -rec[scored]),
        "F": worse_share(freq, freq[scored]),
        "M": worse_share(spend, spend[scored]),
    }


def check_rfm(X: pd.DataFrame, labels: np.ndarray) -> list[Violation]:
    """Every RFM label a member contradicts: one violation per (label, claim), with the
    number of customers who break it. ``X`` is the population the grid was fitted on."""
    p = rfm_shares(X)
    labels = np.asarray(labels, dtype=object)
    out = []
    for label in pd.unique(labels):
        members = labels == label
        claims = RFM_CLAIMS.get(str(label))
        if claims is None:
            out.append(Violation(str(label), str(label), "known label", "not an RFM label"))
            continue
        scored = p["scored"] if label != "No purchases" else np.ones(len(labels), bool)
        for claim in claims:
            broken = members & ~(CLAIM_TESTS[claim](p) & scored)
            if broken.any():
                out.append(Violation(str(label), str(label), claim,
                                     f"{int(broken.sum())} of {int(members.sum())} members"))
    return out


def check_segmentation(
    features: pd.DataFrame, segments: pd.DataFrame,
    rules: Mapping[int, list[Mapping[str, Bound]]] | None = None,
) -> list[Violation]:
    """Every segment name, rule, RFM label and "No purchases yet" a run's customers
    contradict; ``[]`` when all are true of their members.

    ``features`` is indexed by ``customer_id`` (the run's ``features`` output);
    ``segments`` has ``customer_id``, ``segment_id``, ``segment_name`` and ``rfm_segment``
    (the ``segments`` output); ``rules`` is the model's ``rule_ranges_``.
    """
    from shopperlens.segmentation._profiles import (
        NO_PURCHASE_ID,
        NO_PURCHASE_NAME,
        has_purchases,
    )

    seg = segments.set_index(s.CUSTOMER_ID)
    X = features.loc[seg.index]
    ids = seg[s.SEGMENT_ID].to_numpy()
    buyers = has_purchases(X)
    out = []
    misplaced = int((buyers == (ids == NO_PURCHASE_ID)).sum())
    if misplaced:
        out.append(Violation(NO_PURCHASE_ID, NO_PURCHASE_NAME, "no purchase",
                             f"{misplaced} customers on the wrong side of it"))
    pairs = seg[[s.SEGMENT_ID, s.SEGMENT_NAME]].drop_duplicates()
    for segment, count in pairs[s.SEGMENT_ID].value_counts().items():
        if count > 1:
            out.append(Violation(int(segment), "", "one name", f"{count} names"))
    names = {int(i): str(n) for i, n in zip(pairs[s.SEGMENT_ID], pairs[s.SEGMENT_NAME],
                                            strict=True) if int(i) != NO_PURCHASE_ID}
    numeric = X.select_dtypes("number")
    out += check_names(numeric[buyers], ids[buyers], names, rules)
    if s.RFM_SEGMENT in seg:
        out += check_rfm(X, seg[s.RFM_SEGMENT].to_numpy())
    return out
