"""Group commit: concurrent ingestion calls share one store transaction and one commit.

A durable commit (SQLite ``synchronous=FULL``, PostgreSQL) waits for the disk; with
several clients posting at once, the calls that queue while one commits are written
together by the next one in line, so each pays part of one disk flush instead of a
whole one. Nothing is acknowledged before the commit that holds it. If a group fails,
each of its calls is retried alone, so one bad call fails only itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from shopperlens.service.store.base import Store, Transaction

T = TypeVar("T")


class _Call(Generic[T]):
    __slots__ = ("done", "error", "result", "work")

    def __init__(self, work: Callable[[Transaction], T]) -> None:
        self.work = work
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None

    def alone(self, store: Store) -> None:
        try:
            with store.transaction() as tx:
                self.result = self.work(tx)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self.error = exc


class GroupCommit:
    """Runs ``work(tx)`` of concurrent callers in shared transactions."""

    def __init__(self) -> None:
        self._queue: list[_Call[Any]] = []
        self._queue_lock = threading.Lock()
        self._leader = threading.Lock()

    def run(self, store: Store, work: Callable[[Transaction], T]) -> T:
        """``work``'s result once the transaction that ran it has committed."""
        call: _Call[T] = _Call(work)
        with self._queue_lock:
            self._queue.append(call)
        with self._leader:
            if not call.done.is_set():  # nobody took it along: lead the next group
                self._lead(store)
        if call.error is not None:
            raise call.error
        return call.result  # type: ignore[return-value]

    def _lead(self, store: Store) -> None:
        with self._queue_lock:
            group, self._queue = self._queue, []
        try:
            with store.transaction() as tx:
                results = [call.work(tx) for call in group]
        except BaseException:  # noqa: BLE001 - each call again on its own
            for call in group:
                call.alone(store)
        else:
            for call, result in zip(group, results, strict=True):
                call.result = result
        finally:
            for call in group:
                call.done.set()
