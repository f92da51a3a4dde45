"""Over-segmentation guard: segments told apart only by nuisance facets are one segment.

A clustering happily splits a group of customers by whatever varies inside it: channel
mix, device, region. Such segments read differently ("In-store / Online / App lapsed
occasionals") but call for the same action, and they multiply the offers a customer
gets. The guard merges two segments when, on every *defining* facet (every facet with
weight that is not a nuisance), their means differ by less than :data:`GAP` population
standard deviations (root mean square over the facet's columns). Merging is transitive.

``GAP`` is half a standard deviation, Cohen's conventional "medium" effect: a split is
kept when its halves differ by at least that much on some behaviour that defines
segments. It is a convention, not a value fitted to any data set.
"""

from __future__ import annotations

from typing import Any

import numpy as np

GAP = 0.5


class Merged:
    """A fitted clustering whose segments the guard merged: ``mapping[raw label]``."""

    def __init__(self, model: Any, mapping: np.ndarray) -> None:
        self.model, self.mapping = model, mapping

    def predict(self, Z: np.ndarray) -> np.ndarray:
        return self.mapping[np.asarray(self.model.predict(Z), dtype=np.intp)]


class Guard:
    """Merges segments that differ only on nuisance facets, on a fixed sample.

    ``Z`` holds the scaled sample (every column has population standard deviation 1);
    ``facets`` the facet of each column; ``defining`` which columns count.

    >>> Z = np.r_[np.c_[np.zeros(50), np.zeros(50)], np.c_[np.zeros(50), np.ones(50) * 3]]
    >>> guard = Guard(Z, ["value", "channel"], np.array([True, False]))
    >>> guard.mapping(np.r_[np.zeros(50, int), np.ones(50, int)], 2).tolist()
    [0, 0]
    >>> Guard(Z, ["value", "channel"], np.array([True, True])).mapping(
    ...     np.r_[np.zeros(50, int), np.ones(50, int)], 2).tolist()
    [0, 1]
    """

    def __init__(self, Z: np.ndarray, facets: list[str], defining: np.ndarray) -> None:
        self.Z = Z
        names = sorted({f for f, d in zip(facets, defining, strict=True) if d})
        self.columns = [np.flatnonzero([f == n and d for f, d in zip(facets, defining,
                                                                      strict=True)])
                        for n in names]
        self.names = names

    def gaps(self, labels: np.ndarray, k: int) -> np.ndarray:
        """Per pair of segments (k x k) the largest facet gap in standard deviations."""
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros((k, self.Z.shape[1]))
        np.add.at(sums, labels, self.Z)
        means = sums / np.maximum(counts, 1)[:, None]
        gap = np.zeros((k, k))
        for cols in self.columns:
            diff = means[:, None, cols] - means[None, :, cols]
            gap = np.maximum(gap, np.sqrt((diff**2).mean(axis=2)))
        return gap

    def mapping(self, labels: np.ndarray, k: int) -> np.ndarray:
        """Merged segment of each raw segment 0..k-1, numbered 0.. in raw order."""
        if not self.columns:
            return np.arange(k)
        gap = self.gaps(labels, k)
        parent = np.arange(k)
        for a in range(k):
            for b in range(a + 1, k):
                if gap[a, b] < GAP:
                    ra, rb = _root(parent, a), _root(parent, b)
                    parent[max(ra, rb)] = min(ra, rb)
        roots = np.array([_root(parent, i) for i in range(k)])
        return np.unique(roots, return_inverse=True)[1].astype(np.intp)


def _root(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        i = int(parent[i])
    return i
