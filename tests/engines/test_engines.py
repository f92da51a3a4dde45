"""The engine factory, the Spark dialect translation and the errors, without Spark."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import shopperlens
from shopperlens.cli import app
from shopperlens.engines import check_engine, copy_tables, create_engine
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.engines.spark import SparkEngine, to_spark_sql
from shopperlens.errors import ConfigError, EngineError

NO_SPARK = "engine 'spark' needs the spark extra: pip install 'shopperlens[spark]'"


SECONDS = "(unix_micros({}) / 1E6)"


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        ("SELECT epoch(ts) / 86400.0 AS t", f"SELECT {SECONDS.format('ts')} / 86400.0 AS t"),
        (
            "epoch(max(ts)) - EPOCH(min(ts))",
            f"{SECONDS.format('max(ts)')} - {SECONDS.format('min(ts)')}",
        ),
        ("epoch(coalesce(a, epoch(b)))", SECONDS.format(f"coalesce(a, {SECONDS.format('b')})")),
        ("SELECT 'epoch(x)', my_epoch(x) FROM t", "SELECT 'epoch(x)', my_epoch(x) FROM t"),
        ("epoch(x) WHERE s = 'a)b'", f"{SECONDS.format('x')} WHERE s = 'a)b'"),
        ("SELECT avg(x) FROM t", "SELECT avg(x) FROM t"),
    ],
)
def test_spark_sql_translates_epoch_and_nothing_else(duckdb_sql: str, spark_sql: str) -> None:
    assert to_spark_sql(duckdb_sql) == spark_sql


def test_spark_sql_refuses_unbalanced_parentheses() -> None:
    with pytest.raises(EngineError, match="unbalanced parentheses"):
        to_spark_sql("SELECT epoch(ts FROM t")


def test_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^engine='polars' is not one of: duckdb, spark\.$"):
        create_engine("polars")


def test_duckdb_is_the_default_engine() -> None:
    engine = create_engine()
    try:
        assert isinstance(engine, DuckDBEngine) and engine.scalar("SELECT 42") == 42
    finally:
        engine.close()


def test_copy_tables_copies_the_tables_the_source_has() -> None:
    stamps = pd.to_datetime(["2024-01-01 00:00", "2024-01-02 03:04"])
    frame = pd.DataFrame({"a": [1, 2], "ts": stamps})
    with DuckDBEngine() as source, DuckDBEngine() as target:
        source.register("x", frame)
        assert copy_tables(source, target, ["x", "absent"]) == ["x"]
        pd.testing.assert_frame_equal(target.fetch_df("SELECT * FROM x"), frame, check_dtype=False)
        assert not target.has_table("absent")


@pytest.fixture
def without_pyspark(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import pyspark`` fail, as on an install without the spark extra."""
    monkeypatch.setitem(sys.modules, "pyspark", None)


@pytest.mark.usefixtures("without_pyspark")
def test_spark_without_pyspark_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        check_engine("spark")
    assert str(raised.value) == NO_SPARK
    with pytest.raises(ConfigError, match="needs the spark extra"):
        SparkEngine()
    # The run fails on the option, before it looks at any data.
    with pytest.raises(ConfigError, match="needs the spark extra"):
        shopperlens.run(tmp_path / "nowhere", engine="spark")


@pytest.mark.usefixtures("without_pyspark")
def test_cli_engine_spark_without_pyspark(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--engine", "spark"])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {NO_SPARK}"


def test_cli_rejects_an_unknown_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--engine", "polars"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: engine='polars' is not one of: duckdb, spark."


@pytest.mark.slow  # sorts 6M rows under a 64 MB limit
def test_duckdb_spills_to_a_private_folder_removed_on_close() -> None:
    engine = DuckDBEngine(memory_limit="64MB")
    folder = Path(str(engine.scalar("SELECT current_setting('temp_directory')")))
    assert folder.is_dir() and folder.name.startswith("shopperlens-")
    # a sort larger than the limit has to spill there
    engine.execute("CREATE TABLE big AS SELECT random() AS x FROM range(6000000) ORDER BY x")
    assert engine.scalar("SELECT count(*) FROM big") == 6_000_000
    engine.close()
    assert not folder.exists()


def test_duckdb_prints_no_progress_bar() -> None:
    with DuckDBEngine() as engine:
        assert engine.scalar("SELECT current_setting('enable_progress_bar')") is False


def test_a_table_and_a_view_replace_each_other_under_one_name() -> None:
    with DuckDBEngine() as engine:
        engine.create_view("w", "SELECT 1 AS a")
        engine.create_table("w", "SELECT 2 AS a")
        assert engine.scalar("SELECT a FROM w") == 2
        engine.create_view("w", "SELECT 3 AS a")
        assert engine.scalar("SELECT a FROM w") == 3


@pytest.mark.parametrize("on_disk", [False, True])
def test_duckdb_keeps_its_files_in_a_private_folder_removed_on_close(
    tmp_path: Path, on_disk: bool
) -> None:
    with DuckDBEngine(temp_dir=tmp_path, on_disk=on_disk) as engine:
        engine.create_table("t", "SELECT range AS i FROM range(1000)")
        assert engine.scalar("SELECT sum(i) FROM t") == 499500
        (folder,) = tmp_path.iterdir()
        assert (folder / "tables.duckdb").exists() == on_disk
    assert list(tmp_path.iterdir()) == []


def test_closing_does_not_write_out_a_database_about_to_be_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = DuckDBEngine(temp_dir=tmp_path, on_disk=True)
    engine.create_table("t", "SELECT range AS i FROM range(1000)")
    (folder,) = tmp_path.iterdir()
    assert (folder / "tables.duckdb.wal").exists()
    cleanup = engine._work.cleanup
    monkeypatch.setattr(engine._work, "cleanup", lambda: None)  # to look at the files
    engine.close()
    # a checkpoint on shutdown would have folded the log into the database file
    assert (folder / "tables.duckdb.wal").exists()
    cleanup()


def test_a_cursor_shares_the_database_and_closes_alone() -> None:
    with DuckDBEngine(on_disk=True) as engine:
        engine.create_table("t", "SELECT 1 AS x")
        other = engine.cursor()
        other.create_table("u", "SELECT x + 1 AS y FROM t")
        other.close()
        assert engine.rows("SELECT y FROM u") == [(2,)]
        assert engine.scalar("SELECT current_setting('TimeZone')") == "UTC"


def test_steps_beside_run_in_order_are_awaited_and_their_errors_surface() -> None:
    with DuckDBEngine() as engine:
        with engine.beside() as submit:
            first = submit(DuckDBEngine.create_table, "t", "SELECT 7 AS x")
            second = submit(DuckDBEngine.scalar, "SELECT x + 1 FROM t")  # after the first
        assert first.done() and engine.scalar("SELECT x FROM t") == 7
        assert second.result() == 8
        with pytest.raises(EngineError), engine.beside() as submit:
            failed = submit(DuckDBEngine.scalar, "SELECT * FROM missing")
        assert failed.done()


def test_when_the_block_fails_its_error_wins_and_queued_steps_are_skipped() -> None:
    with DuckDBEngine() as engine:
        with pytest.raises(ValueError, match="stage failed"), engine.beside() as submit:
            slow = "SELECT count(*) FROM range(3000000000) WHERE range % 7 = 3"  # seconds
            running = submit(DuckDBEngine.scalar, slow)
            queued = submit(DuckDBEngine.create_table, "never", "SELECT 1 AS x")
            time.sleep(0.2)
            raise ValueError("stage failed")
        assert running.done() and not engine.has_table("never")
        assert queued.cancelled()


ALL_KINDS = """
SELECT 1::BIGINT a, NULL::BIGINT b, 1.5 c, true d, NULL::BOOLEAN e, DATE '2024-01-01' f,
       TIMESTAMP '2024-01-01 10:00' g, 'x' h, NULL::VARCHAR i, 12.50::DECIMAL(10,2) j,
       5::HUGEINT k, [1, 2] l, 3::INTEGER m, TIMESTAMPTZ '2024-01-01 10:00+00' o,
       INTERVAL 3 DAY p, 'a'::ENUM('a', 'b') q, {'x': 1} r
UNION ALL
SELECT 2, 3, NULL, false, true, NULL, NULL, NULL, 'y', NULL, NULL, NULL, NULL, NULL, NULL,
       'b', NULL
"""


@pytest.mark.parametrize("query", [ALL_KINDS, "SELECT 'x' AS a, 'y' AS b",
                                   "SELECT 'x' AS a WHERE false", "SELECT 1 AS n",
                                   "SELECT 'x' AS a, 1 AS b, 'y' AS a"])
def test_fetch_df_gives_duckdbs_own_frame(query: str) -> None:
    with DuckDBEngine() as engine:
        expected = engine.con.sql(query).df()
        fetched = engine.fetch_df(query)
    assert list(fetched.columns) == list(expected.columns)
    assert fetched.dtypes.tolist() == expected.dtypes.tolist()
    assert fetched.astype(str).equals(expected.astype(str))
