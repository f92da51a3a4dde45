"""Rights of the data subject in the SQL stores: erasure, access, retention, audit log.

:class:`SubjectRights` is mixed into :class:`~._sql.SQLStore`, so SQLite, PostgreSQL and
the in-memory store share one implementation:

- :meth:`~SubjectRights.erase_customer` deletes, in one transaction, the person's events
  (``userId`` = the id, or only an ``anonymousId`` linked to them), their profile state
  and the states of their linked anonymous ids, the identity links, the segment history
  and the webhook outbox rows about them; other customers' events that name them (a
  shared device's anonymous id, a note) are redacted by
  :func:`shopperlens.privacy.redact_json`, the rule that also erases the person from a
  run's output files. The write-through state cache is cleared. SQLite also overwrites
  the freed bytes (see ``SQLiteStore.erase_customer``); PostgreSQL keeps dead row
  versions on disk until (auto)vacuum reuses their space.
- :meth:`~SubjectRights.export_customer` returns all of that as JSON-able data.
- :meth:`~SubjectRights.drop_events_before` is the retention rule: raw events received
  before a cutoff go (profile states keep their running totals).
- :meth:`~SubjectRights.add_audit` / :meth:`~SubjectRights.audit_entries` keep and page
  the audit log: who read, exported or erased which profile, when. The subject is a
  keyed hash of the customer id, never the id.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from shopperlens.privacy import build_matcher, redact_json
from shopperlens.service.spec import payload_json
from shopperlens.service.store.base import AuditEntry

AUDIT_COLS = "id, at, actor, key_id, action, subject, status"
AUDIT_KEY_META = "audit_key"
# events are stored as JSON text: these fields name whom a message is about
USER_FIELD, ANONYMOUS_FIELDS = "userId", ("anonymousId", "previousId")
RETENTION_BATCH = 5000


def like_pattern(text: str) -> str:
    r"""A ``LIKE ... ESCAPE '\'`` pattern matching any text that contains ``text``.

    >>> like_pattern("C_1%")
    '%C\\_1\\%%'
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def owned_by(payload: str, customer_id: str, anonymous_ids: set[str]) -> bool:
    """Whether a stored message is about the person: its ``userId`` is theirs, or it has no
    ``userId`` and one of their anonymous ids (a shared device's later events that name
    another customer stay with that customer).

    >>> owned_by('{"userId": "C1"}', "C1", set()), owned_by('{"anonymousId": "a1"}', "C1", {"a1"})
    (True, True)
    >>> owned_by('{"userId": "C2", "anonymousId": "a1"}', "C1", {"a1"})
    False
    """
    try:
        message = json.loads(payload)
    except ValueError:
        return False
    if not isinstance(message, dict):
        return False
    user = message.get(USER_FIELD)
    if user not in (None, ""):
        return str(user) == customer_id
    return any(
        message.get(f) not in (None, "") and str(message.get(f)) in anonymous_ids
        for f in ANONYMOUS_FIELDS
    )


class SubjectRights:
    """Erasure, access, retention and audit log over the shared SQL schema."""

    # provided by SQLStore
    _cache: Any
    _lock: Any

    def transaction(self) -> Any:
        raise NotImplementedError

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def get_meta(self, key: str) -> str | None:
        raise NotImplementedError

    # -- erasure and access ------------------------------------------------------------
    def _anonymous_ids(self, run: Any, customer_id: str) -> list[str]:
        rows = run("SELECT anonymous_id FROM links WHERE customer_id = ?", (customer_id,))
        return sorted(str(r[0]) for r in rows.fetchall())

    def _event_rows(
        self, run: Any, customer_id: str, anonymous: Iterable[str]
    ) -> tuple[list[Any], list[Any]]:
        """(message_id, payload) of the person's events, and of other events that mention
        them: a text search narrows, the JSON decides."""
        anonymous = set(anonymous)
        needles = [customer_id, *sorted(anonymous)]
        # payloads are orjson (UTF-8) text, older ones json.dumps (ASCII-escaped): both
        encoded = {enc(n)[1:-1] for n in needles for enc in (json.dumps, payload_json)}
        patterns = [like_pattern(text) for text in sorted(encoded)]
        where = " OR ".join(["payload LIKE ? ESCAPE '\\'"] * len(patterns))
        rows = run(f"SELECT message_id, payload FROM events WHERE {where}", patterns).fetchall()
        owned = [r for r in rows if owned_by(r[1], customer_id, anonymous)]
        mentions = [r for r in rows if r not in owned]
        return owned, mentions

    def erase_customer(self, customer_id: str) -> int:
        """Delete everything held about ``customer_id`` in one transaction; return the rows.

        Implements :class:`shopperlens.privacy.ErasableStore`.
        """
        with self.transaction() as tx:
            run = tx._run
            anonymous = self._anonymous_ids(run, customer_id)
            events, mentions = self._event_rows(run, customer_id, anonymous)
            removed = 0
            for message_id, _ in events:
                removed += run("DELETE FROM events WHERE message_id = ?", (message_id,)).rowcount
            matcher = build_matcher(customer_id, ids=anonymous)  # the one JSON redaction
            for message_id, payload in mentions:  # another customer's event naming them
                cleaned, n = redact_json(json.loads(payload), matcher)
                if n:
                    text = payload_json(cleaned)
                    run("UPDATE events SET payload = ? WHERE message_id = ?", (text, message_id))
                    removed += 1
            keys = [("c", customer_id), *(("a", a) for a in anonymous)]
            for kind, key in keys:
                removed += run(
                    "DELETE FROM profiles WHERE kind = ? AND id = ?", (kind, key)
                ).rowcount
            for table in ("links", "history", "outbox"):
                removed += run(
                    f"DELETE FROM {table} WHERE customer_id = ?", (customer_id,)
                ).rowcount
            if self._cache is not None:  # cached states and segments of the person go too
                self._cache.clear()
        return int(removed)

    def export_customer(self, customer_id: str) -> dict[str, Any] | None:
        """Everything the store holds about ``customer_id`` as JSON-able data (GDPR Art. 15),
        or ``None`` when it holds nothing."""
        with self.transaction() as tx:
            run = tx._run
            anonymous = self._anonymous_ids(run, customer_id)
            events, _ = self._event_rows(run, customer_id, anonymous)
            keys = [("c", customer_id), *(("a", a) for a in anonymous)]
            states = {}
            for kind, key in keys:
                row = run(
                    "SELECT state, segment_id, updated_at FROM profiles WHERE kind = ? AND id = ?",
                    (kind, key),
                ).fetchone()
                if row is not None:
                    states[f"{kind}:{key}"] = {
                        "state": json.loads(row[0]), "segment_id": row[1], "updated_at": row[2]
                    }
            history = run(
                "SELECT id, from_segment, to_segment, at, model_version FROM history "
                "WHERE customer_id = ? ORDER BY id",
                (customer_id,),
            ).fetchall()
            outbox = run(
                "SELECT id, url, kind, segment_id, payload, status FROM outbox "
                "WHERE customer_id = ? ORDER BY id",
                (customer_id,),
            ).fetchall()
        if not (anonymous or events or states or history or outbox):
            return None
        names = ("id", "from_segment", "to_segment", "at", "model_version")
        return {
            "customer_id": customer_id,
            "profiles": states,
            "anonymous_ids": anonymous,
            "events": [json.loads(p) for _, p in sorted(events)],
            "segment_history": [dict(zip(names, r, strict=True)) for r in history],
            "webhook_deliveries": [
                {"id": r[0], "url": r[1], "kind": r[2], "segment_id": r[3],
                 "payload": json.loads(r[4]), "status": r[5]}
                for r in outbox
            ],
        }

    # -- retention ---------------------------------------------------------------------
    def drop_events_before(self, cutoff: float, *, batch: int = RETENTION_BATCH) -> int:
        """Delete stored events received before ``cutoff`` (seconds since the epoch).

        Works in batches of ``batch`` rows, one transaction each, so ingestion is never
        held up for long. Returns how many events went.
        """
        total = 0
        while True:
            with self.transaction() as tx:
                cur = tx._run(
                    "DELETE FROM events WHERE message_id IN (SELECT message_id FROM events "
                    "WHERE received_at < ? LIMIT ?)",
                    (cutoff, batch),
                )
                n = max(int(cur.rowcount), 0)
            total += n
            if n < batch:
                return total

    # -- audit log ---------------------------------------------------------------------
    def audit_key(self) -> str:
        """The store's own secret for audit subjects when no pseudonymisation key is set.

        Generated once and kept in ``meta``, so subjects stay comparable across restarts.
        """
        key = self.get_meta(AUDIT_KEY_META)
        if key is None:
            with self.transaction() as tx:
                tx._run(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                    (AUDIT_KEY_META, secrets.token_hex(32)),
                )
            key = self.get_meta(AUDIT_KEY_META)
        return str(key)

    def add_audit(
        self, *, at: float, actor: str, action: str, subject: str, status: int,
        key_id: str | None = None,
    ) -> None:
        """Append one entry to the audit log."""
        with self.transaction() as tx:
            tx._run(
                "INSERT INTO audit_log (at, actor, key_id, action, subject, status) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (at, actor, key_id, action, subject, status),
            )

    def audit_entries(
        self, *, after: int = 0, limit: int = 100, subject: str | None = None
    ) -> list[AuditEntry]:
        """Audit log entries with ``id > after``, oldest first (keyset pagination)."""
        where = "id > ?"
        params: list[object] = [after]
        if subject is not None:
            where, params = where + " AND subject = ?", [*params, subject]
        rows = self._read(
            f"SELECT {AUDIT_COLS} FROM audit_log WHERE {where} ORDER BY id LIMIT ?",
            (*params, limit),
        )
        return [AuditEntry(*r) for r in rows]
