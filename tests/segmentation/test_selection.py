from __future__ import annotations

import numpy as np

from shopperlens.segmentation._selection import select_model


def _blobs(sizes, seed=0, dim=3, gap=12.0):
    rng = np.random.default_rng(seed)
    parts = [rng.normal(i * gap, 1.0, size=(n, dim)) for i, n in enumerate(sizes)]
    return np.vstack(parts)


def _select(Z, **kw):
    params = {"k_range": (2, 5), "algorithms": ("kmeans", "gmm", "agglomerative"),
              "min_share": 0.02, "min_stability": 0.8, "n_resamples": 2,
              "rng": np.random.RandomState(0)} | kw
    return select_model(Z, **params)


def test_three_blobs_give_three_segments_and_ties_go_to_the_first_algorithm():
    result = _select(_blobs([200, 150, 100]))
    assert (result.algorithm, result.k) == ("kmeans", 3)
    assert result.table["chosen"].sum() == 1
    assert len(result.table) == 12


def test_small_segments_are_rejected():
    result = _select(_blobs([300, 300, 5]))
    row = result.table.query("algorithm == 'kmeans' and k == 3").iloc[0]
    assert not row["valid"] and "min_share" in row["reason"]
    assert result.k == 2


def test_no_valid_candidate_gives_one_segment():
    Z = np.random.default_rng(0).normal(size=(400, 5))
    result = _select(Z)
    assert (result.algorithm, result.k, result.model) == ("none", 1, None)
    assert result.table.iloc[-1]["chosen"]


def test_too_few_rows_for_a_k():
    result = _select(_blobs([2, 2]), k_range=(2, 4), min_share=0.0, min_stability=0.0)
    assert "too few" in result.table.query("k == 4").iloc[0]["reason"]
