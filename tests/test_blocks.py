"""Customers in blocks: the same outputs as one pass, in memory bounded by a block."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

import shopperlens
from shopperlens import demo
from shopperlens import schema as s
from shopperlens.blocks import customer_blocks, sample_customers
from shopperlens.config import Settings
from shopperlens.engines.duckdb import DuckDBEngine

CUTOFF, HOLDOUT = "2025-06-30", 90
PER_CUSTOMER = ("features.parquet", "segments.parquet", "predictions.parquet")


@given(ids=st.sets(st.text(min_size=1, max_size=6), max_size=60), size=st.integers(1, 25))
@settings(max_examples=40, deadline=None)
def test_blocks_hold_every_customer_once(ids: set[str], size: int) -> None:
    with DuckDBEngine(threads=1) as engine:
        engine.register("t", pd.DataFrame({s.CUSTOMER_ID: sorted(ids)}, dtype=object))
        blocks = customer_blocks(engine, "t", size)
        parts = [engine.fetch_df(f"SELECT {s.CUSTOMER_ID} FROM t WHERE {b.where()}")
                 [s.CUSTOMER_ID].tolist() for b in blocks]
    assert sorted(i for part in parts for i in part) == sorted(ids)
    assert all(len(part) <= size for part in parts)
    assert len(blocks) == max(1, -(-len(ids) // size))


def test_sample_is_seeded_and_none_when_everyone_fits(engine: DuckDBEngine) -> None:
    engine.register("t", pd.DataFrame({s.CUSTOMER_ID: [f"c{i}" for i in range(500)]}))
    first = sample_customers(engine, "t", 100, seed=3)
    assert first is not None and len(first) == 100 and first.is_monotonic_increasing
    assert first.equals(sample_customers(engine, "t", 100, seed=3))
    assert not first.equals(sample_customers(engine, "t", 100, seed=4))
    assert sample_customers(engine, "t", 500, seed=3) is None


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
    assert profiles["size"].sum() == (sampled[s.SEGMENT_ID] >= 0).sum()
    assert profiles["share"].sum() == pytest.approx(1.0)
    record = json.loads((tmp_path / "run.json").read_text())
    assert sum(record["metrics"]["segmentation"]["segment_sizes"].values()) == len(sampled)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"random sample of 1,000 of the run’s {len(sampled):,} profiled customers" in report
