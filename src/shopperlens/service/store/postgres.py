"""PostgreSQL store for production (``--store postgresql://user@host/db``), psycopg 3.

A commit returns once PostgreSQL has flushed its WAL (``synchronous_commit`` on, the
server default), so an acknowledged event is durable.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from shopperlens.errors import ConfigError
from shopperlens.service.store._errors import map_store_errors
from shopperlens.service.store._sql import Dialect, SQLStore

DIALECT = Dialect(
    placeholder="%s",
    serial_id="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    real="DOUBLE PRECISION",
)


class PostgresStore(SQLStore):
    """Service store in a PostgreSQL database (tables are created when missing)."""

    dialect = DIALECT

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise ConfigError(
                "--store postgresql://... needs the postgres extra "
                "(pip install 'shopperlens[postgres]')."
            ) from exc
        with map_store_errors("connecting", url):
            self._conn = psycopg.connect(url, autocommit=True)
        self._create_schema()

    @contextmanager
    def _begin(self) -> Iterator[None]:
        with self._conn.transaction():
            yield

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:
        row = self._conn.execute(self.dialect.sql(sql + " RETURNING id"), params).fetchone()
        return int(row[0])
