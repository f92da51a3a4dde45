"""The SQL both durable stores share: one schema, one set of statements, two dialects.

SQLite and PostgreSQL both speak ``INSERT ... ON CONFLICT``, so the only differences are
placeholders, number types and identity columns (:class:`Dialect`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from shopperlens.realtime import CustomerState
from shopperlens.schema import CONSENT_MARKETING
from shopperlens.service.store._errors import map_store_errors
from shopperlens.service.store._rights import SubjectRights
from shopperlens.service.store.base import (
    COUNTERS,
    Change,
    Delivery,
    Key,
    ProfileRecord,
    marketing_allowed,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (message_id TEXT PRIMARY KEY, received_at REAL NOT NULL,
  payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (kind TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL,
  segment_id INTEGER, updated_at REAL NOT NULL, PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS profiles_segment ON profiles (segment_id, id);
CREATE TABLE IF NOT EXISTS links (anonymous_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (id SERIAL_ID, customer_id TEXT NOT NULL,
  from_segment INTEGER, to_segment INTEGER, at REAL NOT NULL, model_version TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS history_customer ON history (customer_id, id);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id SERIAL_ID, url TEXT NOT NULL, customer_id TEXT NOT NULL,
  kind TEXT NOT NULL, segment_id INTEGER NOT NULL, payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_at REAL, status TEXT NOT NULL DEFAULT 'pending',
  last_error TEXT);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log (id SERIAL_ID, at REAL NOT NULL, actor TEXT NOT NULL,
  key_id TEXT, action TEXT NOT NULL, subject TEXT NOT NULL, status INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS audit_log_subject ON audit_log (subject, id)
"""
CHANGE_COLS = "id, customer_id, from_segment, to_segment, at, model_version"
DELIVERY_COLS = "id, url, customer_id, kind, segment_id, payload, attempts, status, last_error"


@dataclass(frozen=True)
class Dialect:
    placeholder: str
    serial_id: str
    real: str

    def sql(self, text: str) -> str:
        text = text.replace("SERIAL_ID", self.serial_id).replace(" REAL", f" {self.real}")
        return text.replace("?", self.placeholder) if self.placeholder != "?" else text


_MISSING: Any = object()


class StateCache:
    """Write-through copy of profile states and segments, owned by one store connection.

    The database stays the source of truth: entries are filled from it on a miss and
    written to it in the same transaction as the change. A transaction that fails
    clears the whole cache (its states may have been changed in place), and a store
    that sees another connection's commits (:meth:`SQLStore._external_change`) clears
    it too, so a hit always equals what the database holds.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.states: dict[Key, CustomerState | None] = {}
        self.segments: dict[str, int | None] = {}

    def clear(self) -> None:
        self.states.clear()
        self.segments.clear()

    def trim(self) -> None:
        for table in (self.states, self.segments):
            if len(table) > self.limit:  # drop the oldest half (insertion order)
                for key in list(table)[: len(table) // 2]:
                    del table[key]  # type: ignore[arg-type]


class SQLTransaction:
    """The changes of one transaction (see :class:`~.base.Transaction`)."""

    def __init__(self, store: SQLStore) -> None:
        self.store = store
        self.cache: StateCache | None = store._cache

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.store._conn.execute(self.store.dialect.sql(sql), params)

    def insert_event(self, message_id: str, payload: str, received_at: float) -> bool:
        cur = self._run(
            "INSERT INTO events VALUES (?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
            (message_id, received_at, payload),
        )
        return bool(cur.rowcount == 1)

    def insert_events(self, rows: Sequence[tuple[str, str, float]]) -> list[bool]:
        """Store several events (message id, payload, received at); per row, False when
        its id is known or came earlier in ``rows``. One look-up and one insert for all
        of them where writers are serial (SQLite's BEGIN IMMEDIATE); elsewhere one
        insert per 300 events (:meth:`_insert_returning`)."""
        if not self.store.serial_writes:
            return self._insert_returning(rows)
        ids = list(dict.fromkeys(r[0] for r in rows))
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            found = self._run(f"SELECT message_id FROM events WHERE message_id IN ({marks})",
                              chunk).fetchall()
            known.update(str(r[0]) for r in found)
        fresh, new = [], []
        for message_id, payload, at in rows:
            new.append(message_id not in known)
            if new[-1]:
                known.add(message_id)
                fresh.append((message_id, at, payload))
        if fresh:
            self.store._conn.executemany(self.store.dialect.sql(
                "INSERT INTO events VALUES (?, ?, ?) ON CONFLICT (message_id) DO NOTHING"), fresh)
        return new

    def _insert_returning(self, rows: Sequence[tuple[str, str, float]]) -> list[bool]:
        """One multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING per 300 events: a
        concurrent writer of the same id makes it wait, then skip (PostgreSQL)."""
        first: dict[str, tuple[str, float, str]] = {}
        for message_id, payload, at in rows:
            first.setdefault(message_id, (message_id, at, payload))
        fresh, inserted = list(first.values()), set[str]()
        for start in range(0, len(fresh), 300):
            chunk = fresh[start:start + 300]
            values = ", ".join(["(?, ?, ?)"] * len(chunk))
            found = self._run(f"INSERT INTO events VALUES {values} ON CONFLICT (message_id) "
                              "DO NOTHING RETURNING message_id",
                              [x for row in chunk for x in row]).fetchall()
            inserted.update(str(r[0]) for r in found)
        new = []
        for message_id, _, _ in rows:
            new.append(message_id in inserted)
            inserted.discard(message_id)  # a repeat within rows is a duplicate
        return new

    def get_state(self, key: Key) -> CustomerState | None:
        cache = self.cache
        if cache is not None:
            state = cache.states.get(key, _MISSING)
            if state is not _MISSING:
                return state  # type: ignore[no-any-return]
        row = self._run("SELECT state FROM profiles WHERE kind = ? AND id = ?", key).fetchone()
        state = None if row is None else CustomerState.from_json(row[0])
        if cache is not None:
            cache.states[key] = state
        return state

    def put_state(self, key: Key, state: CustomerState) -> None:
        self.put_states([(key, state)])

    def put_states(self, items: Sequence[tuple[Key, CustomerState]]) -> None:
        """Write several states in one statement."""
        if not items:
            return
        now = self.store.clock()
        # a cursor's executemany: psycopg connections have none of their own
        self.store._conn.cursor().executemany(
            self.store.dialect.sql(
                "INSERT INTO profiles (kind, id, state, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET state = excluded.state, "
                "updated_at = excluded.updated_at"
            ),
            [(key[0], key[1], state.to_json(), now) for key, state in items],
        )
        if self.cache is not None:
            for key, state in items:
                self.cache.states[key] = state

    def delete_state(self, key: Key) -> None:
        self._run("DELETE FROM profiles WHERE kind = ? AND id = ?", key)
        if self.cache is not None:
            self.cache.states[key] = None
            if key[0] == "c":
                self.cache.segments.pop(key[1], None)

    def resolve(self, anonymous_id: str) -> str | None:
        row = self._run(
            "SELECT customer_id FROM links WHERE anonymous_id = ?", (anonymous_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def link(self, anonymous_id: str, customer_id: str) -> None:
        self._run(
            "INSERT INTO links VALUES (?, ?) ON CONFLICT (anonymous_id) DO NOTHING",
            (anonymous_id, customer_id),
        )

    def get_segment(self, customer_id: str) -> int | None:
        cache = self.cache
        if cache is not None:
            segment = cache.segments.get(customer_id, _MISSING)
            if segment is not _MISSING:
                return segment  # type: ignore[no-any-return]
        row = self._run(
            "SELECT segment_id FROM profiles WHERE kind = 'c' AND id = ?", (customer_id,)
        ).fetchone()
        segment = None if row is None else row[0]
        if cache is not None and row is not None:
            cache.segments[customer_id] = segment
        return segment

    def put_segment(
        self, customer_id: str, segment_id: int | None, *, at: float, model_version: str
    ) -> Change | None:
        before = self.get_segment(customer_id)
        if before == segment_id:
            return None
        cur = self._run(
            "UPDATE profiles SET segment_id = ? WHERE kind = 'c' AND id = ?",
            (segment_id, customer_id),
        )
        if self.cache is not None:
            if cur.rowcount == 1:
                self.cache.segments[customer_id] = segment_id
            else:  # no profile row: nothing to remember
                self.cache.segments.pop(customer_id, None)
        row = (customer_id, before, segment_id, at, model_version)
        new_id = self.store._insert_id(
            "INSERT INTO history (customer_id, from_segment, to_segment, at, model_version) "
            "VALUES (?, ?, ?, ?, ?)",
            row,
        )
        return Change(new_id, *row)

    def add_delivery(
        self, url: str, customer_id: str, kind: str, segment_id: int, payload: str, next_at: float
    ) -> None:
        self._run(
            "INSERT INTO outbox (url, customer_id, kind, segment_id, payload, next_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (url, customer_id, kind, segment_id, payload, next_at),
        )

    def add_counts(self, counts: dict[str, int]) -> None:
        for name, n in counts.items():
            if n:
                self._run(
                    "INSERT INTO counters VALUES (?, ?) ON CONFLICT (name) DO UPDATE "
                    "SET value = counters.value + excluded.value",
                    (name, n),
                )


class SQLStore(SubjectRights):
    """Everything but connecting and transaction control, shared by SQLite and PostgreSQL."""

    serial_writes = False  # one writer at a time (SQLite): duplicates checked in bulk

    url: str
    dialect: Dialect
    _conn: Any

    def __init__(self) -> None:
        # one connection, one lock: writers serialise in the database anyway, and a
        # single connection keeps SQLite's fsync-per-commit count minimal
        self._lock = threading.RLock()
        self.clock: Any = time.time
        # stores whose database only this connection writes to (or that can tell when
        # another one did, see _external_change) keep a write-through state cache
        self._cache: StateCache | None = None

    def _external_change(self) -> bool:
        """Inside a transaction: has another connection committed since the last call?"""
        return True

    def _begin(self) -> Any:
        raise NotImplementedError

    def _insert_id(self, sql: str, params: Sequence[Any]) -> int:
        raise NotImplementedError

    def _create_schema(self) -> None:
        with self._lock, map_store_errors("creating the schema", self.url):
            for statement in SCHEMA.split(";"):
                self._conn.execute(self.dialect.sql(statement))

    @contextmanager
    def transaction(self) -> Iterator[SQLTransaction]:
        with self._lock:
            cache = self._cache
            try:
                with map_store_errors("a write", self.url), self._begin():
                    if cache is not None and self._external_change():
                        cache.clear()
                    yield SQLTransaction(self)
            except BaseException:
                if cache is not None:  # states may have been changed in place
                    cache.clear()
                raise
            if cache is not None:
                cache.trim()

    def apply_event(self, message_id: str, payload: str, received_at: float, update: Any) -> bool:
        with self.transaction() as tx:
            new = tx.insert_event(message_id, payload, received_at)
            if new:
                update(tx)
            tx.add_counts({"received": 1, "stored" if new else "duplicates": 1})
            return new

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock, map_store_errors("a read", self.url):
            return list(self._conn.execute(self.dialect.sql(sql), params).fetchall())

    def get_profile(self, customer_id: str, *, history: int = 50) -> ProfileRecord | None:
        rows = self._read(
            "SELECT state, segment_id FROM profiles WHERE kind = 'c' AND id = ?", (customer_id,)
        )
        if not rows:
            return None
        state = CustomerState.from_json(rows[0][0])
        return ProfileRecord(
            customer_id, state, rows[0][1], self.segment_history(customer_id, limit=history)
        )

    def segment_history(self, customer_id: str, *, limit: int = 50) -> list[Change]:
        rows = self._read(
            f"SELECT {CHANGE_COLS} FROM history WHERE customer_id = ? ORDER BY id DESC LIMIT ?",
            (customer_id, limit),
        )
        return [Change(*r) for r in reversed(rows)]

    def history_since(self, after_id: int, *, limit: int = 100) -> list[Change]:
        rows = self._read(
            f"SELECT {CHANGE_COLS} FROM history WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        )
        return [Change(*r) for r in rows]

    def segment_sizes(self) -> dict[int, int]:
        rows = self._read(
            "SELECT segment_id, count(*) FROM profiles WHERE kind = 'c' "
            "AND segment_id IS NOT NULL GROUP BY segment_id ORDER BY segment_id"
        )
        return {int(seg): int(n) for seg, n in rows}

    def members(self, segment_id: int, *, after: str | None, limit: int) -> list[str]:
        """Up to ``limit`` ids after ``after``, leaving out ``consent_marketing`` false.

        Reads the segment in id order in chunks (the first one ``limit`` rows, then
        growing while rows are being skipped) until ``limit`` ids are kept or the segment
        ends, so a full page ends with its last kept id and the next page starts right
        after it. Only states whose stored JSON text mentions the trait at all are
        fetched (a ``LIKE`` both dialects run in the database) and checked in Python.
        """
        out: list[str] = []
        cursor, size, mentions = after or "", limit, f"%{CONSENT_MARKETING}%"
        while True:
            rows = self._read(
                "SELECT id, CASE WHEN state LIKE ? THEN state END FROM profiles "
                "WHERE segment_id = ? AND kind = 'c' AND id > ? ORDER BY id LIMIT ?",
                (mentions, segment_id, cursor, size),
            )
            for cid, state in rows:
                if state is None or marketing_allowed(CustomerState.from_json(state)):
                    out.append(str(cid))
                    if len(out) == limit:
                        return out
            if len(rows) < size:
                return out
            cursor, size = str(rows[-1][0]), max(limit, min(size * 2, 5000))

    def customers(self, *, after: str | None, limit: int) -> list[tuple[str, CustomerState]]:
        rows = self._read(
            "SELECT id, state FROM profiles WHERE kind = 'c' AND id > ? ORDER BY id LIMIT ?",
            (after or "", limit),
        )
        return [(str(i), CustomerState.from_json(st)) for i, st in rows]

    def counters(self) -> dict[str, int]:
        found = dict(self._read("SELECT name, value FROM counters"))
        return {name: int(found.get(name, 0)) for name in COUNTERS}

    def event_count(self) -> int:
        return int(self._read("SELECT count(*) FROM events")[0][0])

    def due_deliveries(self, now: float, *, limit: int = 50) -> list[Delivery]:
        rows = self._read(
            f"SELECT {DELIVERY_COLS} FROM outbox WHERE status = 'pending' "
            "AND next_at <= ? ORDER BY id LIMIT ?",
            (now, limit),
        )
        return [Delivery(*r) for r in rows]

    def finish_delivery(
        self, delivery_id: int, *, ok: bool, error: str | None, next_at: float | None
    ) -> None:
        status = "delivered" if ok else ("pending" if next_at is not None else "failed")
        with self.transaction() as tx:
            tx._run(
                "UPDATE outbox SET attempts = attempts + 1, status = ?, last_error = ?, "
                "next_at = ? WHERE id = ?",
                (status, error, next_at, delivery_id),
            )

    def deliveries(self, *, status: str, limit: int = 100) -> list[Delivery]:
        rows = self._read(
            f"SELECT {DELIVERY_COLS} FROM outbox WHERE status = ? ORDER BY id LIMIT ?",
            (status, limit),
        )
        return [Delivery(*r) for r in rows]

    def replay_delivery(self, delivery_id: int, *, now: float) -> bool:
        with self.transaction() as tx:
            cur = tx._run(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_at = ? "
                "WHERE id = ? AND status = 'failed'",
                (now, delivery_id),
            )
            return bool(cur.rowcount == 1)

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return None if not rows else str(rows[0][0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as tx:
            tx._run(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                "SET value = excluded.value",
                (key, value),
            )

    def ping(self) -> None:
        self._read("SELECT 1")

    def close(self) -> None:
        with self._lock, map_store_errors("closing", self.url):
            self._conn.close()
