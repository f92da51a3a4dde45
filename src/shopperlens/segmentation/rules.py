"""Readable rules for segments from a shallow surrogate decision tree.

The tree is fitted on the *unscaled*, median-imputed features so its thresholds are in
the units a marketer knows (currency, days, shares). Depth 3 is tried first and depth 4
only when depth 3 reproduces fewer than ``min_fidelity`` of the segment labels: shallower
rules are easier to read. Fidelity is the share of customers whose tree prediction equals
their segment, overall and per segment (the per-segment figure is the segment's recall).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.tree import DecisionTreeClassifier

from shopperlens.features.catalog import describe
from shopperlens.segmentation._validation import format_number

DEPTHS = (3, 4)
_LEAF_SHARE = 0.005  # leaves under 0.5% of customers would give rules nobody can use


@dataclass
class RuleSet:
    """Rules per segment, their fidelity and the surrogate tree behind them."""

    rules: dict[int, list[str]]
    fidelity: float
    segment_fidelity: dict[int, float]
    tree: DecisionTreeClassifier | None


def _bounds_text(label: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{label} between {format_number(low)} and {format_number(high)}"
    if low is not None:
        return f"{label} above {format_number(low)}"
    return f"{label} at most {format_number(high)}"  # type: ignore[arg-type]


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


def _path_text(path: list[tuple[int, str, float]], names: list[str]) -> str:
    """One conjunction, with repeated tests on a feature merged into one range."""
    bounds: dict[int, list[float | None]] = {}
    for f, op, thr in path:
        low, high = bounds.setdefault(f, [None, None])
        if op == ">":
            bounds[f][0] = thr if low is None else max(low, thr)
        else:
            bounds[f][1] = thr if high is None else min(high, thr)
    parts = [_bounds_text(describe(names[f]).label, lo, hi) for f, (lo, hi) in bounds.items()]
    return " and ".join(parts) if parts else "all customers"


def _describe_tree(tree: DecisionTreeClassifier, names: list[str]) -> dict[int, list[str]]:
    t = tree.tree_
    leaves = []
    for node, path in _leaf_paths(tree):
        segment = int(tree.classes_[int(np.argmax(t.value[node][0]))])
        leaves.append((segment, -int(t.n_node_samples[node]), _path_text(path, names)))
    rules: dict[int, list[str]] = {int(c): [] for c in tree.classes_}
    for segment, _, text in sorted(leaves):  # biggest leaf first within a segment
        if text not in rules[segment]:
            rules[segment].append(text)
    return rules


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
        return RuleSet({0: ["all customers"]}, 1.0, {0: 1.0}, None)
    fit_rows = np.arange(len(X)) if sample is None else sample
    for depth in DEPTHS:
        tree = _fit_tree(X[fit_rows], labels[fit_rows], depth, random_state)
        agree = tree.predict(X) == labels
        if agree.mean() >= min_fidelity:
            break
    per_segment = np.bincount(labels, weights=agree, minlength=n_segments) / np.maximum(
        np.bincount(labels, minlength=n_segments), 1
    )
    empty: dict[int, list[str]] = {s: [] for s in range(n_segments)}
    rules = empty | _describe_tree(tree, names)
    return RuleSet(
        rules, float(agree.mean()), {s: float(v) for s, v in enumerate(per_segment)}, tree
    )
