"""Service stores: SQLite (default), PostgreSQL, and an in-memory test double.

>>> store = open_store("memory://")
>>> store.counters()
{'received': 0, 'stored': 0, 'duplicates': 0, 'rejected': 0}
"""

from __future__ import annotations

from shopperlens.errors import ConfigError
from shopperlens.service.store.base import (
    AuditEntry,
    Change,
    Delivery,
    ProfileRecord,
    Store,
    Transaction,
)
from shopperlens.service.store.memory import MemoryStore
from shopperlens.service.store.sqlite import SQLiteStore, path_from_url

__all__ = [
    "AuditEntry",
    "Change",
    "Delivery",
    "MemoryStore",
    "ProfileRecord",
    "SQLiteStore",
    "Store",
    "Transaction",
    "open_store",
]


def open_store(url: str, *, synchronous: str = "FULL") -> Store:
    """The store a URL names: ``memory://``, ``postgresql://...``, ``sqlite:///file`` or a path."""
    if url == "memory://":
        return MemoryStore()
    if url.startswith(("postgresql://", "postgres://")):
        from shopperlens.service.store.postgres import PostgresStore

        return PostgresStore(url)
    if "://" in url and not url.startswith("sqlite://"):
        raise ConfigError(
            f"--store {url!r} is not a store URL (use sqlite:///FILE, "
            "postgresql://... or memory://)."
        )
    return SQLiteStore(path_from_url(url), synchronous=synchronous)
