"""In-memory store: the test double API tests plug in with ``app.dependency_overrides``.

It runs the shared SQL on an in-memory SQLite database, so tests get the real
transaction and idempotency semantics without a file, and nothing to clean up.
"""

from __future__ import annotations

from shopperlens.service.store.sqlite import SQLiteStore


class MemoryStore(SQLiteStore):
    """A store that lives and dies with the process (``memory://``)."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.url = "memory://"
