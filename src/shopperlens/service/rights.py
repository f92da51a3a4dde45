"""The service's side of privacy: audit log entries, subject hashes, retention.

Every read, export and erasure of a profile is logged with the actor (the ``X-Actor``
header, else the API key used, else ``anonymous``), the action, the HTTP status and the
customer as a keyed hash (HMAC-SHA-256 of the normalised id, the ``pii_`` pseudonym the
batch run and erasure receipts use when ``SHOPPERLENS_PSEUDONYMISATION_KEY`` is set;
otherwise a random key kept in the store).

Retention (``retention_days``) deletes raw events received before the cutoff, at start
and every ``retention_interval_s``; profile states keep their running totals.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from shopperlens.privacy.pseudonymise import hmac_hasher, normalise_id
from shopperlens.service.deps import get_runtime
from shopperlens.service.runtime import Runtime
from shopperlens.timewindow import SECONDS_PER_DAY

log = logging.getLogger("shopperlens.service")
ACTOR_HEADER = "x-actor"
MAX_ACTOR = 200
ANONYMOUS = "anonymous"


def actor_of(request: Request) -> tuple[str, str | None]:
    """(actor, key id) of a request: the ``X-Actor`` header, else ``key:<key id>`` when
    the caller authenticated with a write key, else ``anonymous``."""
    key_id = getattr(request.state, "key_id", None)
    header = " ".join(request.headers.get(ACTOR_HEADER, "").split())[:MAX_ACTOR]
    if header and header.isprintable():
        return header, key_id
    return (f"key:{key_id}" if key_id else ANONYMOUS), key_id


def subject_of(rt: Runtime, customer_id: str) -> str:
    """The keyed hash naming ``customer_id`` in the audit log and erasure receipts."""
    hasher = rt.subject_hasher
    if hasher is None:
        secret = rt.settings.pseudonymisation_key
        key = secret.get_secret_value() if secret is not None else rt.store.audit_key()
        hasher = rt.subject_hasher = hmac_hasher(key)
    return hasher(normalise_id(customer_id) or "")


class Auditor:
    """Writes one audit log entry for the request it was created for."""

    def __init__(self, request: Request, rt: Runtime) -> None:
        self.rt = rt
        self.actor, self.key_id = actor_of(request)

    def record(self, action: str, customer_id: str, status: int) -> str:
        """Log ``action`` on ``customer_id``; return its subject hash."""
        subject = subject_of(self.rt, customer_id)
        self.rt.store.add_audit(
            at=self.rt.clock().timestamp(), actor=self.actor, action=action,
            subject=subject, status=status, key_id=self.key_id,
        )
        return subject


def get_auditor(request: Request, rt: Annotated[Runtime, Depends(get_runtime)]) -> Auditor:
    return Auditor(request, rt)


AuditorDep = Annotated[Auditor, Depends(get_auditor)]


def apply_retention(rt: Runtime) -> int:
    """Delete events received more than ``retention_days`` ago; return how many."""
    days = rt.settings.retention_days
    if days is None:
        return 0
    cutoff = rt.clock().timestamp() - days * SECONDS_PER_DAY
    dropped = rt.store.drop_events_before(cutoff)
    if dropped:
        log.info("retention: deleted %d events older than %d days", dropped, days)
    return dropped


async def retention_loop(rt: Runtime) -> None:
    """Apply retention every ``retention_interval_s`` until cancelled (the service
    applies it once at start, before this loop)."""
    while True:
        await asyncio.sleep(rt.settings.retention_interval_s)
        try:
            await run_in_threadpool(apply_retention, rt)
        except Exception:  # noqa: BLE001 - keep the loop alive; the next run retries
            log.exception("retention failed")
