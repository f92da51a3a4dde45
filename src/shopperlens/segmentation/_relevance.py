"""Which facets take part in the clustering distance: those that share structure.

A column that varies independently of everything else (a region or device mix drawn
the same way in every group, days since first order spread uniformly over everyone)
still splits customers wherever it has a gap, and a few such columns are enough to
hide the groups the other columns agree on. In the spirit of Raftery & Dean's variable
selection for clustering ("Variable selection for model-based clustering", JASA 101,
2006), a column is kept only when it is informative about the neighbourhood structure
of the *other* facets: its Laplacian score (He, Cai & Niyogi, NIPS 2005) on the
k-nearest-neighbour graph built from every facet but its own, which is about 1 for a
column independent of that graph and below 1 when neighbours share its values. A column
passes when its score is below the permutation null by more than ``Z_CRIT`` null
standard deviations (a one-sided test; columns of one facet, such as three channel
shares, never vouch for each other), and a facet is kept, all its columns, when one of
its columns passes (the facet's columns restate one fact: the three shares of a channel
mix are one choice). Two passes: the second rebuilds each graph from
the columns the first kept, so that noise does not blur the graph of the others.

When no column passes, the data show no shared structure and every column is kept;
when none passes in the second pass (one facet left, nothing to vouch for it), the
first pass's choice stands.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 10
Z_CRIT = 4.0  # about p < 3e-5: a family-wise 0.001 over up to 30 columns
_ROWS = 1_500
_PERMUTATIONS = 20


def relevant(
    Z: np.ndarray, facets: list[str], live: np.ndarray, rng: np.random.RandomState
) -> tuple[np.ndarray, np.ndarray]:
    """Mask of the columns that share structure with other facets, and each column's
    z-score against its permutation null (NaN where not tested)."""
    rows = np.sort(rng.choice(len(Z), min(len(Z), _ROWS), replace=False))
    S = Z[rows]
    facet = np.asarray(facets)
    keep = live.copy()
    z = np.full(Z.shape[1], np.nan)
    graphs: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}  # by the columns used
    decided = None  # the scores behind ``keep``
    for _ in range(2):
        z = _scores(S, facet, live, keep, rng, graphs)
        # A facet's columns restate one fact: the facet is kept when one of them passes.
        vouched = np.unique(facet[live & (z < -Z_CRIT)])
        passed = live & np.isin(facet, vouched)
        if not passed.any():  # nothing (left) to vouch: keep the previous pass's choice
            return keep, (z if decided is None else decided)
        keep, decided = passed, z
    return keep, z


def _scores(S: np.ndarray, facet: np.ndarray, live: np.ndarray, keep: np.ndarray,
            rng: np.random.RandomState,
            graphs: dict[bytes, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    z = np.full(S.shape[1], np.nan)
    for f in np.unique(facet[live]):
        others = keep & (facet != f)
        if not others.any():
            continue
        key = others.tobytes()
        if key not in graphs:
            graphs[key] = _edges(S[:, others])
        edges = graphs[key]
        for j in np.flatnonzero(live & (facet == f)):
            z[j] = _laplacian_z(S[:, j], edges, rng)
    return z


def _edges(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``NEIGHBOURS`` nearest other rows (plain numpy on the capped sample:
    sklearn's threaded search costs more in start-up than it saves here)."""
    k = min(NEIGHBOURS, len(X) - 1)
    X = X.astype(np.float32)
    sq = (X**2).sum(axis=1)
    d = sq[:, None] - 2.0 * (X @ X.T) + sq[None, :]
    np.fill_diagonal(d, np.inf)
    idx = np.argpartition(d, k - 1, axis=1)[:, :k]
    return np.repeat(np.arange(len(X)), k), idx.ravel()


def _laplacian_z(x: np.ndarray, edges: tuple[np.ndarray, np.ndarray],
                 rng: np.random.RandomState) -> float:
    """(score - null mean) / null sd, the score being the mean squared difference of
    ``x`` across the graph's edges over twice its variance."""
    a, b = edges
    var = x.var()
    if var <= 1e-12:
        return np.nan
    score = np.mean((x[a] - x[b]) ** 2) / (2 * var)
    null = []
    for _ in range(_PERMUTATIONS):
        p = rng.permutation(x)
        null.append(np.mean((p[a] - p[b]) ** 2) / (2 * var))
    sd = float(np.std(null)) or 1e-12
    return float((score - np.mean(null)) / sd)
