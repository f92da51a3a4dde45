"""Stable segment identities across re-fits.

When segments are re-fitted, each new segment takes the id of the old segment it shares
most customers with, found as a maximum-overlap one-to-one assignment (Hungarian
algorithm, :func:`scipy.optimize.linear_sum_assignment`). A new segment left without a
partner, or whose partner shares no customer with it, gets a fresh id above every old id.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from shopperlens.errors import InputError
from shopperlens.segmentation._validation import ensure_fitted


def _aligned(old_labels: Any, new_labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """Labels of the common customers: by index for two Series, else by position."""
    if isinstance(old_labels, pd.Series) and isinstance(new_labels, pd.Series):
        common = old_labels.index.intersection(new_labels.index)
        return old_labels.loc[common].to_numpy(), new_labels.loc[common].to_numpy()
    old, new = np.asarray(old_labels), np.asarray(new_labels)
    if old.shape != new.shape:
        raise InputError(
            f"old_labels and new_labels must describe the same customers; got "
            f"{old.shape[0]} and {new.shape[0]} labels. Pass two Series indexed by "
            "customer id to match on the common customers."
        )
    return old, new


def match_segments(old_labels: Any, new_labels: Any) -> dict[int, int]:
    """Map each new segment id to the old id it overlaps most (fresh ids when none).

    Parameters
    ----------
    old_labels, new_labels : array-like of int
        Segments of the same customers before and after a re-fit, by position; or two
        Series indexed by customer id, matched on the customers they share.

    Examples
    --------
    >>> old = [0, 0, 0, 1, 1, 2, 2]
    >>> new = [1, 1, 0, 0, 0, 2, 3]
    >>> match_segments(old, new)
    {0: 1, 1: 0, 2: 2, 3: 3}
    """
    old, new = _aligned(old_labels, new_labels)
    old_ids = np.unique(np.asarray(old_labels))
    new_ids = np.unique(np.asarray(new_labels))
    overlap = np.zeros((len(new_ids), len(old_ids)), dtype=np.int64)
    if len(old):
        rows = np.searchsorted(new_ids, new)
        cols = np.searchsorted(old_ids, old)
        np.add.at(overlap, (rows, cols), 1)
    mapping: dict[int, int] = {}
    for r, c in zip(*linear_sum_assignment(overlap, maximize=True), strict=True):
        if overlap[r, c] > 0:
            mapping[int(new_ids[r])] = int(old_ids[c])
    fresh = int(old_ids.max()) + 1 if len(old_ids) else 0
    for new_id in new_ids:
        if int(new_id) not in mapping:
            mapping[int(new_id)] = fresh
            fresh += 1
    return dict(sorted(mapping.items()))


def relabel_model(model: Any, old_labels: Any, new_labels: Any = None) -> Any:
    """A copy of a fitted ``SegmentModel`` whose segment ids follow the old ones.

    ``new_labels`` defaults to ``model.labels_`` (the training customers, in order).
    Every per-segment attribute (``labels_``, ``profiles_``, ``names_``, ``rules_``,
    ``rule_ranges_``, ``actions_``, ``segment_fidelity_``) and ``predict`` use the matched ids, so
    segment 0 may no longer be the biggest.

    Examples
    --------
    >>> import numpy as np
    >>> from shopperlens.segmentation import SegmentModel
    >>> X = np.r_[np.zeros((60, 2)), np.full((40, 2), 9.0)] + np.arange(100)[:, None] % 3
    >>> model = SegmentModel(k_range=(2, 2), n_resamples=1).fit(X)
    >>> old = 1 - model.labels_          # last year the big segment was called 1
    >>> relabel_model(model, old).predict(X[:1]), model.predict(X[:1])
    (array([1]), array([0]))
    """
    ensure_fitted(model)
    labels = model.labels_ if new_labels is None else new_labels
    return renumber(model, match_segments(old_labels, labels))


def renumber(model: Any, mapping: dict[int, int], names: dict[int, str] | None = None,
             first: set[int] | None = None) -> Any:
    """A copy of a fitted ``SegmentModel`` with segment ``i`` renumbered ``mapping[i]``
    (ids missing from ``mapping`` are kept) and, for the new ids in ``names``, that name.

    Every per-segment attribute (``labels_``, ``profiles_``, ``names_``, ``rules_``,
    ``rule_ranges_``, ``actions_``, ``segment_fidelity_``) and ``predict`` follow. Two
    segments mapped to one id become one: ``predict`` gives that id to the customers of
    both, and the description (name, rules, profile) is that of the one in ``first``
    (else of the lower id).
    """
    ensure_fitted(model)
    out = copy.deepcopy(model)
    ids = {int(i): mapping.get(int(i), int(i)) for i in model.segment_ids_}
    order = sorted(ids, key=lambda i: (i not in (first or set()), i))
    describes = {ids[i]: i for i in reversed(order)}  # the first in order wins an id
    out.segment_ids_ = np.array([ids[int(i)] for i in model.segment_ids_])
    out.labels_ = np.array([ids[int(i)] for i in model.labels_], dtype=np.intp)
    kept = [describes[ids[int(i)]] == int(i) for i in model.profiles_.index]
    out.profiles_ = model.profiles_[kept].rename(index=ids)
    for attr in ("names_", "rules_", "rule_ranges_", "actions_", "segment_fidelity_"):
        if hasattr(model, attr):  # rule_ranges_: models saved before it existed lack it
            setattr(out, attr, {ids[k]: v for k, v in getattr(model, attr).items()
                                if describes[ids[k]] == k})
    if names:
        out.names_.update({k: v for k, v in names.items() if k in out.names_})
        out.profiles_["name"] = [out.names_[int(i)] for i in out.profiles_.index]
    return out
