"""The run scores customers in blocks: the same outputs as one pass, in memory bounded by
a block (steps/scoring.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import shopperlens
from shopperlens import demo
from shopperlens import schema as s
from shopperlens.config import Settings

CUTOFF, HOLDOUT = "2025-06-30", 90
PER_CUSTOMER = ("features.parquet", "segments.parquet", "predictions.parquet")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("blocks") / "data"
    demo.write(demo.generate(2000, seed=7), folder, fmt="parquet")
    return folder


def _run(folder: Path, out: Path, **options: int) -> shopperlens.RunResult:
    return shopperlens.run(folder, out, cutoff=CUTOFF, holdout_days=HOLDOUT,
                           settings=Settings(**options))


@pytest.fixture(scope="module")
def one_pass(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("one_pass")
    _run(folder, out)
    return out


@pytest.mark.slow  # three whole pipeline runs of 2,000 customers
def test_blocks_write_what_one_pass_writes(folder: Path, one_pass: Path, tmp_path: Path) -> None:
    result = _run(folder, tmp_path, block_customers=450)  # 5 blocks, the last one short
    for name in PER_CUSTOMER:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name),
                                      pd.read_parquet(one_pass / name))
    for name in ("segments.csv", "predictions.csv"):
        assert (tmp_path / name).read_bytes() == (one_pass / name).read_bytes()
    # Sizes and means added up block by block: equal up to the order of float sums.
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "segment_profiles.parquet"),
                                  pd.read_parquet(one_pass / "segment_profiles.parquet"))
    blocks, whole = (json.loads((o / "run.json").read_text()) for o in (tmp_path, one_pass))
    for key in ("row_counts", "metrics", "models"):  # holdout metrics over all blocks
        assert blocks[key] == whole[key], key
    # The frames of a run in blocks are read from its files when first used.
    pd.testing.assert_frame_equal(result.segments, pd.read_parquet(one_pass / PER_CUSTOMER[1]))


@pytest.mark.slow
def test_a_sampled_fit_still_segments_and_counts_everyone(
    folder: Path, one_pass: Path, tmp_path: Path
) -> None:
    _run(folder, tmp_path, block_customers=450, fit_customers=1000)
    sampled = pd.read_parquet(tmp_path / "segments.parquet")
    whole = pd.read_parquet(one_pass / "segments.parquet")
    assert sampled[s.CUSTOMER_ID].tolist() == whole[s.CUSTOMER_ID].tolist()
    assert adjusted_rand_score(whole[s.SEGMENT_ID], sampled[s.SEGMENT_ID]) > 0.9
    profiles = pd.read_parquet(tmp_path / "segment_profiles.parquet")
    assert profiles["size"].sum() == len(sampled)  # "No purchases yet" is a segment too
    assert profiles["share"].sum() == pytest.approx(1.0)
    record = json.loads((tmp_path / "run.json").read_text())
    assert sum(record["metrics"]["segmentation"]["segment_sizes"].values()) == len(sampled)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"random sample of 1,000 of the run’s {len(sampled):,} profiled customers" in report
