"""The real-time segmentation service (``shopperlens serve``).

:func:`create_app` builds the FastAPI application; :func:`serve` runs it with uvicorn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from shopperlens.service.app import create_app
from shopperlens.service.settings import ServiceSettings, hash_key

__all__ = ["ServiceSettings", "create_app", "hash_key", "serve"]


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
    import uvicorn

    settings = ServiceSettings(
        model_dir=Path(model_dir),
        store_url=store_url,
        write_key_hashes=[hash_key(k) for k in write_keys],
        **overrides,  # type: ignore[arg-type]
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
