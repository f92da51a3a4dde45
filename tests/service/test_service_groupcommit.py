"""Group commit: concurrent calls share transactions; each sees only its own outcome."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from shopperlens.service.groupcommit import GroupCommit
from shopperlens.service.store import MemoryStore


def test_concurrent_calls_commit_once_each_and_a_failure_fails_alone() -> None:
    store, committer = MemoryStore(), GroupCommit()
    start = threading.Barrier(12)
    outcome: dict[int, Any] = {}

    def call(i: int) -> None:
        def work(tx: Any) -> int:
            tx.add_counts({"received": 1})
            time.sleep(0.005)  # a slow call: others queue behind it
            if i == 7:
                raise ValueError("bad call")
            return i

        start.wait()
        try:
            outcome[i] = committer.run(store, work)
        except ValueError as exc:
            outcome[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert isinstance(outcome.pop(7), ValueError)
    assert outcome == {i: i for i in range(12) if i != 7}
    assert store.counters()["received"] == 11  # the failed call's count rolled back
    store.close()


def test_one_caller_runs_in_its_own_transaction() -> None:
    store = MemoryStore()
    assert GroupCommit().run(store, lambda tx: tx.add_counts({"stored": 2}) or "ok") == "ok"
    assert store.counters()["stored"] == 2
    with pytest.raises(KeyError):
        GroupCommit().run(store, lambda tx: {}["missing"])
    store.close()


def test_bulk_insert_flags_known_and_repeated_ids(store: Any) -> None:
    """SQLite checks a call's ids in one look-up, PostgreSQL inserts them in one
    statement: either way a known id or a repeat within the call is a duplicate."""
    with store.transaction() as tx:
        rows = [("a", "{}", 1.0), ("b", "{}", 1.0), ("a", "{}", 1.0)]
        assert tx.insert_events(rows) == [True, True, False]
    with store.transaction() as tx:
        assert tx.insert_events([("b", "{}", 2.0), ("c", "{}", 2.0)]) == [False, True]
    assert store.event_count() == 3
