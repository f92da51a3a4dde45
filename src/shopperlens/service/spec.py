"""Segment-spec messages in, canonical real-time events out (the service's mapping edge).

A message is checked once here (:func:`parse_message`); failures raise
:class:`MalformedEvent` with a machine-readable ``reason``. :func:`to_events` turns a
valid message into the events :mod:`shopperlens.realtime` folds into profiles:

- ``track "Order Completed"`` / ``"Order Refunded"`` with ``properties.products`` is a
  transaction (one line per product; ``amount`` = ``price * quantity - discount`` unless
  the product carries ``amount``, refunds negative). It is also a behavioural event,
  unless ``properties.behavioural`` is ``false`` (an order from a till or back office,
  which the batch pipeline reads from ``transactions`` and not from ``events``).
- ``track "Product Reviewed"``, ``"Support Contacted"``, ``"Survey Completed"``,
  ``"Chat Started"``, ``"Social Commented"`` are interactions (``properties.rating``).
- Other ``track`` and ``page`` (as ``Page Viewed``) / ``screen`` calls are behavioural
  events; the session is ``context.sessionId`` or ``properties.session_id``, the device
  ``context.device.type`` and the funnel step the retailer names ``properties.step``.
- ``identify`` sets traits (only :data:`TRAIT_KEYS`: no e-mail or phone is kept) and,
  with both ids, links the anonymous id; ``alias`` links ``previousId`` to ``userId``.

>>> m = parse_message({"type": "alias", "previousId": "a1", "userId": "C1",
...                    "messageId": "m1", "timestamp": "1970-01-02T00:00:00Z"})
>>> to_events(m)
[{'type': 'link', 'user_id': 'C1', 'anonymous_id': 'a1', 't': 1.0}]
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson
from pydantic import ValidationError

from shopperlens import schema as s
from shopperlens.errors import InputError
from shopperlens.privacy.consent import consent_answer
from shopperlens.privacy.pseudonymise import Kind, pii_columns, pseudonymise
from shopperlens.realtime import to_days
from shopperlens.service.models import Message

ORDER_EVENTS = {s.ORDER_COMPLETED: 1.0, "Order Refunded": -1.0}
INTERACTION_EVENTS = {
    "Product Reviewed": s.REVIEW,
    "Support Contacted": s.SUPPORT,
    "Survey Completed": s.SURVEY,
    "Chat Started": s.CHAT,
    "Social Commented": s.SOCIAL,
}
TRAIT_KEYS = (s.REGION, s.COUNTRY, s.CITY, s.CONSENT_PROFILING, s.CONSENT_MARKETING)
CONSENT_KEYS = (s.CONSENT_PROFILING, s.CONSENT_MARKETING)
# identifiers the batch keeps as keyed pseudonyms (privacy.pii_columns("customers"))
PSEUDONYMISED_KEYS: dict[str, Kind] = pii_columns(s.CUSTOMERS.name)
SENSITIVE_KEYS = tuple(c.name for c in s.CUSTOMERS.columns if c.sensitive)
# free text may hold personal data: it is dropped before a message is stored
FREE_TEXT_KEYS = ("text", "review_body", "body", "message", "comment")
NAME_LENGTH = s.STEP_LENGTH  # a step or device name, as the batch's range rule on events.step


class MalformedEvent(InputError):
    """A message that breaks the Segment spec or our limits (answered with 400)."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(detail)


def parse_message(raw: Any, default_type: str | None = None) -> Message:
    """Validate one raw JSON message; raise :class:`MalformedEvent` saying what is wrong."""
    if not isinstance(raw, dict):
        raise MalformedEvent(
            "not_an_object", f"a message must be a JSON object, got {type(raw).__name__}."
        )
    if default_type and raw.get("type") is None:
        raw = {**raw, "type": default_type}
    try:
        msg = Message.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "message"
        raise MalformedEvent(f"invalid_field:{where}", f"{where}: {err['msg']}.") from None
    if msg.type is None:
        raise MalformedEvent(
            "missing_field:type", "type: required in a batch (track, identify, ...)."
        )
    _check_required(msg)
    if msg.messageId is None:
        msg.messageId = "sha256:" + hashlib.sha256(_canonical(raw)).hexdigest()
    if msg.timestamp is not None and msg.timestamp.tzinfo is None:
        msg.timestamp = msg.timestamp.replace(tzinfo=timezone.utc)
    return msg


def _canonical(raw: dict[str, Any]) -> bytes:
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str).encode()


def _check_required(msg: Message) -> None:
    for name in ("userId", "anonymousId", "previousId", "messageId", "event"):
        if getattr(msg, name) == "":
            setattr(msg, name, None)  # Segment libraries send "" for "unknown"
    if msg.type == "alias":
        if not (msg.previousId and msg.userId):
            raise MalformedEvent("missing_field:previousId", "alias needs previousId and userId.")
        return
    if not (msg.userId or msg.anonymousId):
        raise MalformedEvent("missing_identity", f"{msg.type} needs userId or anonymousId.")
    if msg.type == "track" and not msg.event:
        raise MalformedEvent("missing_field:event", "track needs a non-empty event name.")


def stored_payload(raw: dict[str, Any], msg: Message, policy: TraitPolicy | None = None) -> str:
    """The message as stored (JSON text): as received, with its resolved ``type`` and
    ``messageId``, free-text properties removed, and an ``identify``'s traits as the
    profile keeps them (:func:`sort_traits`: identifiers pseudonymised, the rest refused).
    ``context.traits`` (which Segment's libraries may fill with the same) is dropped."""
    data = {**raw, "type": msg.type, "messageId": msg.messageId}
    props = data.get("properties")
    if isinstance(props, dict) and any(k in props for k in FREE_TEXT_KEYS):
        data["properties"] = {k: v for k, v in props.items() if k not in FREE_TEXT_KEYS}
    if isinstance(data.get("traits"), dict):
        data["traits"] = kept_traits(data["traits"], policy)
    context = data.get("context")
    if isinstance(context, dict) and "traits" in context:
        data["context"] = {k: v for k, v in context.items() if k != "traits"}
    return payload_json(data)


def payload_json(data: Any) -> str:
    """Compact JSON text of a stored payload: orjson (this runs for every event), or the
    standard library for what orjson cannot encode (integers beyond 64 bits). Strict JSON:
    infinities and NaN are stored as null."""
    try:
        return orjson.dumps(data, default=str).decode()
    except orjson.JSONEncodeError:
        return json.dumps(data, separators=(",", ":"), default=str)


def to_events(
    msg: Message, received: datetime | None = None, policy: TraitPolicy | None = None
) -> list[dict[str, Any]]:
    """The canonical real-time events of a valid message (see the module docstring)."""
    when = msg.timestamp or received or datetime.now(timezone.utc)  # receivedAt, as Segment
    base: dict[str, Any] = {
        "user_id": msg.userId,
        "anonymous_id": msg.anonymousId,
        "t": to_days(when),
    }
    if msg.type == "alias":
        return [
            {"type": "link", "user_id": msg.userId, "anonymous_id": msg.previousId, "t": base["t"]}
        ]
    if msg.type == "identify":
        return [{**base, "type": "traits", "traits": kept_traits(msg.traits or {}, policy)}]
    if msg.type == "group":
        return [{**base, "type": "link"}] if msg.userId and msg.anonymousId else []
    props = msg.properties or {}
    name = (
        msg.event
        if msg.type == "track"
        else (s.PAGE_VIEWED if msg.type == "page" else "Screen Viewed")
    )
    events: list[dict[str, Any]] = []
    if name in INTERACTION_EVENTS:
        return [
            {
                **base,
                "type": "interaction",
                "source": INTERACTION_EVENTS[name],
                "rating": _number(props.get("rating"), "properties.rating"),
            }
        ]
    if name in ORDER_EVENTS and isinstance(props.get("products"), list):
        events.append({**base, **_transaction(msg, props, ORDER_EVENTS[name])})
        if props.get("behavioural") is False:
            return events
    event = {**base, "type": "event", "event": name, "session_id": _session(msg, props)}
    # the batch's events columns ``device`` and ``step`` (the retailer's funnel step)
    for key, value in ((s.DEVICE, _device(msg)),
                       (s.STEP, _name(props.get("step"), "properties.step"))):
        if value is not None:
            event[key] = value
    product = props.get("product_id", props.get("productId"))
    if isinstance(product, (str, int)) and not isinstance(product, bool):
        event["product_id"] = str(product)
    events.append(event)
    return events


@dataclass(frozen=True)
class TraitPolicy:
    """How ``identify`` traits are kept: the batch's rules for the customers table.

    ``key`` is the batch's pseudonymisation key: with it, e-mails and phones are kept as
    the same keyed pseudonyms the batch writes; without it they are refused.
    """

    key: bytes | str | None = None
    default_country: str | None = "GB"
    # pseudonyms computed for this policy (one per ingestion call): the events, the
    # stored payload and the answer each sort a message's traits
    _seen: dict[tuple[str, str], str | None] = field(default_factory=dict, compare=False)

    def pseudonym(self, value: Any, kind: Kind) -> str | None:
        """The batch's keyed pseudonym of ``value`` (``None`` when it normalises to nothing)."""
        if self.key is None or value is None:
            return None
        text = str(value)
        if (text, kind) not in self._seen:
            token = pseudonymise([text], key=self.key, kind=kind,
                                 default_country=self.default_country)[0]
            self._seen[(text, kind)] = None if token is None or token != token else str(token)
        return self._seen[(text, kind)]


def sort_traits(
    traits: dict[str, Any], policy: TraitPolicy | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The traits a profile keeps, and the refused ones with their reason.

    Kept: :data:`TRAIT_KEYS`, consent answers read by the batch's rule
    (:func:`~shopperlens.privacy.consent.consent_answer`) as booleans (``None`` for no
    answer); e-mail and phone as keyed pseudonyms when the policy has a key. Refused:
    everything else, each with a reason (see :class:`~.models.RefusedTrait`). A consent
    answer that is neither true nor false rejects the message, as ingestion rejects such
    a customers row.

    >>> kept, refused = sort_traits({"region": "North", "email": "a@x.com", "name": "Ann",
    ...                              "consent_marketing": "no"})
    >>> kept
    {'region': 'North', 'consent_marketing': False}
    >>> refused
    {'email': 'pseudonymisation_key_missing', 'name': 'not_a_trait'}
    """
    policy = policy or TraitPolicy()
    kept: dict[str, Any] = {}
    refused: dict[str, str] = {}
    for name, value in traits.items():
        if name in CONSENT_KEYS:
            kept[name] = _consent(name, value)
        elif name in TRAIT_KEYS:
            kept[name] = value
        elif name in PSEUDONYMISED_KEYS:
            if policy.key is None:
                refused[name] = "pseudonymisation_key_missing"
            elif value is not None:
                kept[name] = policy.pseudonym(value, PSEUDONYMISED_KEYS[name])
        else:
            refused[name] = "sensitive" if name in SENSITIVE_KEYS else "not_a_trait"
    return kept, refused


def kept_traits(traits: dict[str, Any], policy: TraitPolicy | None = None) -> dict[str, Any]:
    """The traits a profile keeps (see :func:`sort_traits`).

    >>> kept_traits({"region": "North", "email": "a@x.com", "consent_marketing": "no"})
    {'region': 'North', 'consent_marketing': False}
    """
    return sort_traits(traits, policy)[0]


def _consent(name: str, value: Any) -> bool | None:
    try:
        return consent_answer(value)
    except InputError:
        raise MalformedEvent(
            f"invalid_field:traits.{name}",
            f"traits.{name}: expected true or false (or yes/no, 1/0), got {str(value)[:40]!r}.",
        ) from None


REFUSED_DETAIL = {
    "pseudonymisation_key_missing": "kept only as a keyed pseudonym, and the service has no "
    "pseudonymisation key (set SHOPPERLENS_PSEUDONYMISATION_KEY, the batch run's key).",
    "sensitive": "a sensitive attribute: the service does not keep it.",
    "not_a_trait": "not a customers column the service keeps "
    f"({', '.join((*TRAIT_KEYS, *PSEUDONYMISED_KEYS))}).",
}


def _session(msg: Message, props: dict[str, Any]) -> str | None:
    ctx = msg.context or {}
    sid = ctx.get("sessionId", ctx.get("session_id", props.get("session_id")))
    return None if sid is None else str(sid)


def _device(msg: Message) -> str | None:
    """The device: ``context.device.type`` (Segment's spec: ios, android, ...)."""
    device = (msg.context or {}).get("device")
    if device is None:
        return None
    if not isinstance(device, dict):
        raise MalformedEvent("invalid_field:context.device",
                             f"context.device: expected an object, got {device!r:.40}.")
    return _name(device.get("type"), "context.device.type")


def _name(value: Any, where: str) -> str | None:
    """A short name (a step, a device) as text, trimmed as the batch trims it; a number
    is read as its text, a blank as none; anything else (an object, a list, true or
    false) is refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise MalformedEvent(f"invalid_field:{where}",
                             f"{where}: expected text, got {value!r:.40}.")
    text = str(value).strip(s.SPACES)
    if len(text) > NAME_LENGTH:
        raise MalformedEvent(f"invalid_field:{where}",
                             f"{where}: at most {NAME_LENGTH} characters, got {len(text)}.")
    return text or None


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise MalformedEvent(
            f"invalid_field:{where}", f"{where}: expected a number, got {value!r}."
        )
    try:
        number = float(value)
    except ValueError:
        raise MalformedEvent(
            f"invalid_field:{where}", f"{where}: expected a number, got {value!r}."
        ) from None
    if not math.isfinite(number):
        raise MalformedEvent(f"invalid_field:{where}", f"{where}: expected a finite number.")
    return number


def _transaction(msg: Message, props: dict[str, Any], sign: float) -> dict[str, Any]:
    order_id = props.get("order_id", props.get("orderId", msg.messageId))
    channel = props.get("channel")
    lines = [_line(p, i, sign) for i, p in enumerate(props["products"])]
    if not lines:
        raise MalformedEvent("invalid_field:properties.products", "properties.products is empty.")
    order_discount = _number(props.get("discount"), "properties.discount")
    if (
        order_discount
        and all(line["discount"] is None for line in lines)
        and lines[0]["amount"] > 0
    ):
        # an order-level discount counts as money taken off (the first line carries it)
        lines[0]["discount"] = order_discount
    return {
        "type": "transaction",
        "order_id": str(order_id),
        "channel": None if channel is None else str(channel),
        "lines": lines,
    }


def _line(product: Any, i: int, sign: float) -> dict[str, Any]:
    where = f"properties.products.{i}"
    if not isinstance(product, dict):
        raise MalformedEvent(f"invalid_field:{where}", f"{where}: a product must be an object.")
    quantity = _number(product.get("quantity"), f"{where}.quantity")
    discount = _number(product.get("discount"), f"{where}.discount")
    amount = _number(product.get("amount"), f"{where}.amount")
    if amount is None:
        price = _number(product.get("price"), f"{where}.price")
        if price is None:
            raise MalformedEvent(f"missing_field:{where}.price", f"{where}: needs price or amount.")
        amount = price * (1.0 if quantity is None else quantity) - (discount or 0.0)
    if not math.isfinite(amount):
        raise MalformedEvent(f"invalid_field:{where}", f"{where}: the line amount is not finite.")
    if sign < 0:
        amount, quantity = -abs(amount), None if quantity is None else -abs(quantity)
    category = product.get("category")
    product_id = product.get("product_id", product.get("productId"))
    return {
        "product_id": None if product_id is None else str(product_id),
        "amount": amount,
        "quantity": quantity,
        "discount": discount,
        "category": None if category is None else str(category),
    }
