"""`shopperlens forget` reaches every output of a run, its saved model and the service store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from shopperlens import schema as s
from shopperlens.cli import app
from shopperlens.privacy import find_identifiers
from shopperlens.privacy.pseudonymise import normalise_phone
from shopperlens.service import ServiceSettings, create_app
from shopperlens.service.ingest import ingest
from shopperlens.service.replay import messages_from_tables
from shopperlens.service.settings import STORE_FILE
from shopperlens.service.store import SQLiteStore

pytestmark = pytest.mark.e2e
runner = CliRunner()


def invoke(*args: object):  # noqa: ANN201 - click's Result
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _tables(data: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)
            .replace("", None) for name in ("customers", "transactions", "events", "identities")}


def _some_customers(tables: dict[str, pd.DataFrame], ids: list[str]) -> dict[str, pd.DataFrame]:
    """The tables cut down to a few customers (and their anonymous ids)."""
    idents = tables["identities"]
    anon = set(idents.loc[idents[s.CUSTOMER_ID].isin(ids), "id_value"])
    out = {}
    for name, frame in tables.items():
        keep = frame[s.CUSTOMER_ID].isin(ids)
        if "anonymous_id" in frame.columns:
            keep |= frame["anonymous_id"].isin(anon)
        out[name] = frame[keep].copy()
    for column in ("amount", "quantity", "unit_price", "discount"):
        out["transactions"][column] = pd.to_numeric(out["transactions"][column])
    for name in ("transactions", "events"):
        out[name][s.TIMESTAMP] = pd.to_datetime(out[name][s.TIMESTAMP])
    return out


def _store_text(path: Path) -> str:
    """Every table of the SQLite store as SQL text, plus the raw bytes of its files."""
    conn = sqlite3.connect(path)
    dump = "\n".join(conn.iterdump())
    conn.close()
    raw = b"".join(p.read_bytes() for p in path.parent.glob(f"{path.name}*"))
    return dump + "\n" + raw.decode("utf-8", "replace")


def test_forget_leaves_no_trace_in_outputs_models_and_the_service_store(
    demo_folder: Path, tmp_path: Path
) -> None:
    out, store_path = tmp_path / "out", tmp_path / STORE_FILE
    assert invoke("run", demo_folder, "--out", out).exit_code == 0
    segments = pd.read_csv(out / "segments.csv", dtype=str)
    tables = _tables(demo_folder)
    customers = tables["customers"].set_index(s.CUSTOMER_ID)
    target, others = segments[s.CUSTOMER_ID].iloc[3], list(segments[s.CUSTOMER_ID].iloc[4:8])
    email, phone = customers.loc[target, s.EMAIL], customers.loc[target, s.PHONE]
    needles = [target, email, phone, normalise_phone(phone), normalise_phone(phone)[3:]]

    # the service learns about them: replayed history plus a CRM identify with e-mail, phone
    service = create_app(ServiceSettings(model_dir=out, store_url=f"sqlite:///{store_path}"),
                         start_worker=False)
    rt = service.state.runtime
    messages = messages_from_tables(_some_customers(tables, [target, *others]))
    messages.append({"type": "identify", "userId": target,
                     "traits": {"email": email, "phone": phone, "region": "Wales"}})
    ack = ingest(rt, messages)
    assert ack.stored + ack.duplicates == len(messages) and not ack.rejected
    assert rt.store.get_profile(target) is not None
    rt.store.close()
    assert target in _store_text(store_path)
    # identify's e-mail and phone are refused without a pseudonymisation key (#34): never
    # stored in plain form, in the profile or in the stored event
    assert {r.field for r in ack.traits_refused} == {"email", "phone"}
    assert email not in _store_text(store_path)
    assert find_identifiers(out, needles)  # the run's outputs hold them too

    result = invoke("forget", target, "--out", out, "--identifier", email,
                    "--identifier", phone, "--store", f"sqlite:///{store_path}")
    assert result.exit_code == 0, result.output

    assert find_identifiers(out, needles) == {}  # files, Parquet cells, decompressed models
    text = _store_text(store_path).lower()
    assert [n for n in needles if n.lower() in text] == []
    store = SQLiteStore(store_path)
    assert all(store.get_profile(c) is not None for c in others)
    store.close()
    receipt = json.loads((out / "erasure_receipts" / "000001.json").read_text())
    assert receipt["stores"][0]["store"] == "SQLiteStore"
    assert receipt["stores"][0]["rows_removed"] > 10


def test_forget_finds_the_default_service_store_beside_the_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "segments.csv").write_text("customer_id,segment_id\nC1,0\nC2,1\n")
    store = SQLiteStore(tmp_path / STORE_FILE)
    with store.transaction() as tx:
        tx.insert_event("m1", json.dumps({"userId": "C1", "event": "Page Viewed"}), 1.0)
        tx.insert_event("m2", json.dumps({"userId": "C2", "event": "Page Viewed"}), 1.0)
    store.close()
    result = invoke("forget", "C1", "--out", out)
    assert result.exit_code == 0, result.output
    receipt = json.loads((out / "erasure_receipts" / "000001.json").read_text())
    assert receipt["stores"] == [{"store": "SQLiteStore", "rows_removed": 1}]
    assert receipt["rows_removed"] == 2
    exported = invoke("export-subject", "C2", "--out", out)
    found = json.loads(exported.output)
    assert [e["userId"] for e in found["service_store"]["events"]] == ["C2"]
