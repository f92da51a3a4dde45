"""Every user-facing failure of ShopperLens is one of these exceptions.

::

    ShopperLensError                 base; says what, where, what was got, how to fix
    ├── InputError (ValueError)      the user's data or mapping
    │   ├── MissingColumnError       names table, file, missing columns and a --map hint
    │   ├── MissingTableError        a required table is not in the data folder
    │   ├── SchemaError              rows failing the contract (counts, rejected file)
    │   └── MappingError             a --map option that cannot be understood
    ├── ConfigError (ValueError)     bad settings value; names the key and allowed values
    ├── NotFittedError               also sklearn.exceptions.NotFittedError
    ├── ModelError                   a saved model that cannot be used with this data
    ├── EngineError                  DuckDB/Spark failures, mapped in engines/_errors.py
    ├── StoreError                   SQLite/PostgreSQL failures (service store)
    └── PrivacyError                 consent or key problems; never echoes personal data

The CLI turns each into one line on stderr and exit code 2 (user input) or 1.

This module is light (no pandas, no scikit-learn): :class:`NotFittedError`, which also
subclasses scikit-learn's, is made when it is first imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


class ShopperLensError(Exception):
    """Base class of every error ShopperLens raises on purpose."""

    exit_code = 1


class InputError(ShopperLensError, ValueError):
    """The user's data, files or options are not what the contract expects."""

    exit_code = 2


class MissingTableError(InputError):
    """A required table is absent from the data folder."""


class MissingColumnError(InputError):
    """A table lacks a required column."""

    def __init__(self, table: str, path: str, missing: list[str], found: list[str]) -> None:
        self.table, self.path, self.missing, self.found = table, path, missing, found
        shown = ", ".join(found[:8]) + (", ..." if len(found) > 8 else "")
        cols = ", ".join(repr(m) for m in missing)
        word = "column" if len(missing) == 1 else "columns"
        hint = f"--map {table}.{missing[0]}=YOUR_COLUMN"
        super().__init__(
            f"{path}: {table} is missing required {word} {cols} (found: {shown}). "
            f"Map it with {hint}."
        )


class SchemaError(InputError):
    """Rows fail the contract in a way that stops the run."""


class MappingError(InputError):
    """A column mapping option cannot be understood."""


class ConfigError(ShopperLensError, ValueError):
    """A settings value is not allowed."""

    exit_code = 2


if TYPE_CHECKING:  # what _not_fitted_error makes, for type checkers
    from sklearn.exceptions import NotFittedError as _SklearnNotFitted

    class NotFittedError(ShopperLensError, _SklearnNotFitted):
        """An estimator was used before ``fit``."""


class ModelError(ShopperLensError):
    """A saved model cannot be loaded or does not fit the data it is applied to."""

    exit_code = 2


class EngineError(ShopperLensError):
    """The compute engine (DuckDB, Spark) failed."""


class StoreError(ShopperLensError):
    """The service store (SQLite, PostgreSQL) failed."""


class PrivacyError(ShopperLensError):
    """Consent or key handling forbids the operation."""

    exit_code = 2


class DataQualityWarning(UserWarning):
    """Input data was used, but some of it looks suspicious."""


class ConvergenceWarning(UserWarning):
    """A model fit stopped before it converged."""


def _not_fitted_error() -> type:
    from sklearn.exceptions import NotFittedError as SklearnNotFitted

    class NotFittedError(ShopperLensError, SklearnNotFitted):
        """An estimator was used before ``fit``."""

    NotFittedError.__module__, NotFittedError.__qualname__ = __name__, "NotFittedError"
    return NotFittedError


def __getattr__(name: str) -> Any:
    # PEP 562: scikit-learn (2 s to import) only when NotFittedError is wanted.
    if name != "NotFittedError":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = cls = _not_fitted_error()
    return cls
