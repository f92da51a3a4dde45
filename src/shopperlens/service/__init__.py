"""The real-time segmentation service (``shopperlens serve``).

:func:`create_app` builds the FastAPI application; :func:`serve` runs it with uvicorn.
The web stack (FastAPI, uvicorn, httpx) is the ``online`` extra, so this package root
imports it lazily: :func:`require_online` can then say which extra to install instead
of a ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopperlens.errors import ConfigError

if TYPE_CHECKING:
    from shopperlens.service.app import create_app
    from shopperlens.service.settings import ServiceSettings, hash_key

__all__ = ["ONLINE_MODULES", "ServiceSettings", "create_app", "hash_key", "require_online", "serve"]

# what `serve` imports, all in pyproject's `online` extra
ONLINE_MODULES = ("fastapi", "uvicorn", "httpx")
INSTALL_HINT = "pip install 'shopperlens[online]' (from a clone: pip install '.[online]')"


def require_online() -> None:
    """Raise a :class:`ConfigError` (exit 2) naming the extra when a module is missing."""
    missing = [name for name in ONLINE_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"`serve` needs the online extra, which is not installed (missing: "
            f"{', '.join(missing)}): {INSTALL_HINT}."
        )


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from shopperlens.service.app import create_app

        return create_app
    if name in ("ServiceSettings", "hash_key"):
        from shopperlens.service import settings

        return getattr(settings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def serve(
    model_dir: str | Path,
    *,
    store_url: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    write_keys: Sequence[str] = (),
    **overrides: object,
) -> None:
    """Run the service on ``host:port`` until interrupted.

    ``model_dir`` is the output folder of ``shopperlens run``; the store defaults to a
    SQLite file beside it. Write keys are hashed before they are kept.
    """
    require_online()
    from shopperlens.service.server import run

    run(model_dir, store_url=store_url, host=host, port=port, write_keys=write_keys,
        **overrides)
