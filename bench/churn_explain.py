"""TreeSHAP for churn drivers: LightGBM's pred_contrib against the per-pattern fast path.

    python bench/churn_explain.py [--rows 1000000] [--repeats 3] [--sizes 1000 5000 20000]

Trains a LightGBM classifier set up like ChurnModel's booster (50 trees, 8 leaves,
learning rate 0.2) on 50,000 synthetic rows (20 features, 5% NaN, some exact zeros),
then, on ``--rows`` further rows and in the same run, times the baseline
``booster.predict(X, pred_contrib=True, num_threads=0)`` (what ChurnModel.explain called
before) and ``shopperlens.models._treeshap.contributions`` (the same threads), checks that
they agree (rtol 1e-9, atol 1e-12) and prints rows/s of each and the speed-up. Figures
are the best of ``--repeats`` in wall-clock seconds, CPU seconds of the process (all
threads) beside them: on a machine shared with other work, wall-clock time also counts
the time other processes hold the cores.

``--sizes`` also times both on those smaller row counts, the fast path forced
(``min_rows=0``): the break-even behind ``_treeshap.MIN_ROWS``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.datasets import make_classification

from shopperlens.models import _treeshap

TRAIN = 50_000


def make_data(rows: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """``TRAIN + rows`` rows of 20 features; 5% NaN and 2% exact zeros in every column."""
    X, y = make_classification(n_samples=TRAIN + rows, n_features=20, n_informative=10,
                               flip_y=0.05, random_state=seed)
    rng = np.random.default_rng(seed)
    draw = rng.random(X.shape)
    X[draw < 0.05] = np.nan
    X[(draw >= 0.05) & (draw < 0.07)] = 0.0
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]), y


def fit(X: pd.DataFrame, y: np.ndarray) -> LGBMClassifier:
    # ChurnModel._booster_model's settings
    return LGBMClassifier(n_estimators=50, learning_rate=0.2, num_leaves=8, random_state=0,
                          n_jobs=1, deterministic=True, force_row_wise=True,
                          verbose=-1).fit(X, y)


def timed(fn: Callable[[], np.ndarray], repeats: int) -> tuple[np.ndarray, float, float]:
    """The result, and wall-clock and CPU seconds of the fastest of ``repeats`` runs."""
    best = (np.inf, np.inf)
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return out, *best


def compare(booster, X: pd.DataFrame, repeats: int, min_rows: int) -> None:  # noqa: ANN001
    base, base_wall, base_cpu = timed(
        lambda: booster.predict(X, pred_contrib=True, num_threads=0), repeats)
    fast, fast_wall, fast_cpu = timed(
        lambda: _treeshap.contributions(booster, X, num_threads=0, min_rows=min_rows), repeats)
    np.testing.assert_allclose(fast, base, rtol=1e-9, atol=1e-12)
    n = len(X)
    print(f"{n:>9,} rows: pred_contrib {base_wall:8.3f} s ({n / base_wall:>11,.0f} rows/s, "
          f"cpu {base_cpu:.3f} s) | fast path {fast_wall:7.3f} s ({n / fast_wall:>11,.0f} "
          f"rows/s, cpu {fast_cpu:.3f} s) | speed-up {base_wall / fast_wall:5.1f}x "
          f"(cpu {base_cpu / fast_cpu:.1f}x) | max |diff| {np.abs(fast - base).max():.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=[],
                        help="also these smaller row counts, fast path forced")
    args = parser.parse_args()
    X, y = make_data(max([args.rows, *args.sizes]))
    booster = fit(X.iloc[:TRAIN], y[:TRAIN]).booster_
    trees = _treeshap.tree_splits(booster)
    assert trees is not None, "the fast path should apply to this model"
    print(f"{len(trees)} trees, {sum(map(len, trees))} internal nodes; "
          f"_treeshap.MIN_ROWS = {_treeshap.MIN_ROWS:,}")
    for n in args.sizes:
        compare(booster, X.iloc[TRAIN:TRAIN + n], max(args.repeats, 5), min_rows=0)
    compare(booster, X.iloc[TRAIN:TRAIN + args.rows], args.repeats, min_rows=0)


if __name__ == "__main__":
    main()
