"""Request and response models of the HTTP API (they are what ``/docs`` shows).

Ingestion bodies follow the Segment spec (camelCase field names, unknown fields kept),
so a Segment or RudderStack webhook destination can post to the service unchanged.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MessageType = Literal["track", "identify", "page", "screen", "alias", "group"]
Id = Field(default=None, max_length=256)


class Message(BaseModel):
    """One Segment-spec message (``track``, ``identify``, ``page``, ``alias`` ...)."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    type: MessageType | None = Field(default=None, description="Set by the endpoint when absent.")
    messageId: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="Idempotency key; when absent, a hash of the message is used.",
    )
    userId: str | None = Id
    anonymousId: str | None = Id
    previousId: str | None = Field(default=None, max_length=256, description="alias only")
    event: str | None = Field(default=None, max_length=200, description="track only")
    name: str | None = Field(default=None, max_length=200, description="page/screen name")
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    timestamp: datetime | None = Field(default=None, description="ISO 8601; naive means UTC.")


class BatchRequest(BaseModel):
    """``POST /v1/batch``: up to 500 KB of messages, each with its ``type``."""

    model_config = ConfigDict(extra="allow")

    batch: list[Message]
    context: dict[str, Any] | None = None


class Rejected(BaseModel):
    """A message that was not stored, and why (``reason`` is machine-readable)."""

    index: int
    messageId: str | None = None
    reason: str
    detail: str


class RefusedTrait(BaseModel):
    """An ``identify`` trait that was not kept (the message itself was stored).

    ``reason``: ``pseudonymisation_key_missing`` (an e-mail or phone, kept only as a
    keyed pseudonym, as the batch keeps it), ``sensitive`` (birth year, gender: not
    kept by the service), ``not_a_trait`` (not a column of the customers table).
    """

    index: int
    messageId: str | None = None
    field: str
    reason: str
    detail: str


class Ack(BaseModel):
    """Answer to an ingestion call: every message is stored, a duplicate, or rejected."""

    success: bool = True
    stored: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = Field(default_factory=list)
    traits_refused: list[RefusedTrait] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """Body of every error answer."""

    detail: str
    reason: str


class SegmentChange(BaseModel):
    """One move of a customer between segments (``from_segment`` None = first one)."""

    id: int
    customer_id: str
    from_segment: int | None
    to_segment: int | None
    at: datetime
    model_version: str


class Profile(BaseModel):
    """A customer's current profile."""

    customer_id: str
    as_of: datetime
    traits: dict[str, Any]
    features: dict[str, float | int | str | None]
    segment_id: int | None
    segment_name: str | None
    reasons: str
    history: list[SegmentChange]
    predictions: dict[str, Any] | None = Field(
        default=None, description="The run's predictions for them, as of the run (seeded).")


class SegmentSize(BaseModel):
    segment_id: int
    segment_name: str
    size: int


class Segments(BaseModel):
    model_version: str
    segments: list[SegmentSize]


class FrictionPoint(BaseModel):
    """A step where a segment's sessions on one channel and device drop off more than
    the same segment's elsewhere (``friction.parquet``)."""

    rank: int
    step: str
    segment_id: int | None
    channel: str
    device: str
    sessions: int
    drop_off: float
    baseline_drop_off: float
    lost_orders: float
    lost_revenue: float


class Incident(BaseModel):
    """A step whose drop-off jumped (``incidents.parquet``); ``segment_id`` None: every
    visitor together."""

    step: str
    channel: str
    device: str
    segment_id: int | None
    started_on: date
    detected_on: date
    ended_on: date | None
    drop_off_before: float
    drop_off_during: float
    lost_orders: float


class Friction(BaseModel):
    model_version: str
    friction: list[FrictionPoint]
    incidents: list[Incident]


class Members(BaseModel):
    """One page of a segment's members; pass ``next_cursor`` back as ``cursor``."""

    segment_id: int
    customer_ids: list[str]
    next_cursor: str | None


class ModelSwap(BaseModel):
    """``POST /v1/models``: the output folder of a newly fitted ``shopperlens run``."""

    path: str = Field(min_length=1, max_length=4096)


class ModelSwapResult(BaseModel):
    model_version: str
    reassigned: int
    changed: int


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    store: str
    model_version: str
    counters: dict[str, int]


class WebhookDelivery(BaseModel):
    id: int
    url: str
    customer_id: str
    kind: Literal["entry", "exit"]
    segment_id: int
    attempts: int
    status: Literal["pending", "delivered", "failed"]
    last_error: str | None


class Erasure(BaseModel):
    """Receipt of ``DELETE /v1/profiles/{id}``: no personal data, the subject is a keyed hash."""

    receipt: str
    subject: str
    requested_at: datetime
    store: str
    rows_removed: int


class SubjectExport(BaseModel):
    """Everything the service store holds about one customer (GDPR Art. 15)."""

    model_config = ConfigDict(extra="allow")

    customer_id: str
    subject: str
    profiles: dict[str, Any]
    anonymous_ids: list[str]
    events: list[dict[str, Any]]
    segment_history: list[dict[str, Any]]
    webhook_deliveries: list[dict[str, Any]]


class AuditRecord(BaseModel):
    """One audit log entry: who did what to which profile (a keyed hash), when."""

    id: int
    at: datetime
    actor: str
    key_id: str | None
    action: Literal["read", "export", "erase"]
    subject: str
    status: int


class AuditPage(BaseModel):
    """One page of the audit log, oldest first; pass ``next_after`` back as ``after``."""

    entries: list[AuditRecord]
    next_after: int | None
