"""Driver errors mapped once to :class:`~shopperlens.errors.StoreError` (as httpx maps
httpcore's). :data:`DRIVER_ERRORS` lists every driver class caught; a test checks that
each one comes out as a ``StoreError``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from shopperlens.errors import StoreError

DRIVER_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,)
try:  # PostgreSQL is an optional extra
    import psycopg

    DRIVER_ERRORS = (*DRIVER_ERRORS, psycopg.Error)
except ImportError:  # pragma: no cover - depends on the installed extras
    pass


@contextmanager
def map_store_errors(action: str, url: str) -> Iterator[None]:
    """Re-raise any driver error inside the block as ``StoreError`` naming the action."""
    try:
        yield
    except StoreError:
        raise
    except DRIVER_ERRORS as exc:
        raise StoreError(
            f"{_redact(url)}: {action} failed ({type(exc).__name__}: {exc}). "
            "Check that the store is reachable and writable."
        ) from exc


def _redact(url: str) -> str:
    """The URL without a password (errors may be logged)."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
