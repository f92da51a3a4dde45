"""What the service needs from a store: the :class:`Store` and :class:`Transaction` protocols.

One :meth:`Store.transaction` holds everything an ingestion call changes: the event rows
(idempotent by ``message_id``), the profile states, identity links, segment changes with
their history and webhook outbox rows, and the counters. Nothing is acknowledged before
it commits, so an acknowledged event is durable and counted exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from shopperlens.privacy.consent import may_market, may_profile
from shopperlens.realtime import CustomerState

Key = tuple[str, str]  # ("c", customer_id) or ("a", anonymous_id)
COUNTERS = ("received", "stored", "duplicates", "rejected")


def marketing_allowed(state: CustomerState | None) -> bool:
    """Whether a customer may be in an exported audience or a segment webhook.

    The rule is :func:`shopperlens.privacy.consent.may_market` (the batch's): only a
    ``consent_marketing`` refusal keeps them out, an unknown answer counts as allowed.

    >>> state = CustomerState()
    >>> marketing_allowed(state), marketing_allowed(None)
    (True, True)
    >>> state.traits["consent_marketing"] = "no"
    >>> marketing_allowed(state)
    False
    """
    return state is None or may_market(state.traits)


def profiling_allowed(state: CustomerState | None) -> bool:
    """Whether a customer may be given a segment (GDPR Art. 21/22), by
    :func:`shopperlens.privacy.consent.may_profile`, the rule the batch run uses.

    >>> state = CustomerState()
    >>> state.traits["consent_profiling"] = False
    >>> profiling_allowed(state), profiling_allowed(None)
    (False, True)
    """
    if state is None:
        return True
    # a customer seeded from a run the batch did not profile stays out until they say yes
    default = state.seed is None or state.seed.get("profiled", True) is not False
    return may_profile(state.traits, default=default)


@dataclass(frozen=True)
class Change:
    """A customer moving between segments (``None`` = no segment)."""

    id: int
    customer_id: str
    from_segment: int | None
    to_segment: int | None
    at: float  # seconds since the epoch
    model_version: str


@dataclass
class ProfileRecord:
    """What the store holds about one customer."""

    customer_id: str
    state: CustomerState
    segment_id: int | None
    history: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery in the outbox."""

    id: int
    url: str
    customer_id: str
    kind: str  # entry | exit
    segment_id: int
    payload: str
    attempts: int
    status: str  # pending | delivered | failed
    last_error: str | None


@dataclass(frozen=True)
class AuditEntry:
    """Who read, exported or erased which profile, when (the subject is a keyed hash)."""

    id: int
    at: float  # seconds since the epoch
    actor: str
    key_id: str | None  # short hash of the API key used, when keys are configured
    action: str  # read | export | erase
    subject: str
    status: int  # HTTP status of the answer


class Transaction(Protocol):
    """Changes made inside :meth:`Store.transaction`; also a realtime ``Book``."""

    def insert_event(self, message_id: str, payload: str, received_at: float) -> bool:
        """Store an event; False (and nothing stored) when ``message_id`` is known."""

    def get_state(self, key: Key) -> CustomerState | None: ...
    def put_state(self, key: Key, state: CustomerState) -> None: ...
    def delete_state(self, key: Key) -> None: ...
    def resolve(self, anonymous_id: str) -> str | None: ...
    def link(self, anonymous_id: str, customer_id: str) -> None: ...
    def get_segment(self, customer_id: str) -> int | None: ...
    def put_segment(
        self, customer_id: str, segment_id: int | None, *, at: float, model_version: str
    ) -> Change | None:
        """Set the segment; record and return the change (None when unchanged)."""

    def add_delivery(
        self, url: str, customer_id: str, kind: str, segment_id: int, payload: str, next_at: float
    ) -> None: ...
    def add_counts(self, counts: dict[str, int]) -> None: ...


class Store(Protocol):
    """A durable service store (SQLite, PostgreSQL) or the in-memory test double."""

    url: str

    def transaction(self) -> AbstractContextManager[Transaction]: ...
    def apply_event(self, message_id: str, payload: str, received_at: float, update: Any) -> bool:
        """Store one event and run ``update(tx)`` in the same transaction (idempotent)."""

    def get_profile(self, customer_id: str, *, history: int = 50) -> ProfileRecord | None: ...
    def segment_history(self, customer_id: str, *, limit: int = 50) -> list[Change]: ...
    def history_since(self, after_id: int, *, limit: int = 100) -> list[Change]: ...
    def segment_sizes(self) -> dict[int, int]: ...
    def members(self, segment_id: int, *, after: str | None, limit: int) -> list[str]:
        """Up to ``limit`` member ids after ``after`` in id order, leaving out customers
        whose ``consent_marketing`` is false (see :func:`marketing_allowed`); fewer than
        ``limit`` only at the end of the segment."""

    def customers(self, *, after: str | None, limit: int) -> list[tuple[str, CustomerState]]: ...
    def counters(self) -> dict[str, int]: ...
    def event_count(self) -> int: ...
    def due_deliveries(self, now: float, *, limit: int = 50) -> list[Delivery]: ...
    def finish_delivery(
        self, delivery_id: int, *, ok: bool, error: str | None, next_at: float | None
    ) -> None:
        """Mark delivered (ok), retry at ``next_at``, or failed when ``next_at`` is None."""

    def deliveries(self, *, status: str, limit: int = 100) -> list[Delivery]: ...
    def replay_delivery(self, delivery_id: int, *, now: float) -> bool: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...
    def erase_customer(self, customer_id: str) -> int:
        """Delete everything held about ``customer_id``; return how many rows went."""

    def export_customer(self, customer_id: str) -> dict[str, Any] | None: ...
    def drop_events_before(self, cutoff: float, *, batch: int = 5000) -> int: ...
    def audit_key(self) -> str: ...
    def add_audit(
        self, *, at: float, actor: str, action: str, subject: str, status: int,
        key_id: str | None = None,
    ) -> None: ...
    def audit_entries(
        self, *, after: int = 0, limit: int = 100, subject: str | None = None
    ) -> list[AuditEntry]: ...


def iter_customers(store: Store, *, page: int = 500) -> Iterator[list[tuple[str, CustomerState]]]:
    """All customers' states in pages of ``page`` (keyset pagination, stable under writes)."""
    after: str | None = None
    while True:
        rows = store.customers(after=after, limit=page)
        if not rows:
            return
        yield rows
        after = rows[-1][0]
