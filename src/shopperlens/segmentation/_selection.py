"""Choose the clustering algorithm and number of segments.

Every candidate (algorithm, k) is fitted on the selection sample and scored by

* internal quality: silhouette on a fixed sub-sample of at most 3,000 points (the
  pairwise distances are computed once and shared), plus Calinski-Harabasz and
  Davies-Bouldin on the whole selection sample, for the report table;
* stability: the candidate is re-fitted on ``n_resamples`` random half-samples and each
  re-fit labels the whole selection sample; the mean adjusted Rand index (ARI) against
  the reference fit measures whether the segments can be found again (Lange et al.,
  "Stability-based validation of clustering solutions", Neural Computation 16, 2004).

Selection rule (over-segmentation guard first):

1. a candidate is *valid* when its smallest segment holds at least ``min_share`` of the
   sample, its stability is at least ``min_stability`` and its silhouette is defined;
2. among valid candidates, those within ``SILHOUETTE_TIE`` (0.01) of the best silhouette
   tie, and the tie goes to the fewest segments, then to the earlier algorithm in
   ``algorithms``. A measured candidate's silhouette is the mean over its fit and its
   re-fits (each labelling the same sub-sample): the best of some twenty single fits is
   often one whose fit was lucky (a Ward tree on a sub-sample, a k-means start), and
   choosing on it flips the number of segments between resamples of the same data;
3. when no candidate is valid the data has no segments that can be told apart, and the
   result is one segment holding everyone (table row ``algorithm="none"``, ``k=1``).

Before it is scored, each candidate passes the over-segmentation guard when one is given
(:mod:`._guard`): its segments that differ on no defining facet are merged, and the
table's ``segments`` column gives the number left (``k`` is the number fitted). Scores,
stability (re-fits merged the same way) and the tie-break use the merged segments.

Stability, the dearest score (``n_resamples`` re-fits per candidate), is measured only
where it can change the choice: candidates are taken by falling silhouette of their fit,
and those whose fit scores below the tie band of the best valid candidate measured so far
are left unmeasured (only re-fits scoring above their own fit could lift them into it).
Each algorithm's half-samples are drawn before any is measured, so a candidate's
stability does not depend on which others were measured.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances,
    silhouette_score,
)
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from shopperlens.segmentation._guard import Guard, Merged

ALGORITHMS = ("kmeans", "gmm", "agglomerative")
SILHOUETTE_TIE = 0.01
COLUMNS = [
    "algorithm", "k", "segments", "silhouette", "calinski_harabasz", "davies_bouldin",
    "stability", "min_share", "valid", "reason", "chosen",
]
# Caps keep selection at 1M customers within seconds: GMM (full covariance) and Ward
# (quadratic memory) are fitted on sub-samples and label the rest by prediction.
_SILHOUETTE_ROWS = 3_000
_GMM_ROWS = 5_000
_WARD_ROWS = 2_000
_RESAMPLE_FRACTION = 0.5
MAX_SEED = 2**31 - 1


class Centroids:
    """Nearest-centroid assignment (used for the Ward hierarchy fitted on a sample)."""

    def __init__(self, centers: np.ndarray) -> None:
        self.cluster_centers_ = centers

    def predict(self, Z: np.ndarray) -> np.ndarray:
        # ||z - c||^2 up to the per-row constant ||z||^2; plain numpy avoids the
        # thread start-up cost sklearn's pairwise reductions pay on small inputs.
        centers = self.cluster_centers_
        d = (centers**2).sum(axis=1) - 2.0 * (Z @ centers.T)
        return np.argmin(d, axis=1)


@dataclass
class Selection:
    """Outcome of :func:`select_model`: the table and the winner (None = one segment)."""

    table: pd.DataFrame
    model: Any
    algorithm: str
    k: int


class _Fits:
    """The fits done of those planned, told to ``progress(done, total)`` as they end:
    one per candidate, then ``n_resamples`` per candidate whose stability is measured
    (planned for those likely to be, more added when more are)."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None) -> None:
        self.done, self.total, self.progress = 0, total, progress

    def plan(self, more: int) -> None:
        self.total += more

    def add(self, fits: int = 1) -> None:
        self.done += fits
        if self.progress is not None:
            self.progress(self.done, self.total)


def sample_rows(n: int, size: int, rng: np.random.RandomState) -> np.ndarray:
    """Rows a model is fitted and described on: all ``n``, or a seeded ``size`` of them."""
    if n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size, replace=False))


def _fit_models(
    algorithm: str, ks: Sequence[int], Z: np.ndarray, seed: int
) -> dict[int, Any]:
    """Fit one model per k; a k that cannot be fitted on ``Z`` is left out."""
    rng = np.random.RandomState(seed)
    ks = [k for k in ks if k < len(Z)]
    models: dict[int, Any] = {}
    with warnings.catch_warnings():
        # Degenerate fits (duplicate points, no convergence) are caught by the guards.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if algorithm == "kmeans":
            for k in ks:
                models[k] = KMeans(k, n_init=2, random_state=seed).fit(Z)
        elif algorithm == "gmm":
            sample = Z[sample_rows(len(Z), _GMM_ROWS, rng)]
            for k in [k for k in ks if k < len(sample)]:
                models[k] = GaussianMixture(
                    k, covariance_type="full", reg_covar=1e-4, init_params="k-means++",
                    random_state=seed,
                ).fit(sample)
        else:
            models = _fit_ward(ks, Z[sample_rows(len(Z), _WARD_ROWS, rng)])
    return models


def _fit_ward(ks: Sequence[int], sample: np.ndarray) -> dict[int, Any]:
    """One Ward tree, cut at every k (cutting is cheap; building the tree is not)."""
    if len(sample) < 3:
        return {}
    tree = linkage(sample, method="ward")
    models = {}
    for k in ks:
        cut = fcluster(tree, k, criterion="maxclust") - 1
        if len(np.unique(cut)) == k:
            centers = np.vstack([sample[cut == c].mean(axis=0) for c in range(k)])
            models[k] = Centroids(centers)
    return models


def _quality(Z: np.ndarray, labels: np.ndarray, sil_idx: np.ndarray, D: np.ndarray) -> dict:
    k_found = len(np.unique(labels))
    shares = np.bincount(labels) / len(labels)
    row = {"segments": k_found, "min_share": float(shares[shares > 0].min()),
           "silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan}
    if 2 <= k_found < len(Z):
        row["calinski_harabasz"] = float(calinski_harabasz_score(Z, labels))
        row["davies_bouldin"] = float(davies_bouldin_score(Z, labels))
    row["silhouette"] = _silhouette(labels[sil_idx], D)
    return row


def _silhouette(labels: np.ndarray, D: np.ndarray) -> float:
    """Silhouette of ``labels`` from their pairwise distances ``D`` (NaN if undefined)."""
    if 2 <= len(np.unique(labels)) < len(labels):
        return float(silhouette_score(D, labels, metric="precomputed"))
    return np.nan


def _judge(row: dict, min_share: float, min_stability: float) -> tuple[bool, str]:
    why = _size_guard(row, min_share)
    if why:
        return False, why
    if not row["stability"] >= min_stability:
        return False, f"unstable: mean ARI {row['stability']:.2f} < {min_stability:.2f}"
    return True, ""


def _size_guard(row: dict, min_share: float) -> str:
    """Why a candidate fails the guards that need no stability ("" when it passes)."""
    if row["k_found"] < row["k"]:
        return f"only {row['k_found']} distinct segments found"
    if row["segments"] < 2:
        return "its segments differ only on nuisance facets: merged into one"
    if row["min_share"] < min_share:
        return f"smallest segment holds {row['min_share']:.1%} < min_share {min_share:.1%}"
    if not np.isfinite(row["silhouette"]):
        return "silhouette undefined"
    return ""


class _Stability:
    """Stability of any candidate on demand: the mean ARI between its reference labels
    and its re-fits on the half-samples drawn for its algorithm."""

    def __init__(self, Z: np.ndarray, ks: list[int], algorithms: Sequence[str],
                 n_resamples: int, rng: np.random.RandomState, guard: Guard | None,
                 sil_idx: np.ndarray, D: np.ndarray) -> None:
        size = max(2, int(len(Z) * _RESAMPLE_FRACTION))
        self.Z, self.ks, self.guard, self.n_resamples = Z, ks, guard, n_resamples
        self.sil_idx, self.D = sil_idx, D
        self.silhouettes: dict[tuple[str, int], list[float]] = {}  # of the re-fits
        self.labels: dict[tuple[str, int], np.ndarray] = {}
        self.draws = {
            a: [(np.sort(rng.choice(len(Z), size, replace=False)), rng.randint(MAX_SEED))
                for _ in range(n_resamples)]
            for a in algorithms
        }
        self._ward: dict[int, dict[int, Any]] = {}  # Ward re-fits per half-sample

    def __call__(self, algorithm: str, k: int) -> float:
        labels, scores = self.labels[algorithm, k], []
        silhouettes = self.silhouettes.setdefault((algorithm, k), [])
        for r, (idx, seed) in enumerate(self.draws[algorithm]):
            fit = self._refit(algorithm, k, r, idx, seed)
            # A re-fit that cannot be made at all counts as not finding the segments.
            if fit is None:
                scores.append(0.0)
                continue
            refit = self.predict(fit, k)
            scores.append(float(adjusted_rand_score(labels, refit)))
            silhouettes.append(_silhouette(refit[self.sil_idx], self.D))
        return float(np.mean(scores)) if scores else np.nan

    def predict(self, fit: Any, k: int) -> np.ndarray:
        """Labels of a re-fit on the whole sample, merged by the guard as the reference."""
        raw = np.asarray(fit.predict(self.Z), dtype=np.intp)
        return raw if self.guard is None else self.guard.mapping(raw, k)[raw]

    def _refit(self, algorithm: str, k: int, r: int, idx: np.ndarray, seed: int) -> Any:
        if algorithm != "agglomerative":
            return _fit_models(algorithm, [k], self.Z[idx], seed).get(k)
        if r not in self._ward:  # one tree per half-sample, cut at every k
            self._ward[r] = _fit_models(algorithm, self.ks, self.Z[idx], seed)
        return self._ward[r].get(k)


def _candidates(
    Z: np.ndarray, ks: list[int], algorithms: Sequence[str], n_resamples: int,
    rng: np.random.RandomState, guard: Guard | None, fits: _Fits,
) -> tuple[list[dict], dict[tuple[str, int], Any], _Stability]:
    sil_idx = np.sort(rng.choice(len(Z), min(len(Z), _SILHOUETTE_ROWS), replace=False))
    D = pairwise_distances(Z[sil_idx])
    rows, models = [], {}
    stability = _Stability(Z, ks, algorithms, n_resamples, rng, guard, sil_idx, D)
    for algorithm in algorithms:
        refs = _fit_models(algorithm, ks, Z, rng.randint(MAX_SEED))
        for k in ks:
            row: dict[str, Any] = {"algorithm": algorithm, "k": k, "stability": np.nan}
            if k not in refs:
                row.update(k_found=0, segments=0, min_share=np.nan, silhouette=np.nan,
                           calinski_harabasz=np.nan, davies_bouldin=np.nan)
            else:
                model, labels, k_found = _guarded(refs[k], k, Z, guard)
                stability.labels[algorithm, k] = labels
                row.update(_quality(Z, labels, sil_idx, D), k_found=k_found)
                models[(algorithm, k)] = model
            rows.append(row)
            fits.add()
    return rows, models, stability


def _guarded(
    model: Any, k: int, Z: np.ndarray, guard: Guard | None,
) -> tuple[Any, np.ndarray, int]:
    """The model with the guard's merges, its labels, and its distinct raw segments."""
    raw = np.asarray(model.predict(Z), dtype=np.intp)
    k_found = len(np.unique(raw))
    if guard is None or k_found < k:
        return model, raw, k_found
    mapping = guard.mapping(raw, k)
    if mapping.max() + 1 == k:
        return model, raw, k_found
    return Merged(model, mapping), mapping[raw], k_found


def _measure_contenders(rows: list[dict], stability: _Stability, min_share: float,
                        min_stability: float, fits: _Fits) -> None:
    """Stability of the candidates that pass the size guards, by falling silhouette, up
    to the tie band of the best valid one so far (see module). A measured candidate's
    silhouette becomes the mean over its fit and its re-fits."""
    contenders = sorted((r for r in rows if r["k_found"] and not _size_guard(r, min_share)),
                        key=lambda r: -r["silhouette"])  # stable: table order
    # planned: the re-fits of those in the tie band of the first (all, when it is stable)
    top = contenders[0]["silhouette"] if contenders else 0.0
    likely = sum(r["silhouette"] >= top - SILHOUETTE_TIE for r in contenders)
    fits.plan(stability.n_resamples * likely)
    best, measured = None, 0
    for row in contenders:
        if best is not None and row["silhouette"] < best - SILHOUETTE_TIE:
            row["unmeasured"] = True
            continue
        measured += 1
        if measured > likely:  # the first were unstable: more to measure than planned
            fits.plan(stability.n_resamples)
        key = (row["algorithm"], row["k"])
        row["stability"] = stability(*key)
        fits.add(stability.n_resamples)
        row["silhouette"] = float(np.nanmean([row["silhouette"], *stability.silhouettes[key]]))
        if row["stability"] >= min_stability:
            best = row["silhouette"] if best is None else max(best, row["silhouette"])


def select_model(
    Z: np.ndarray, *, k_range: tuple[int, int], algorithms: Sequence[str],
    min_share: float, min_stability: float, n_resamples: int,
    rng: np.random.RandomState, guard: Guard | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Selection:
    """Score every candidate on the scaled sample ``Z`` and pick the winner (see module).
    ``progress(done, total)`` is told the fits so far (see :class:`_Fits`)."""
    ks = list(range(k_range[0], k_range[1] + 1))
    fits = _Fits(len(ks) * len(algorithms), progress)
    # Fits on a 20k-row sample gain little from OpenMP/BLAS threads and lose much to
    # thread start-up and spin-waiting on a busy machine: one thread is faster.
    with threadpool_limits(limits=1):
        rows, models, stability = _candidates(Z, ks, algorithms, n_resamples, rng, guard,
                                              fits)
        _measure_contenders(rows, stability, min_share, min_stability, fits)
    for row in rows:
        row["valid"], row["reason"] = (
            (False, "too few customers to fit") if not row["k_found"] else
            (False, "") if row.pop("unmeasured", False)  # its reason needs the best
            else _judge(row, min_share, min_stability)
        )
        row["chosen"] = False
    valid = [r for r in rows if r["valid"]]
    if not valid:
        rows.append({"algorithm": "none", "k": 1, "valid": True, "chosen": True,
                     "reason": "chosen: no candidate passed the guards, so one segment"})
        return Selection(_table(rows), None, "none", 1)
    best = max(r["silhouette"] for r in valid)
    order = {a: i for i, a in enumerate(algorithms)}
    tied = [r for r in valid if r["silhouette"] >= best - SILHOUETTE_TIE]
    winner = min(tied, key=lambda r: (r["segments"], r["k"], order[r["algorithm"]]))
    for r in valid:
        r["reason"] = (
            f"silhouette {r['silhouette']:.3f} < best {best:.3f}" if r not in tied
            else "ties the best silhouette with more segments or a later algorithm"
        )
    for r in rows:
        if r["k_found"] and not r["valid"] and not r["reason"]:
            r["reason"] = (f"its fit's silhouette {r['silhouette']:.3f} < best {best:.3f} "
                           "(stability not measured)")
    winner["chosen"] = True
    winner["reason"] = ("chosen: best silhouette among stable candidates with no segment "
                        "under min_share (ties go to fewer segments)")
    key = (winner["algorithm"], winner["k"])
    return Selection(_table(rows), models[key], winner["algorithm"], winner["segments"])


def _table(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    table["valid"] = table["valid"].astype(bool)
    table["chosen"] = table["chosen"].astype(bool)
    table["k"] = table["k"].astype(int)
    table["segments"] = table["segments"].fillna(table["k"]).astype(int)
    return table
