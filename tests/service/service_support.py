"""Shared helpers of the service tests (a unique module name, safe to import anywhere)."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from shopperlens import demo
from shopperlens.testing import check_same_features as assert_same_features

with warnings.catch_warnings():  # starlette warns about httpx on import; not ours to fix
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = ["KEY", "Fitted", "TestClient", "assert_same_features", "live_server"]

KEY = "test-write-key-0123456789"


@dataclass
class Fitted:
    data: demo.DemoData
    out: Path
    features: Any  # batch features frame, indexed by customer_id
    segments: Any  # batch segments frame
    naive_as_of: datetime

    @property
    def as_of(self) -> datetime:
        return self.naive_as_of.replace(tzinfo=timezone.utc)


def order(msg_id: str, user: str = "C0000001", amount: float = 120.0) -> dict[str, Any]:
    """A Segment-spec ``Order Completed`` track call of one line."""
    return {
        "type": "track",
        "messageId": msg_id,
        "userId": user,
        "event": "Order Completed",
        "timestamp": "2025-12-01T10:00:00Z",
        "properties": {
            "order_id": f"X-{msg_id}",
            "channel": "online",
            "products": [{"price": amount, "quantity": 1, "category": "shoes"}],
        },
    }


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a thread; yields its URL."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
