"""Map engine driver errors to :class:`~shopperlens.errors.EngineError`, once.

Like httpx's ``map_httpcore_exceptions``: every engine call that can fail runs inside
:func:`map_engine_errors`, so no driver exception crosses the engine boundary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from shopperlens.errors import EngineError, InputError

# Driver errors caused by the user's files become input errors; the rest engine errors.
DUCKDB_INPUT_ERRORS: tuple[type[Exception], ...] = (
    duckdb.IOException,
    duckdb.InvalidInputException,
    duckdb.ConversionException,
)
DUCKDB_ENGINE_ERRORS: tuple[type[Exception], ...] = (duckdb.Error,)


@contextmanager
def map_engine_errors(what: str) -> Iterator[None]:
    """Re-raise DuckDB errors as ShopperLens errors that say what was being done."""
    try:
        yield
    except DUCKDB_INPUT_ERRORS as exc:
        raise InputError(f"{what}: {_first_line(exc)}") from exc
    except duckdb.OutOfMemoryException as exc:
        raise EngineError(
            f"{what}: out of memory ({_first_line(exc)}). Lower the data size or raise "
            "SHOPPERLENS_MEMORY_LIMIT."
        ) from exc
    except DUCKDB_ENGINE_ERRORS as exc:
        raise EngineError(f"{what}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
