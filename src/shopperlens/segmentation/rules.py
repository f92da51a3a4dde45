"""Readable rules for segments from a shallow surrogate decision tree.

The tree is fitted on the *unscaled*, median-imputed features so its thresholds are in
the units a marketer knows (currency, days, shares). Depth 3 is tried first and depth 4
only when depth 3 reproduces fewer than ``min_fidelity`` of the segment labels: shallower
rules are easier to read. Fidelity is the share of customers whose tree prediction equals
their segment, overall and per segment (the per-segment figure is the segment's recall).

Each leaf is a conjunction of ranges, one per feature. A segment's leaves are then
simplified without changing which customers they cover:

* two leaves of the same segment whose ranges agree on every feature but one, where
  the two ranges touch or overlap, become one leaf (a split both sides of which give the
  same segment says nothing: "variety above 1.2" and "variety at most 1.2" merge);
* a bound that excludes none of the fitted customers the rest of its leaf admits is
  dropped (it is implied by the other clauses on the data the rules were learned from).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from sklearn.tree import DecisionTreeClassifier

from shopperlens.features.catalog import describe
from shopperlens.segmentation._validation import format_number

DEPTHS = (3, 4)
_LEAF_SHARE = 0.005  # leaves under 0.5% of customers would give rules nobody can use

Bound = tuple[float | None, float | None]  # (above, at most); None = unbounded
Ranges = dict[str, Bound]  # feature name -> its range in one rule


@dataclass
class RuleSet:
    """Rules per segment, their fidelity and the surrogate tree behind them.

    ``ranges`` holds the same rules as ``rules`` in structured form (feature name ->
    (above, at most)), for checks that read what a rule says about a feature.
    """

    rules: dict[int, list[str]]
    fidelity: float
    segment_fidelity: dict[int, float]
    tree: DecisionTreeClassifier | None
    ranges: dict[int, list[Ranges]] = field(default_factory=dict)


def _bounds_text(label: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{label} between {format_number(low)} and {format_number(high)}"
    if low is not None:
        return f"{label} above {format_number(low)}"
    return f"{label} at most {format_number(high)}"  # type: ignore[arg-type]


def rule_text(ranges: Ranges) -> str:
    """One conjunction in words, catalogue labels and rounded thresholds.

    >>> rule_text({"monetary": (100.0, None), "recency_days": (None, 30.0)})
    'total spend above 100 and days since last order at most 30'
    >>> rule_text({})
    'all customers'
    """
    parts = [_bounds_text(describe(f).label, lo, hi) for f, (lo, hi) in ranges.items()]
    return " and ".join(parts) if parts else "all customers"


def _leaf_paths(tree: DecisionTreeClassifier) -> list[tuple[int, list[tuple[int, str, float]]]]:
    """(leaf node, [(feature, '<=' or '>', threshold), ...]) for every leaf."""
    t = tree.tree_
    out: list[tuple[int, list[tuple[int, str, float]]]] = []
    stack: list[tuple[int, list[tuple[int, str, float]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        if t.children_left[node] == -1:
            out.append((node, path))
            continue
        f, thr = int(t.feature[node]), float(t.threshold[node])
        stack.append((t.children_right[node], [*path, (f, ">", thr)]))
        stack.append((t.children_left[node], [*path, (f, "<=", thr)]))
    return out


def _path_ranges(path: list[tuple[int, str, float]], names: list[str]) -> Ranges:
    """Repeated tests on a feature merged into one range."""
    ranges: Ranges = {}
    for f, op, thr in path:
        low, high = ranges.get(names[f], (None, None))
        if op == ">":
            low = thr if low is None else max(low, thr)
        else:
            high = thr if high is None else min(high, thr)
        ranges[names[f]] = (low, high)
    return ranges


def _union(a: Bound, b: Bound) -> Bound | None:
    """The union of two ranges when it is one range (they touch or overlap), else None."""
    lows = [a[0], b[0]]
    highs = [a[1], b[1]]
    top_low = max((v for v in lows if v is not None), default=None)
    bottom_high = min((v for v in highs if v is not None), default=None)
    if top_low is not None and bottom_high is not None and top_low > bottom_high:
        return None
    low = None if None in lows else min(lows)  # type: ignore[type-var]
    high = None if None in highs else max(highs)  # type: ignore[type-var]
    return low, high


def _merge_pair(a: Ranges, b: Ranges) -> Ranges | None:
    """``a`` or ``b`` as one rule when they differ on at most one feature's range."""
    features = list(dict.fromkeys([*a, *b]))
    differ = [f for f in features if a.get(f, (None, None)) != b.get(f, (None, None))]
    if len(differ) > 1:
        return None
    if not differ:
        return a
    f = differ[0]
    merged = _union(a.get(f, (None, None)), b.get(f, (None, None)))
    if merged is None:
        return None
    out = dict(a)
    out[f] = merged
    if merged == (None, None):
        del out[f]
    return out


def merge_rules(rules: list[Ranges]) -> list[Ranges]:
    """Merge a segment's rules pairwise until no two differ on one feature's range alone.

    >>> merge_rules([{"recency_days": (None, 30.0), "category_entropy": (1.2, None)},
    ...              {"recency_days": (None, 30.0), "category_entropy": (None, 1.2)}])
    [{'recency_days': (None, 30.0)}]
    """
    rules = list(rules)
    merged = True
    while merged:
        merged = False
        for i, j in combinations(range(len(rules)), 2):
            union = _merge_pair(rules[i], rules[j])
            if union is not None:
                rules[i] = union
                del rules[j]
                merged = True
                break
    return rules


def _masks(X: np.ndarray, ranges: Ranges, names: list[str]) -> dict[tuple[str, int], np.ndarray]:
    out = {}
    for f, (lo, hi) in ranges.items():
        column = X[:, names.index(f)]
        if lo is not None:
            out[(f, 0)] = column > lo
        if hi is not None:
            out[(f, 1)] = column <= hi
    return out


def drop_redundant(ranges: Ranges, X: np.ndarray, names: list[str]) -> Ranges:
    """``ranges`` without the bounds that exclude no row of ``X`` the others admit."""
    masks = _masks(X, ranges, names)
    for key in list(masks):
        others = [m for k, m in masks.items() if k != key]
        admitted = np.logical_and.reduce(others) if others else np.ones(len(X), bool)
        if masks[key][admitted].all():
            del masks[key]
    out: Ranges = {}
    for f, (lo, hi) in ranges.items():
        bound = (lo if (f, 0) in masks else None, hi if (f, 1) in masks else None)
        if bound != (None, None):
            out[f] = bound
    return out


def _segment_ranges(
    tree: DecisionTreeClassifier, X: np.ndarray, names: list[str]
) -> dict[int, list[Ranges]]:
    """Each segment's simplified rules, the rule covering most rows of ``X`` first."""
    t = tree.tree_
    leaves: dict[int, list[Ranges]] = {int(c): [] for c in tree.classes_}
    for node, path in _leaf_paths(tree):
        segment = int(tree.classes_[int(np.argmax(t.value[node][0]))])
        leaves[segment].append(_path_ranges(path, names))
    out = {}
    for segment, rules in leaves.items():
        simple = [drop_redundant(r, X, names) for r in merge_rules(rules)]
        simple = merge_rules(simple)
        size = [int(np.logical_and.reduce([*_masks(X, r, names).values(),
                                           np.ones(len(X), bool)]).sum()) for r in simple]
        order = sorted(range(len(simple)), key=lambda i: -size[i])
        out[segment] = [simple[i] for i in order]
    return out


def _fit_tree(X: np.ndarray, labels: np.ndarray, depth: int, seed: int) -> DecisionTreeClassifier:
    leaf = max(1, int(_LEAF_SHARE * len(X)))
    return DecisionTreeClassifier(
        max_depth=depth, min_samples_leaf=leaf, random_state=seed
    ).fit(X, labels)


def surrogate_rules(
    X: np.ndarray, labels: np.ndarray, names: list[str], *,
    sample: np.ndarray | None = None, min_fidelity: float = 0.85, random_state: int = 0,
) -> RuleSet:
    """Fit the surrogate tree and describe each segment's leaves in plain words.

    Parameters
    ----------
    X : ndarray of shape (n_customers, n_features)
        Unscaled features without missing values (impute first).
    labels : ndarray of int, shape (n_customers,)
        Segment of each customer, ``0 .. n_segments - 1``.
    names : list of str
        Feature names (catalogue labels are used in the text).
    sample : ndarray of int, optional
        Rows to fit the tree on (all rows when omitted); fidelity uses all rows.

    Examples
    --------
    >>> X = np.array([[100.0, 30], [120.0, 10], [900.0, 20], [1500.0, 40]])
    >>> result = surrogate_rules(X, np.array([0, 0, 1, 1]), ["monetary", "recency_days"])
    >>> result.rules
    {0: ['total spend at most 510'], 1: ['total spend above 510']}
    >>> result.fidelity
    1.0
    """
    n_segments = int(labels.max()) + 1 if len(labels) else 0
    if n_segments <= 1:
        return RuleSet({0: ["all customers"]}, 1.0, {0: 1.0}, None, {0: [{}]})
    fit_rows = np.arange(len(X)) if sample is None else sample
    for depth in DEPTHS:
        tree = _fit_tree(X[fit_rows], labels[fit_rows], depth, random_state)
        agree = tree.predict(X) == labels
        if agree.mean() >= min_fidelity:
            break
    per_segment = np.bincount(labels, weights=agree, minlength=n_segments) / np.maximum(
        np.bincount(labels, minlength=n_segments), 1
    )
    empty: dict[int, list[Ranges]] = {s: [] for s in range(n_segments)}
    ranges = empty | _segment_ranges(tree, X[fit_rows], names)
    rules = {s: [rule_text(r) for r in rs] for s, rs in ranges.items()}
    return RuleSet(
        rules, float(agree.mean()), {s: float(v) for s, v in enumerate(per_segment)}, tree,
        ranges,
    )
