"""ShopperLens: customer intelligence for retailers.

The Python API mirrors the command line: :func:`run` is ``shopperlens run``,
:func:`assign` is ``shopperlens assign``, :func:`watch` is ``shopperlens watch``.

``import shopperlens`` is light: the errors are imported at once, everything else (the
run, the model, the settings, and with them pandas, scikit-learn and DuckDB) on first
use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shopperlens._lazy import lazy_names
from shopperlens._version import __version__
from shopperlens.errors import (
    ConfigError,
    EngineError,
    InputError,
    MissingColumnError,
    MissingTableError,
    ModelError,
    PrivacyError,
    SchemaError,
    ShopperLensError,
    StoreError,
)

if TYPE_CHECKING:
    from shopperlens.artifacts import SavedSegmentModel
    from shopperlens.batch.assign import assign
    from shopperlens.batch.result import RunResult
    from shopperlens.batch.runner import run
    from shopperlens.batch.watch import watch
    from shopperlens.config import Settings
    from shopperlens.errors import NotFittedError

# name -> the module that defines it, imported when the name is first used
_LAZY = {
    "NotFittedError": "shopperlens.errors",  # subclasses scikit-learn's
    "RunResult": "shopperlens.batch.result",
    "SavedSegmentModel": "shopperlens.artifacts",
    "Settings": "shopperlens.config",
    "assign": "shopperlens.batch.assign",
    "run": "shopperlens.batch.runner",
    "watch": "shopperlens.batch.watch",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())


__all__ = [
    "ConfigError",
    "EngineError",
    "InputError",
    "MissingColumnError",
    "MissingTableError",
    "ModelError",
    "NotFittedError",
    "PrivacyError",
    "RunResult",
    "SavedSegmentModel",
    "SchemaError",
    "Settings",
    "ShopperLensError",
    "StoreError",
    "__version__",
    "assign",
    "run",
    "watch",
]
