"""ShopperLens: customer intelligence for retailers.

The Python API mirrors the command line: :func:`run` is ``shopperlens run``,
:func:`assign` is ``shopperlens assign``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from shopperlens.artifacts import SavedSegmentModel
from shopperlens.config import Settings
from shopperlens.errors import (
    ConfigError,
    EngineError,
    InputError,
    MissingColumnError,
    MissingTableError,
    ModelError,
    NotFittedError,
    PrivacyError,
    SchemaError,
    ShopperLensError,
    StoreError,
)
from shopperlens.pipeline import RunResult, assign, run

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
]
