"""From raw messages to committed profiles and segments, in one store transaction.

:func:`ingest` validates each message (bad ones are rejected with a reason, the rest go
on), then in ONE transaction stores the events (a known ``messageId`` is a duplicate),
folds them into profile states, re-assigns the touched customers' segments with the
current model, records changes and webhook outbox rows, and bumps the counters. Only
then is the call acknowledged and the changes published to stream subscribers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shopperlens.realtime import CustomerState, apply
from shopperlens.realtime.assign import CUSTOMER
from shopperlens.service.models import Ack, Message, RefusedTrait, Rejected
from shopperlens.service.runtime import LoadedModel, Runtime
from shopperlens.service.spec import (
    REFUSED_DETAIL,
    MalformedEvent,
    TraitPolicy,
    parse_message,
    sort_traits,
    stored_payload,
    to_events,
)
from shopperlens.service.store.base import (
    Change,
    Key,
    Transaction,
    marketing_allowed,
    profiling_allowed,
)
from shopperlens.timewindow import SECONDS_PER_DAY


@dataclass
class Parsed:
    message: Message
    events: list[dict[str, Any]]
    payload: str
    refused: list[RefusedTrait]


class CachedBook:
    """A realtime ``Book`` over a transaction that reads each state once, writes once."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.states: dict[Key, CustomerState | None] = {}
        self.dirty: set[Key] = set()

    def get_state(self, key: Key) -> CustomerState | None:
        if key not in self.states:
            self.states[key] = self.tx.get_state(key)
        return self.states[key]

    def put_state(self, key: Key, state: CustomerState) -> None:
        self.states[key] = state
        self.dirty.add(key)

    def delete_state(self, key: Key) -> None:
        self.states[key] = None
        self.dirty.add(key)

    def resolve(self, anonymous_id: str) -> str | None:
        return self.tx.resolve(anonymous_id)

    def link(self, anonymous_id: str, customer_id: str) -> None:
        self.tx.link(anonymous_id, customer_id)

    def flush(self) -> None:
        puts = []
        for key in sorted(self.dirty):
            state = self.states[key]
            if state is None:
                self.tx.delete_state(key)
            else:
                puts.append((key, state))
        put_states = getattr(self.tx, "put_states", None)
        if put_states is not None:
            put_states(puts)
        else:
            for key, state in puts:
                self.tx.put_state(key, state)
        self.dirty.clear()


def parse_all(
    raws: list[Any],
    default_type: str | None,
    max_bytes: int | None,
    policy: TraitPolicy | None = None,
) -> tuple[list[Parsed], list[Rejected]]:
    """Valid messages with their events, and the rejected ones with reasons.

    ``max_bytes`` None skips the per-event size check (the whole body was smaller).
    ``policy`` says how ``identify`` traits are kept (see :func:`~.spec.sort_traits`).
    """
    good: list[Parsed] = []
    rejected: list[Rejected] = []
    for i, raw in enumerate(raws):
        msg_id = raw.get("messageId") if isinstance(raw, dict) else None
        try:
            if (
                max_bytes is not None
                and len(json.dumps(raw, separators=(",", ":"), default=str)) > max_bytes
            ):
                raise MalformedEvent("event_too_large", f"an event is at most {max_bytes} bytes.")
            message = parse_message(raw, default_type)
            events = to_events(message, policy=policy)
            payload = stored_payload(raw, message, policy)
            refused = _refused_traits(i, message, policy)
        except MalformedEvent as exc:
            rejected.append(
                Rejected(index=i, messageId=_text(msg_id), reason=exc.reason, detail=str(exc))
            )
            continue
        good.append(Parsed(message, events, payload, refused))
    return good, rejected


def _refused_traits(index: int, message: Message, policy: TraitPolicy | None) -> list[RefusedTrait]:
    if message.type != "identify" or not message.traits:
        return []
    _, refused = sort_traits(message.traits, policy)
    return [
        RefusedTrait(index=index, messageId=_text(message.messageId), field=name[:64],
                     reason=reason, detail=f"traits.{name[:64]}: {REFUSED_DETAIL[reason]}")
        for name, reason in refused.items()
    ]


def trait_policy(rt: Runtime) -> TraitPolicy:
    """The batch's way of keeping identify traits, from the service settings."""
    key = rt.settings.pseudonymisation_key
    return TraitPolicy(None if key is None else key.get_secret_value())


def _text(value: Any) -> str | None:
    return value[:256] if isinstance(value, str) else None


def ingest(
    rt: Runtime, raws: list[Any], default_type: str | None = None, *, body_bytes: int | None = None
) -> Ack:
    """Validate, store and apply ``raws``; return what happened to each of them.

    ``body_bytes``: size of the request body; when it is within the per-event limit no
    event can exceed it, so the per-event size check is skipped.
    """
    limit = rt.settings.max_event_bytes
    small = body_bytes is not None and body_bytes <= limit
    good, rejected = parse_all(raws, default_type, None if small else limit, trait_policy(rt))
    now = rt.clock()

    def write(tx: Transaction) -> tuple[int, int, list[Change]]:
        stored = duplicates = 0
        book, touched = CachedBook(tx), set()
        at = now.timestamp()
        rows = [(str(p.message.messageId), p.payload, at) for p in good]
        insert_events = getattr(tx, "insert_events", None)
        fresh = (insert_events(rows) if insert_events is not None
                 else [tx.insert_event(*row) for row in rows])
        for p, new in zip(good, fresh, strict=True):
            if not new:
                duplicates += 1
                continue
            stored += 1
            for event in p.events:
                key = apply(event, book)
                if key is not None and key[0] == CUSTOMER:
                    touched.add(key[1])
        book.flush()
        states = {c: book.get_state((CUSTOMER, c)) for c in sorted(touched)}
        # the model read inside the transaction: one swapped in meanwhile re-assigns
        # its customers after this commit, never before it (no stale segment)
        changes = assign(tx, states, rt.model, at, rt.settings.webhook_urls)
        tx.add_counts({"received": len(raws), "stored": stored, "duplicates": duplicates,
                       "rejected": len(rejected)})
        return stored, duplicates, changes

    stored, duplicates, changes = rt.committer.run(rt.store, write)
    rt.hub.publish(changes)
    if changes and rt.settings.webhook_urls:
        rt.wakeup.set()
    refused = [r for p in good for r in p.refused]
    return Ack(
        success=not rejected,
        stored=stored,
        duplicates=duplicates,
        rejected=rejected,
        traits_refused=refused,
    )


def features_now(state: CustomerState, now_s: float) -> dict[str, Any]:
    """Features at the service clock, never before the customer's last order (clock skew)."""
    as_of = now_s / SECONDS_PER_DAY
    last = state.last_seen()
    return state.get(as_of if last is None else max(as_of, last))


def assign(
    tx: Transaction,
    states: dict[str, CustomerState | None],
    model: LoadedModel,
    now_s: float,
    urls: list[str],
) -> list[Change]:
    """Re-assign segments of ``states`` in ``tx``; record changes and their webhooks."""
    if model.assigner is None:
        return []
    ids, rows, excluded = [], [], []
    for cid, state in states.items():
        state = state or CustomerState()
        if not profiling_allowed(state):  # GDPR Art. 21/22, the batch's rule
            excluded.append(cid)
            continue
        ids.append(cid)
        rows.append(features_now(state, now_s))
    labels: list[int | None] = [*model.assigner.predict_many(rows), *([None] * len(excluded))]
    changes = []
    for cid, label in zip([*ids, *excluded], labels, strict=True):
        change = tx.put_segment(cid, label, at=now_s, model_version=model.version)
        if change is not None:
            changes.append(change)
            _outbox(tx, change, model, urls, now_s, states[cid])
    return changes


def _outbox(
    tx: Transaction,
    change: Change,
    model: LoadedModel,
    urls: list[str],
    now_s: float,
    state: CustomerState | None,
) -> None:
    """Queue the change's entry/exit webhooks, none for ``consent_marketing`` false."""
    if not urls or not marketing_allowed(state):
        return
    names = model.names()
    moves = [("exit", change.from_segment), ("entry", change.to_segment)]
    for kind, segment in moves:
        if segment is None:
            continue
        body = json.dumps(
            {
                "type": f"segment.{kind}",
                "change_id": change.id,
                "customer_id": change.customer_id,
                "segment_id": segment,
                "segment_name": names.get(segment),
                "from_segment": change.from_segment,
                "to_segment": change.to_segment,
                "at": change.at,
                "model_version": change.model_version,
            },
            separators=(",", ":"),
        )
        for url in urls:
            tx.add_delivery(url, change.customer_id, kind, segment, body, now_s)


def reassign_all(rt: Runtime, *, page: int = 500) -> tuple[int, int]:
    """Re-assign every customer with the current model, a page per transaction.

    Each page is read and written inside one transaction, so an event applied meanwhile
    is never overwritten by a segment computed from an older state. Returns (customers,
    changes).
    """
    total = changed = 0
    after: str | None = None
    while True:
        ids = [cid for cid, _ in rt.store.customers(after=after, limit=page)]
        if not ids:
            return total, changed
        with rt.store.transaction() as tx:
            states = {cid: tx.get_state((CUSTOMER, cid)) for cid in ids}
            changes = assign(tx, states, rt.model, rt.clock().timestamp(), rt.settings.webhook_urls)
        rt.hub.publish(changes)
        total, changed, after = total + len(ids), changed + len(changes), ids[-1]


__all__ = ["CachedBook", "reassign_all", "assign", "features_now", "ingest", "parse_all"]
