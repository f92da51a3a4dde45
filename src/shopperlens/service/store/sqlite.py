"""SQLite store: the zero-set-up default (a file beside the model folder), in WAL mode.

``synchronous=FULL`` by default: in WAL mode every commit is fsynced, so an acknowledged
event survives a power cut, not only a crash of the process. Batches share one commit,
so the fsync cost is per request, not per event. ``NORMAL`` (fsync only at checkpoints)
is allowed for disposable set-ups: it still survives ``kill -9`` but may lose the last
commits on power loss.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shopperlens.errors import ConfigError
from shopperlens.service.store._errors import map_store_errors
from shopperlens.service.store._sql import Dialect, SQLStore, StateCache

SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")
DIALECT = Dialect(placeholder="?", serial_id="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL")


class SQLiteStore(SQLStore):
    """Service store in one SQLite file (``sqlite:///path/to/file.db`` or a plain path)."""

    dialect = DIALECT
    serial_writes = True

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        super().__init__()
        if synchronous.upper() not in SYNCHRONOUS:
            raise ConfigError(
                f"synchronous={synchronous!r} is not allowed (use one of {', '.join(SYNCHRONOUS)})."
            )
        self.url = f"sqlite:///{path}"
        with map_store_errors("opening", self.url):
            if str(path) != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE
            self._conn = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=10.0
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._conn.execute("PRAGMA busy_timeout=10000")
        self._create_schema()
        self._cache = StateCache()
        self._data_version: int | None = None

    def _external_change(self) -> bool:
        # data_version changes when another connection (or process) commits to the file
        version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        changed, self._data_version = version != self._data_version, version
        return changed

    @contextmanager
    def _begin(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front: no deadlock when a read turns into a write
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:
        return int(self._conn.execute(self.dialect.sql(sql), params).lastrowid)

    def erase_customer(self, customer_id: str) -> int:
        """As :meth:`SQLStore.erase_customer`, and the freed bytes are overwritten.

        ``secure_delete`` zeroes the deleted rows in the file, and a WAL checkpoint
        copies the change into the database and empties the log, so the person's data
        is not left in free pages or in the WAL.
        """
        with self._lock, map_store_errors("erasing a customer", self.url):
            before = int(self._conn.execute("PRAGMA secure_delete").fetchone()[0])
            self._conn.execute("PRAGMA secure_delete=ON")
            try:
                removed = super().erase_customer(customer_id)
            finally:
                self._conn.execute(f"PRAGMA secure_delete={before}")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed


def path_from_url(url: str) -> str:
    """The file path of a ``sqlite:///`` URL (or the text itself when it is a path).

    As SQLAlchemy reads them: ``sqlite:///x.db`` is ``x.db`` in the working directory,
    ``sqlite:////srv/x.db`` (four slashes) the absolute ``/srv/x.db``.

    >>> path_from_url("sqlite:///service.sqlite3"), path_from_url("sqlite:////srv/x.db")
    ('service.sqlite3', '/srv/x.db')
    >>> path_from_url("data/x.db")
    'data/x.db'
    """
    if not url.startswith("sqlite://"):
        return url
    path = url.removeprefix("sqlite://")
    return path[1:] if path.startswith("/") else path
