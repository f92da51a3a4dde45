"""DuckDB and Spark compute the same features, from the same feature code (issue #8).

The demo data is ingested once (on DuckDB, as the pipeline does), handed to Spark, and
both engines run :func:`~shopperlens.features.compute_features`. Every numeric feature
must agree to 1e-9, every categorical one exactly, and one fitted segment model must put
every customer in the same segment either way.

Marked ``spark`` (starting a session takes 15-40 s), so the default ``pytest`` leaves it
out; CI's full run (``pytest -m ""``) runs it. Without PySpark or Java it skips, except
when ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import shopperlens
from shopperlens import demo
from shopperlens import schema as s
from shopperlens.batch.segments import assign_segments, fit_segment_model
from shopperlens.cli import app
from shopperlens.config import Settings
from shopperlens.engines import copy_tables
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.engines.spark import SMALL_DATA_CONFIG, SparkEngine, spark_available
from shopperlens.features import SOURCE_TABLES, compute_features
from shopperlens.ingest import load_folder

pytestmark = pytest.mark.spark

TOLERANCE = 1e-9
# After the last order (everything counts) and mid-history (rows after it are ignored,
# the spend-trend windows split the data).
AS_OF = [datetime(2026, 1, 1), datetime(2024, 9, 15, 12, 30)]


def _missing_requirement() -> str | None:
    if not spark_available():
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (Spark needs Java 17+)"
    return None


@pytest.fixture(scope="module")
def spark(service_absent: Callable[[str], NoReturn]) -> Iterator[SparkEngine]:
    """One local Spark session for the module (starting one takes 10-20 s)."""
    missing = _missing_requirement()
    if missing is not None:
        service_absent(missing)
    with SparkEngine(config=SMALL_DATA_CONFIG) as engine:
        yield engine


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spark") / "data"
    demo.write(demo.generate(300, seed=3), folder, fmt="parquet")
    return folder


@pytest.fixture(scope="module")
def engines(demo_folder: Path, spark: SparkEngine) -> Iterator[tuple[DuckDBEngine, SparkEngine]]:
    """The validated demo tables, in DuckDB and (copied) in Spark."""
    with DuckDBEngine(threads=2) as duck:
        load_folder(duck, demo_folder)
        assert copy_tables(duck, spark, SOURCE_TABLES) == list(SOURCE_TABLES)
        yield duck, spark


@pytest.fixture(scope="module")
def features(engines: tuple[DuckDBEngine, SparkEngine]) -> dict[datetime, tuple[pd.DataFrame, ...]]:
    duck, spark = engines
    return {
        as_of: (compute_features(duck, as_of=as_of), compute_features(spark, as_of=as_of))
        for as_of in AS_OF
    }


def assert_same_features(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns)
    pd.testing.assert_index_equal(left.index, right.index)
    for column in left.columns:
        a, b = left[column], right[column]
        if pd.api.types.is_numeric_dtype(a):
            assert pd.api.types.is_numeric_dtype(b), column
            np.testing.assert_allclose(
                b.to_numpy(float), a.to_numpy(float), rtol=0, atol=TOLERANCE, err_msg=column
            )
        else:
            assert a.isna().equals(b.isna()), column
            assert (a[a.notna()] == b[b.notna()]).all(), column


@pytest.mark.parametrize("as_of", AS_OF, ids=["after_last_order", "mid_history"])
def test_every_feature_matches(features: dict, as_of: datetime) -> None:
    duck, spark = features[as_of]
    assert len(duck) == 300 and duck.shape[1] >= 25  # every family, region included
    assert duck["frequency"].gt(0).sum() > 100  # enough buyers to mean something
    assert_same_features(duck, spark)


def test_one_segment_model_assigns_the_same_segments(features: dict) -> None:
    duck, spark = features[AS_OF[0]]
    model = fit_segment_model(duck, settings=Settings(seed=0), as_of=AS_OF[0])
    duck_segments, _ = assign_segments(model, duck)
    spark_segments, _ = assign_segments(model, spark)
    assert duck_segments[s.SEGMENT_ID].nunique() >= 3
    pd.testing.assert_series_equal(duck_segments[s.SEGMENT_ID], spark_segments[s.SEGMENT_ID])
    pd.testing.assert_frame_equal(duck_segments, spark_segments)


def test_spark_reads_parquet_and_csv_files(spark: SparkEngine, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"customer_id": ["a", "b"], "amount": [1.5, -2.0], "timestamp": ["2024-01-02 10:00", None]}
    )
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    frame.to_parquet(tmp_path / "t.parquet", coerce_timestamps="us")
    # pandas 2 writes nanoseconds, a Parquet type Spark refuses to read as a timestamp
    frame.astype({"timestamp": "datetime64[ns]"}).to_parquet(tmp_path / "ns.parquet")
    assert pq.read_schema(tmp_path / "ns.parquet").field("timestamp").type.unit == "ns"
    frame.to_csv(tmp_path / "t.csv", index=False)
    with SparkEngine(session=spark.spark) as engine:  # its own views, same session
        engine.load("from_parquet", tmp_path / "t.parquet")
        engine.load("from_ns_parquet", tmp_path / "ns.parquet")
        engine.load("from_csv", tmp_path / "t.csv")
        for name in ("from_parquet", "from_ns_parquet", "from_csv"):
            got = engine.fetch_df(f"SELECT * FROM {name} ORDER BY customer_id")
            got["timestamp"] = got["timestamp"].astype(frame["timestamp"].dtype)  # one unit
            pd.testing.assert_frame_equal(got, frame, check_dtype=False, check_index_type=False)
            assert engine.scalar(f"SELECT epoch(max(timestamp)) FROM {name}") == 1704189600.0
        assert not spark.has_table("from_csv")


def test_pipeline_runs_features_on_spark(demo_folder: Path, spark: SparkEngine) -> None:
    on_duckdb = shopperlens.run(demo_folder, report=False)
    on_spark = shopperlens.run(demo_folder, report=False, engine="spark")
    assert on_spark.record["parameters"]["engine"] == "spark"
    assert_same_features(on_duckdb.features, on_spark.features)
    pd.testing.assert_frame_equal(on_duckdb.segments, on_spark.segments)
    assert spark.scalar("SELECT 1") == 1  # the run left the shared session running


def test_assign_computes_features_on_spark(
    demo_folder: Path, spark: SparkEngine, tmp_path: Path
) -> None:
    shopperlens.run(demo_folder, tmp_path / "fit", report=False)
    for engine in ("duckdb", "spark"):
        done = CliRunner().invoke(
            app, ["assign", str(tmp_path / "fit"), str(demo_folder), "--out",
                  str(tmp_path / engine), "--engine", engine],
        )
        assert done.exit_code == 0, done.output
    on_duckdb, on_spark = (pd.read_parquet(tmp_path / e / "segments.parquet")
                           for e in ("duckdb", "spark"))
    assert on_duckdb[s.SEGMENT_ID].nunique() >= 3
    pd.testing.assert_frame_equal(on_duckdb, on_spark)
