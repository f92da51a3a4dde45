"""Apache Spark, the scale-out engine (``pip install 'shopperlens[spark]'``).

:class:`SparkEngine` offers the methods the feature code uses on
:class:`~shopperlens.engines.duckdb.DuckDBEngine`, over Spark SQL temporary views, so the
same feature SQL runs on both. Spark SQL differs from DuckDB's dialect in one function the
features use, ``epoch(timestamp)``; :func:`to_spark_sql` translates it and nothing else.
Everything else the feature SQL needs is written in the subset both engines share.

PySpark is imported when an engine is created, so this module imports without it.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from shopperlens.errors import ConfigError, EngineError, InputError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SPARK_EXTRA_HINT = "engine 'spark' needs the spark extra: pip install 'shopperlens[spark]'"
DEFAULT_MASTER = "local[2]"
DEFAULT_SHUFFLE_PARTITIONS = 4
JAVA_OPTIONS = "spark.driver.extraJavaOptions"
SMALL_DATA_CONFIG = {
    # For small local data (tests, demos), where start-up dominates: no query compilation,
    # and a JVM that compiles quickly rather than well. Halves a cold local run here.
    "spark.sql.codegen.wholeStage": "false",
    JAVA_OPTIONS: "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


def to_spark_sql(query: str) -> str:
    """Translate ShopperLens' portable SQL into Spark SQL: ``epoch(x)`` becomes seconds.

    DuckDB's ``epoch(ts)`` is the double ``microseconds since 1970 / 1e6``; Spark's
    ``unix_micros`` gives the same microseconds. Text inside quotes is left alone.

    Examples
    --------
    >>> to_spark_sql("SELECT epoch(timestamp) / 86400.0 AS t FROM tx")
    'SELECT (unix_micros(timestamp) / 1E6) / 86400.0 AS t FROM tx'
    >>> to_spark_sql("SELECT 'epoch(x)', Epoch(max(a)) FROM t")
    "SELECT 'epoch(x)', (unix_micros(max(a)) / 1E6) FROM t"
    """
    out: list[str] = []
    i, n, quote = 0, len(query), ""
    while i < n:
        ch = query[i]
        if quote or ch in "'\"":
            quote = "" if ch == quote else (quote or ch)
            out.append(ch)
            i += 1
        elif query[i : i + 6].lower() == "epoch(" and not _is_word(query[i - 1 : i]):
            end = _closing_paren(query, i + 5)
            out.append(f"(unix_micros({to_spark_sql(query[i + 6 : end])}) / 1E6)")
            i = end + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _closing_paren(query: str, start: int) -> int:
    depth, quote = 0, ""
    for j in range(start, len(query)):
        ch = query[j]
        if quote or ch in "'\"":
            quote = "" if ch == quote else (quote or ch)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return j
    raise EngineError(f"unbalanced parentheses after epoch( in: {query[start - 5 : start + 60]}")


def spark_available() -> bool:
    """Whether PySpark is installed (Java is checked when a session starts)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def map_spark_errors(what: str, *, user_input: bool = False) -> Iterator[None]:
    """Re-raise PySpark and Py4J errors as ShopperLens errors that say what was being done.

    With ``user_input``, analysis errors (a missing file, an unreadable column) are the
    user's :class:`~shopperlens.errors.InputError`; otherwise they are engine errors.
    """
    from py4j.protocol import Py4JError
    from pyspark.errors import AnalysisException, PySparkException

    try:
        yield
    except AnalysisException as exc:
        error = InputError if user_input else EngineError
        raise error(f"{what}: {_first_line(exc)}") from exc
    except (PySparkException, Py4JError) as exc:
        raise EngineError(f"{what}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class SparkEngine:
    """Spark SQL over named temporary views, local (``local[2]``) unless told otherwise.

    Parameters
    ----------
    session : an existing ``SparkSession`` (default: the active one, if any); the engine
        works in a new session of it (its own temporary views and settings, the same
        cluster) and leaves it running on :meth:`close`.
    master : Spark master URL when the engine starts its own session; ``None`` leaves it
        to ``spark-submit`` or ``spark-defaults.conf``.
    shuffle_partitions : ``spark.sql.shuffle.partitions``; small for local data, about
        2-3 per core of the cluster at scale.
    config : further Spark settings: all of them for a session the engine starts, the
        ``spark.sql.*`` ones for a given session.
    materialize : :meth:`create_table` stores the rows (checkpointed: reliably when the
        cluster has a checkpoint folder, else locally), as DuckDB does; ``False`` makes
        it a lazy view.

    The session time zone is always UTC, so timestamps mean what they mean in DuckDB.
    Frames given to :meth:`register` are staged as Parquet in a temporary folder that
    :meth:`close` removes.
    """

    name = "spark"

    def __init__(
        self,
        *,
        session: SparkSession | None = None,
        master: str | None = DEFAULT_MASTER,
        shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS,
        config: dict[str, str] | None = None,
        materialize: bool = True,
    ) -> None:
        if not spark_available():
            raise ConfigError(SPARK_EXTRA_HINT)
        config = config or {}
        self.materialize = materialize
        self._staging = Path(tempfile.mkdtemp(prefix="shopperlens-spark-"))
        if session is None:
            from pyspark.sql import SparkSession

            session = SparkSession.getActiveSession()
        self._owns_session = session is None
        try:
            if session is None:
                session = _start_session(master, shuffle_partitions, config, self._staging)
            else:
                session = session.newSession()
            with map_spark_errors("configuring Spark"):
                for key, value in _sql_settings(shuffle_partitions, config).items():
                    session.conf.set(key, value)
        except BaseException:
            shutil.rmtree(self._staging, ignore_errors=True)
            raise
        self.spark: SparkSession = session

    # -- loading ---------------------------------------------------------------------
    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        """Make a frame available to SQL under ``name`` (staged as Parquet).

        Naive timestamps are UTC, as in the data contract.
        """
        from pyspark.sql.pandas.types import from_arrow_schema

        table = _for_spark(data if isinstance(data, pa.Table) else pa.Table.from_pandas(data))
        path = self._staging / f"{name}.parquet"
        # Spark reads Parquet timestamps in micro- or milliseconds, not nanoseconds.
        pq.write_table(table, path, coerce_timestamps="us", allow_truncated_timestamps=True)
        with map_spark_errors(f"registering {name}"):
            # With the schema given, Spark need not read it back from the file.
            frame = self.spark.read.schema(from_arrow_schema(table.schema)).parquet(str(path))
            self._replace(name, frame, store=False)

    def read_parquet(self, name: str, path: str | Path) -> None:
        """Make the Parquet file or folder at ``path`` available as ``name``.

        Spark refuses nanosecond timestamps (pandas 2 writes them): they are read as
        integers and turned into timestamps to the microsecond, Spark's own precision.
        """
        from pyspark.sql import functions as F

        with map_spark_errors(f"reading {path}", user_input=True):
            nanos = _nanosecond_timestamps(path)
            if nanos:
                self.spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
            frame = self.spark.read.parquet(str(path))
            for column in nanos:
                micros = F.floor(F.col(column) / 1000).cast("long")
                frame = frame.withColumn(column, F.timestamp_micros(micros))
            self._replace(name, frame, store=False)

    def read_csv(self, name: str, path: str | Path) -> None:
        """Make the CSV file (with a header row) at ``path`` available as ``name``.

        Column types are inferred; ISO 8601 date-times become timestamps.
        """
        with map_spark_errors(f"reading {path}", user_input=True):
            frame = self.spark.read.csv(str(path), header=True, inferSchema=True)
            self._replace(name, frame, store=False)

    def load(self, name: str, path: str | Path) -> None:
        """Read ``path`` as CSV (``.csv``) or else Parquet into table ``name``."""
        if str(path).lower().endswith(".csv"):
            self.read_csv(name, path)
        else:
            self.read_parquet(name, path)

    # -- queries ---------------------------------------------------------------------
    def sql(self, query: str) -> DataFrame:
        """The lazy Spark DataFrame of ``query`` (after :func:`to_spark_sql`)."""
        with map_spark_errors("planning a query"):
            return self.spark.sql(to_spark_sql(query))

    def create_table(self, name: str, query: str) -> None:
        """Make ``query`` table ``name`` (replacing an older one); see ``materialize``."""
        with map_spark_errors(f"building {name}"):
            self._replace(name, self.spark.sql(to_spark_sql(query)), store=self.materialize)

    def create_view(self, name: str, query: str) -> None:
        with map_spark_errors(f"defining {name}"):
            self._replace(name, self.spark.sql(to_spark_sql(query)), store=False)

    def execute(self, query: str, what: str = "running a query") -> None:
        with map_spark_errors(what):
            self.spark.sql(to_spark_sql(query)).collect()

    def rows(self, query: str) -> list[tuple]:
        """Run ``query`` and return all its rows as tuples."""
        with map_spark_errors("collecting rows"):
            return [tuple(row) for row in self.spark.sql(to_spark_sql(query)).collect()]

    def has_table(self, name: str) -> bool:
        with map_spark_errors(f"looking up {name}"):
            return bool(self.spark.catalog.tableExists(name))

    def columns(self, name: str) -> list[str]:
        with map_spark_errors(f"describing {name}"):
            return list(self.spark.table(name).columns)

    def fetch_arrow(self, query: str) -> pa.Table:
        """Run ``query`` and collect it as Arrow; timestamps as naive UTC, like DuckDB."""
        with map_spark_errors("collecting a result"):
            table = self.spark.sql(to_spark_sql(query)).toArrow()
        return _naive_utc(table)

    def fetch_df(self, query: str) -> pd.DataFrame:
        """Run ``query`` and collect it as pandas (through Arrow, as DuckDB does)."""
        return self.fetch_arrow(query).to_pandas()

    def scalar(self, query: str) -> Any:
        rows = self.rows(query)
        return rows[0][0] if rows else None

    def close(self) -> None:
        if self._owns_session:
            self.spark.stop()
        else:
            for view in self.spark.catalog.listTables():
                if view.isTemporary:
                    self.spark.catalog.dropTempView(view.name)
        shutil.rmtree(self._staging, ignore_errors=True)

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _replace(self, name: str, frame: DataFrame, *, store: bool) -> None:
        if store:
            # Store now (errors surface here, as in DuckDB) and cut the lineage, so later
            # queries scan these rows instead of re-running the query. (persist() would
            # not do: a query with a WITH clause is not matched to its cache on reuse.)
            reliable = self.spark.sparkContext.getCheckpointDir() is not None
            frame = frame.checkpoint(eager=True) if reliable else frame.localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)


LOG4J2 = """rootLogger.level = error
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
logger.submit.name = org.apache.spark.deploy.SparkSubmit
logger.submit.level = error
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


def _start_session(
    master: str | None, shuffle_partitions: int, config: dict[str, str], staging: Path
) -> SparkSession:
    from pyspark.sql import SparkSession

    log_config = staging / "log4j2.properties"
    log_config.write_text(LOG4J2, encoding="utf-8")
    # Errors only: Spark's start-up warnings would drown the command's own output.
    java = f"-Duser.timezone=UTC -Dlog4j2.configurationFile={log_config.as_uri()}"
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        **config,
        "spark.driver.extraJavaOptions": f"{java} {config.get(JAVA_OPTIONS, '')}".strip(),
        **_sql_settings(shuffle_partitions, config),
    }
    builder = SparkSession.builder.appName("shopperlens")
    if master is not None:  # None: as spark-submit or spark-defaults.conf say
        builder = builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    with (
        map_spark_errors("starting Spark (it needs Java 17 or later; set JAVA_HOME)"),
        warnings.catch_warnings(),
    ):
        # PySpark warns once, on start, that pandas 3 is newer than it has been tested on.
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        session = builder.getOrCreate()
    return session


def _sql_settings(shuffle_partitions: int, config: dict[str, str]) -> dict[str, str]:
    """The caller's ``spark.sql.*`` settings, and those the engine relies on (UTC)."""
    return {
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        **{k: v for k, v in config.items() if k.startswith("spark.sql.")},
        "spark.sql.session.timeZone": "UTC",
    }


def _nanosecond_timestamps(path: str | Path) -> list[str]:
    """The columns of the Parquet file or folder at ``path`` stored as nanosecond
    timestamps."""
    import pyarrow.dataset as ds

    try:
        schema = ds.dataset(str(path), format="parquet").schema
    except (OSError, pa.ArrowInvalid):
        return []  # Spark's own read then says what is wrong with the file
    return [f.name for f in schema
            if pa.types.is_timestamp(f.type) and f.type.unit == "ns"]


def _for_spark(table: pa.Table) -> pa.Table:
    """Plain Arrow types Spark maps directly; naive timestamps marked UTC (the contract's
    meaning), so Spark reads them as instants."""
    fields = []
    for f in table.schema:
        kind = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
        if pa.types.is_large_string(kind):
            kind = pa.string()
        elif pa.types.is_timestamp(kind) and kind.tz is None:
            kind = pa.timestamp(kind.unit, tz="UTC")
        fields.append(pa.field(f.name, kind))
    return table.cast(pa.schema(fields))


def _naive_utc(table: pa.Table) -> pa.Table:
    """Spark's timestamps are instants; give them back as naive UTC, like DuckDB."""
    fields = [
        pa.field(f.name, pa.timestamp(f.type.unit))
        if pa.types.is_timestamp(f.type) and f.type.tz is not None
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))
