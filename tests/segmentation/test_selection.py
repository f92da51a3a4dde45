from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import silhouette_score

from shopperlens.segmentation._selection import (
    SILHOUETTE_TIE,
    _Fits,
    _measure_contenders,
    select_model,
)


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


def test_stability_is_measured_only_where_it_can_change_the_choice():
    ticks: list[tuple[int, int]] = []
    table = _select(_blobs([200, 150, 100, 60], gap=6.0), k_range=(2, 6),
                    progress=lambda done, total: ticks.append((done, total))).table
    best = table.loc[table["valid"], "silhouette"].max()
    unmeasured = table[table["stability"].isna() & (table["algorithm"] != "none")]
    assert len(unmeasured) > 0  # else this test shows nothing
    # each could not have won whatever its stability: below the tie band of the best
    assert (unmeasured["silhouette"] < best - SILHOUETTE_TIE).all()
    assert unmeasured["reason"].str.contains("stability not measured").all()
    assert not unmeasured["valid"].any()
    measured = table[table["stability"].notna()]
    assert (measured["silhouette"] >= best - SILHOUETTE_TIE).any()
    # progress: a fit per candidate, then n_resamples re-fits per candidate measured; the
    # count ends at the total, which grows by the re-fits planned
    candidates, resamples = 5 * 3, 2
    assert ticks[:candidates] == [(n, candidates) for n in range(1, candidates + 1)]
    assert ticks[candidates:] == [(candidates + resamples * n, candidates + resamples * len(
        measured)) for n in range(1, len(measured) + 1)]


def test_a_candidates_stability_does_not_depend_on_the_others_measured():
    Z = _blobs([200, 150, 100])
    whole = _select(Z, k_range=(2, 5)).table.set_index(["algorithm", "k"])
    narrow = _select(Z, k_range=(3, 3)).table.set_index(["algorithm", "k"])
    both = narrow["stability"].notna() & whole["stability"].reindex(narrow.index).notna()
    assert both.sum() >= 2
    pd.testing.assert_series_equal(narrow.loc[both, "stability"],
                                   whole.loc[narrow.index[both], "stability"])


class _Refits:
    """Stand-in for the re-fits: every candidate is stable, with the given silhouettes."""

    n_resamples = 2

    def __init__(self, silhouettes: dict[tuple[str, int], list[float]]) -> None:
        self.silhouettes = silhouettes

    def __call__(self, algorithm: str, k: int) -> float:
        return 1.0


def test_a_fit_its_refits_do_not_bear_out_loses_to_one_they_do():
    rows = [{"algorithm": a, "k": k, "k_found": k, "segments": k, "min_share": 0.3,
             "silhouette": s, "stability": np.nan}
            for a, k, s in [("agglomerative", 3, 0.50), ("kmeans", 2, 0.45)]]
    refits = _Refits({("agglomerative", 3): [0.30, 0.32], ("kmeans", 2): [0.44, 0.46]})
    _measure_contenders(rows, refits, 0.02, 0.8, _Fits(2, None))
    lucky, steady = rows
    assert lucky["silhouette"] == pytest.approx(np.mean([0.50, 0.30, 0.32]))
    assert steady["silhouette"] == pytest.approx(0.45)
    assert steady["silhouette"] > lucky["silhouette"] + SILHOUETTE_TIE  # it now wins


def test_when_every_refit_finds_the_segments_the_silhouette_is_theirs():
    Z = _blobs([200, 150, 100])  # well apart: every re-fit finds the three blobs
    result = _select(Z)
    chosen = result.table[result.table["chosen"]].iloc[0]
    assert not np.isnan(chosen["stability"])
    assert chosen["silhouette"] == pytest.approx(silhouette_score(Z, result.model.predict(Z)),
                                                 abs=0.01)
