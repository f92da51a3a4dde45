"""Webhook deliveries of segment entry/exit from the transactional outbox.

Rows are written in the same transaction as the segment change, so none is lost; none
is written for a customer whose ``consent_marketing`` is false, who is never pushed to a
marketing tool (``shopperlens.service.ingest._outbox``). A worker thread posts them,
signed with HMAC-SHA256 over ``timestamp + "." + body`` (header
``X-ShopperLens-Signature: t=<unix>,v1=<hex>``, as Stripe does), retries with
exponential backoff, and after ``webhook_max_attempts`` keeps the delivery as
``failed`` for ``POST /v1/webhooks/{id}/replay``.

>>> sign(b"{}", secret="s", timestamp=0)
't=0,v1=e79b1f685c78e46b2e3f94b5fbf00964e3e3d5ed4d1e270dcf671ac4cd2233fa'
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Any

import httpx

from shopperlens.service.runtime import Runtime
from shopperlens.service.store.base import Delivery

SIGNATURE_HEADER = "X-ShopperLens-Signature"
MAX_BACKOFF_S = 3600.0


def sign(body: bytes, *, secret: str, timestamp: int) -> str:
    """The signature header value of ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookWorker:
    """Posts due outbox rows; ``run_once`` is one pass (tests call it directly)."""

    def __init__(self, rt: Runtime, *, transport: httpx.BaseTransport | None = None) -> None:
        self.rt = rt
        self.client = httpx.Client(transport=transport, timeout=rt.settings.webhook_timeout_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Try every due delivery once; return how many were attempted."""
        due = self.rt.store.due_deliveries(self.rt.clock().timestamp())
        for delivery in due:
            self._deliver(delivery)
        return len(due)

    def _deliver(self, d: Delivery) -> None:
        settings, now = self.rt.settings, self.rt.clock().timestamp()
        body = d.payload.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, secret=settings.webhook_secret, timestamp=int(now)),
        }
        error: str | None = None
        try:
            response = self.client.post(d.url, content=body, headers=headers)
            if response.status_code >= 300:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:  # network trouble is the receiver's, not ours
            error = f"{type(exc).__name__}: {exc}"
        attempts = d.attempts + 1
        retry_at: float | None = None
        if error is not None and attempts < settings.webhook_max_attempts:
            retry_at = now + min(settings.webhook_backoff_s * 2 ** (attempts - 1), MAX_BACKOFF_S)
        self.rt.store.finish_delivery(d.id, ok=error is None, error=error, next_at=retry_at)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="webhooks", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # noqa: BLE001 - a store hiccup must not kill the worker
                busy = 0
            if not busy:
                self.rt.wakeup.wait(0.5)
                self.rt.wakeup.clear()

    def stop(self, *_: Any) -> None:
        self._stop.set()
        self.rt.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.client.close()
