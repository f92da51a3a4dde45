"""JSON redaction is one rule (issue #26): erasing a person from a run's ``run.json`` and
from the service store's stored events leaves the same JSON behind."""

from __future__ import annotations

import json
from pathlib import Path

from shopperlens.privacy import build_matcher
from shopperlens.privacy._files import scrub_json
from shopperlens.service.store import MemoryStore

ID = "C100"
MENTION = {
    "note": f"late refund for {ID}",
    "friends": [ID, "C10", "C1000"],
    ID: {"orders": 3},
    "buddy_id": ID,
    "nested": [{"ref": ID}, "keep me"],
}


def test_run_json_and_stored_events_are_redacted_alike(tmp_path: Path) -> None:
    run_json = tmp_path / "run.json"
    run_json.write_text(json.dumps(MENTION))
    occurrences = scrub_json(run_json, build_matcher(ID))
    from_file = json.loads(run_json.read_text())

    store = MemoryStore()
    event = {"type": "track", "messageId": "m2", "event": "Page Viewed", "userId": "C2",
             "properties": MENTION}
    with store.transaction() as tx:
        tx.insert_event("m1", json.dumps({"type": "track", "messageId": "m1", "userId": ID}), 1.0)
        tx.insert_event("m2", json.dumps(event), 2.0)
    store.erase_customer(ID)
    (payload,) = store._read("SELECT payload FROM events WHERE message_id = ?", ("m2",))[0]
    from_store = json.loads(payload)["properties"]

    assert from_store == from_file
    assert from_file == {
        "note": "late refund for [erased]",
        "friends": ["C10", "C1000"],
        "buddy_id": "[erased]",
        "nested": [{"ref": "[erased]"}, "keep me"],
    }
    assert occurrences == 5
    assert f"\"{ID}\"" not in payload and json.loads(payload)["userId"] == "C2"
