"""Both durable stores behave the same; driver errors come out as StoreError."""

from __future__ import annotations

import sqlite3

import pytest

from shopperlens.errors import StoreError
from shopperlens.realtime import CustomerState
from shopperlens.service.store import Store, open_store
from shopperlens.service.store._errors import DRIVER_ERRORS, map_store_errors


def test_idempotent_apply_event(store: Store) -> None:
    def update(tx) -> None:  # type: ignore[no-untyped-def]
        state = tx.get_state(("c", "C1")) or CustomerState()
        state.update({"type": "event", "event": "Email Opened", "t": 1.0})
        tx.put_state(("c", "C1"), state)

    assert store.apply_event("m1", "{}", 1.0, update) is True
    assert store.apply_event("m1", "{}", 1.0, update) is False
    profile = store.get_profile("C1")
    assert profile is not None and profile.state.get(2.0)["email_opens"] == 1
    assert store.counters() == {"received": 2, "stored": 1, "duplicates": 1, "rejected": 0}
    assert store.event_count() == 1


def test_rollback_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert_event("m1", "{}", 1.0)
        tx.put_state(("c", "C1"), CustomerState())
        raise RuntimeError("boom")
    assert store.event_count() == 0 and store.get_profile("C1") is None


def test_links_segments_history_members(store: Store) -> None:
    with store.transaction() as tx:
        tx.link("a1", "C1")
        tx.link("a1", "C2")  # the first link wins
        for cid in ("C3", "C1", "C2"):
            tx.put_state(("c", cid), CustomerState())
            tx.put_segment(cid, 1, at=5.0, model_version="v1")
        assert tx.resolve("a1") == "C1" and tx.resolve("zz") is None
        assert tx.put_segment("C1", 1, at=6.0, model_version="v1") is None
        change = tx.put_segment("C1", 2, at=7.0, model_version="v1")
        assert change is not None and (change.from_segment, change.to_segment) == (1, 2)
    assert store.segment_sizes() == {1: 2, 2: 1}
    assert store.members(1, after=None, limit=1) == ["C2"]
    assert store.members(1, after="C2", limit=5) == ["C3"]
    assert [c.to_segment for c in store.segment_history("C1")] == [1, 2]
    assert len(store.history_since(0)) == 4
    assert [cid for cid, _ in store.customers(after="C1", limit=10)] == ["C2", "C3"]


def test_outbox_lifecycle(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_delivery("http://x", "C1", "entry", 3, "{}", 10.0)
    assert store.due_deliveries(9.0) == []
    (d,) = store.due_deliveries(10.0)
    store.finish_delivery(d.id, ok=False, error="HTTP 500", next_at=20.0)
    assert store.due_deliveries(15.0) == []
    store.finish_delivery(d.id, ok=False, error="HTTP 500", next_at=None)
    assert [x.status for x in store.deliveries(status="failed")] == ["failed"]
    assert store.replay_delivery(d.id, now=30.0) is True
    assert store.replay_delivery(d.id, now=30.0) is False
    store.finish_delivery(d.id, ok=True, error=None, next_at=None)
    assert store.deliveries(status="delivered")[0].attempts == 1
    store.set_meta("model_version", "abc")
    assert store.get_meta("model_version") == "abc" and store.get_meta("nope") is None


@pytest.mark.parametrize("error", DRIVER_ERRORS)
def test_every_driver_error_is_mapped(error: type[Exception]) -> None:
    with (
        pytest.raises(StoreError, match="a write failed") as info,
        map_store_errors("a write", "postgresql://u:secret@h/db"),
    ):
        raise error("driver says no")
    assert "secret" not in str(info.value)
    assert isinstance(info.value.__cause__, error)


def test_sqlite_failure_is_store_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(StoreError, match="opening"):
        open_store(str(tmp_path / "dir.sqlite3"))
    assert issubclass(sqlite3.OperationalError, DRIVER_ERRORS)


def test_sqlite_is_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    st = open_store(f"sqlite:///{tmp_path}/s.db")
    assert st._read("PRAGMA journal_mode")[0][0] == "wal"  # type: ignore[attr-defined]
    assert st._read("PRAGMA synchronous")[0][0] == 2  # type: ignore[attr-defined]  # FULL
