"""identify traits are kept as the batch keeps customers columns, or refused per field
with a reason in the answer (issue #34)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from service_support import TestClient

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest import load_folder
from shopperlens.service.store import MemoryStore

Make = Callable[..., TestClient]
PSEUDO_KEY = "a-batch-key-of-32-bytes-0123456789"
EMAIL, PHONE = "Ann.Lee@Example.com", "07700 900123"


def identify(msg_id: str, **traits: Any) -> dict[str, Any]:
    return {"type": "identify", "messageId": msg_id, "userId": "U1",
            "timestamp": "2025-11-30T10:00:00Z", "traits": traits}


def stored(store: MemoryStore, msg_id: str) -> dict[str, Any]:
    (payload,) = store._read("SELECT payload FROM events WHERE message_id = ?", (msg_id,))[0]
    return json.loads(payload)


def test_without_a_key_identifiers_are_refused_with_reasons(make_client: Make) -> None:
    store = MemoryStore()
    client = make_client(store)
    ack = client.post("/v1/identify", json=identify(
        "i1", region="Wales", email=EMAIL, phone=PHONE, name="Ann Lee", gender="f",
        consent_marketing="no")).json()
    assert ack["stored"] == 1 and ack["rejected"] == []
    reasons = {r["field"]: r["reason"] for r in ack["traits_refused"]}
    assert reasons == {"email": "pseudonymisation_key_missing",
                       "phone": "pseudonymisation_key_missing",
                       "name": "not_a_trait", "gender": "sensitive"}
    assert all(r["messageId"] == "i1" and r["detail"].startswith(f"traits.{r['field']}: ")
               for r in ack["traits_refused"])
    profile = client.get("/v1/profiles/U1").json()
    assert profile["traits"] == {"region": "Wales", "consent_marketing": False}
    text = json.dumps(stored(store, "i1"))
    assert EMAIL.lower() not in text.lower() and "Ann Lee" not in text and "900123" not in text


def test_with_the_batch_key_identifiers_are_the_batch_pseudonyms(
    make_client: Make, tmp_path: Path
) -> None:
    pd.DataFrame({"customer_id": ["U1"], "email": [EMAIL], "phone": [PHONE]}).to_csv(
        tmp_path / "customers.csv", index=False)
    pd.DataFrame({"customer_id": ["U1"], "order_id": ["O1"], "timestamp": ["2025-01-02"],
                  "amount": [5.0]}).to_csv(tmp_path / "transactions.csv", index=False)
    with DuckDBEngine(threads=1) as engine:
        load_folder(engine, tmp_path, pseudonymisation_key=PSEUDO_KEY)
        batch = engine.fetch_df("SELECT email, phone FROM customers").iloc[0].to_dict()
    assert batch["email"].startswith("pii_") and batch["phone"].startswith("pii_")

    store = MemoryStore()
    client = make_client(store, pseudonymisation_key=PSEUDO_KEY)
    ack = client.post("/v1/identify", json=identify("i1", email=EMAIL, phone=PHONE)).json()
    assert ack["traits_refused"] == []
    traits = client.get("/v1/profiles/U1").json()["traits"]
    assert traits == {"email": batch["email"], "phone": batch["phone"]}
    assert stored(store, "i1")["traits"] == traits  # no plain identifier stored either


def test_an_unreadable_consent_answer_rejects_the_message(make_client: Make) -> None:
    client = make_client()
    ack = client.post("/v1/batch", json={"batch": [
        identify("i1", consent_profiling="maybe"), identify("i2", consent_profiling="no")]}).json()
    assert [r["reason"] for r in ack["rejected"]] == ["invalid_field:traits.consent_profiling"]
    assert ack["stored"] == 1
    profile = client.get("/v1/profiles/U1").json()
    assert profile["traits"] == {"consent_profiling": False} and profile["segment_id"] is None
