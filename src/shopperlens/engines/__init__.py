"""Compute engines: DuckDB (embedded default) and Spark (``shopperlens[spark]``).

:func:`create_engine` builds one by name; :func:`copy_tables` hands tables from one
engine to another (the pipeline ingests on DuckDB, then may compute features on Spark).

>>> check_engine("duckdb")
'duckdb'
>>> check_engine("polars")
Traceback (most recent call last):
...
shopperlens.errors.ConfigError: engine='polars' is not one of: duckdb, spark.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from shopperlens.engines.base import Engine
from shopperlens.errors import ConfigError

ENGINES = ("duckdb", "spark")

__all__ = ["ENGINES", "Engine", "SQLEngine", "check_engine", "copy_tables", "create_engine"]


class SQLEngine(Engine, Protocol):
    """An :class:`Engine` that also lists a table's columns, as the feature code needs."""

    def columns(self, name: str) -> list[str]:
        """The column names of table ``name``, in order."""


def check_engine(name: str) -> str:
    """``name`` if it is an engine that can run here, else a :class:`ConfigError`."""
    if name not in ENGINES:
        raise ConfigError(f"engine={name!r} is not one of: {', '.join(ENGINES)}.")
    if name == "spark":
        from shopperlens.engines.spark import SPARK_EXTRA_HINT, spark_available

        if not spark_available():
            raise ConfigError(SPARK_EXTRA_HINT)
    return name


def create_engine(name: str = "duckdb", **options: Any) -> SQLEngine:
    """A new engine called ``name``; ``options`` go to its constructor.

    Raises :class:`ConfigError` for an unknown name, or for ``"spark"`` without PySpark.
    """
    check_engine(name)
    if name == "spark":
        from shopperlens.engines.spark import SparkEngine

        return SparkEngine(**options)
    from shopperlens.engines.duckdb import DuckDBEngine

    return DuckDBEngine(**options)


def copy_tables(source: SQLEngine, target: SQLEngine, names: Iterable[str]) -> list[str]:
    """Copy each table of ``names`` that ``source`` has into ``target``; the copied names."""
    copied = []
    for name in names:
        if source.has_table(name):
            target.register(name, source.fetch_arrow(f"SELECT * FROM {name}"))
            copied.append(name)
    return copied
