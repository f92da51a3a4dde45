"""Erasure reaches every file of an output folder; nothing of the person is left."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from shopperlens.privacy import (
    ErasableStore,
    apply_retention,
    export_subject,
    find_identifiers,
    forget,
    pseudonymise,
)

KEY = b"erasure-test-key-0123456789abcdef"
ID, EMAIL, PHONE = "C000123", "Ann.Lee@Example.com", "07700 900123"
# every written form of the person that must be gone afterwards
NEEDLES = (ID, EMAIL, EMAIL.lower(), PHONE, "+447700900123", "7700900123", "07700-900-123")
OTHERS = ("C000124", "C000125")


def _frame(ids: list[str], **columns: list) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ids, **columns})


def _write(frame: pd.DataFrame, stem: Path, compression: str | None = "snappy") -> None:
    frame.to_csv(stem.with_suffix(".csv"), index=False)
    frame.to_parquet(stem.with_suffix(".parquet"), index=False, compression=compression)


def make_output_folder(out: Path) -> Path:
    ids = [ID, *OTHERS]
    _write(_frame(ids, segment_id=[0, 1, 0], segment_name=["Loyal", "New", "Loyal"],
                  rfm_segment=["Champions"] * 3, segment_reason=["high frequency"] * 3),
           out / "segments")
    _write(_frame(ids, p_alive=[0.9, 0.5, 0.7], churn_risk=[0.1, 0.5, 0.3]), out / "predictions",
           compression=None)
    pd.DataFrame({"segment_id": [0, 1], "segment_name": ["Loyal", "New"], "size": [2, 1]}).pipe(
        _write, out / "segment_profiles")
    features = _frame(ids, frequency=[12, 3, 5], monetary=[120.5, 30.0, 77.7])
    features.to_parquet(out / "features.parquet", index=False, compression="zstd")
    (out / "rejected").mkdir()
    pd.DataFrame({
        "row": [4, 9], "customer_id": [ID, "C000124"], "email": [EMAIL, "bob@example.com"],
        "phone": ["+44 7700 900123", "07700 900999"], "raw_line": [None, None],
        "reason": [f"duplicate customer_id: '{ID}' (its first row is kept)", "bad integer"],
    }).to_csv(out / "rejected" / "customers.csv", index=False)
    pd.DataFrame({
        "row": [2, 3, 5], "customer_id": ["C000125", "", "C000124"],
        "text": [f"please ring {PHONE.replace(' ', '-')} about it", "", "fine"],
        "raw_line": ["", f"{EMAIL.upper()},\"broken", ""],
        "reason": ["bad number in rating", "malformed line", "missing timestamp"],
    }).to_csv(out / "rejected" / "interactions.csv", index=False)
    (out / "audiences").mkdir()
    pd.DataFrame({"customer_id": ids, "email": [EMAIL, "b@x.com", "c@x.com"],
                  "phone": ["+447700900123", None, None]}).to_csv(out / "audiences" / "vip.csv",
                                                                    index=False)
    model = {"centers": np.zeros((2, 3)), "feature_names": ["frequency", "monetary"],
             "names": np.array(["Loyal", "New"])}
    joblib.dump(model, out / "segment_model.joblib", compress=3)
    run = {"shopperlens_run": 1, "row_counts": {"customers_total": 3},
           "examples": [ID, "C000124"], "by_customer": {ID: {"orders": 12}, "C000124": {}},
           "notes": f"late refund for {ID}; contact {EMAIL}"}
    (out / "run.json").write_text(json.dumps(run, indent=2))
    (out / "report.html").write_text(f"<table><tr><td>{ID}</td><td>{EMAIL}</td></tr></table>")
    return out


def search_everything(out: Path, needles: tuple[str, ...]) -> list[str]:
    """Byte-search every file, and every Parquet cell after decompression."""
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        texts = [data]
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            cells = [str(v) for col in table.columns for v in col.to_pylist()]
            texts.append("\n".join(cells).lower().encode())
        if path.suffix == ".joblib":
            texts.append(repr(joblib.load(path)).lower().encode())
        for needle in needles:
            if any(needle.lower().encode() in t for t in texts):
                found.append(f"{path.relative_to(out)}: {needle}")
    return found


class FakeStore:
    def __init__(self) -> None:
        self.erased: list[str] = []

    def erase_customer(self, customer_id: str) -> int:
        self.erased.append(customer_id)
        return 7


def test_forget_leaves_nothing_of_the_person_anywhere(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path)
    assert len(search_everything(out, NEEDLES)) > 10  # the fixture really spreads them
    store = FakeStore()
    assert isinstance(store, ErasableStore)
    receipt = forget(ID, out, key=KEY, extra_identifiers=[EMAIL, PHONE], stores=[store],
                     requested_at="2024-07-01T09:00:00Z")
    assert search_everything(out, NEEDLES) == []
    assert find_identifiers(out, NEEDLES) == {}
    # the others are still there
    assert pd.read_parquet(out / "segments.parquet").customer_id.tolist() == list(OTHERS)
    assert pd.read_csv(out / "predictions.csv").customer_id.tolist() == list(OTHERS)
    assert pd.read_parquet(out / "features.parquet").customer_id.tolist() == list(OTHERS)
    assert pd.read_csv(out / "rejected" / "interactions.csv").row.tolist() == [5]
    run = json.loads((out / "run.json").read_text())
    assert run["examples"] == ["C000124"] and list(run["by_customer"]) == ["C000124"]
    assert run["privacy"] == {"erasures": 1, "last_erasure_receipt": "000001"}
    removed = {f.path: f.rows_removed for f in receipt.files}
    assert removed == {
        "audiences/vip.csv": 1, "features.parquet": 1, "predictions.csv": 1,
        "predictions.parquet": 1, "rejected/customers.csv": 1, "rejected/interactions.csv": 2,
        "run.json": 0, "report.html": 0, "segments.csv": 1, "segments.parquet": 1,
    }
    assert receipt.aggregates == ["segment_profiles.csv", "segment_profiles.parquet"]
    assert receipt.retrain_required == [] and receipt.needs_review == []
    assert store.erased == [ID] and receipt.rows_removed == 9 + 7
    assert receipt.subject == pseudonymise([ID], key=KEY, kind="id")[0]


def test_receipt_holds_no_personal_data(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path)
    forget(ID, out, key=KEY, extra_identifiers=[EMAIL, PHONE])
    forget("C000124", out, key=KEY)
    receipts = sorted((out / "erasure_receipts").iterdir())
    assert [p.name for p in receipts] == ["000001.json", "000002.json"]
    text = receipts[0].read_text()
    assert all(n.lower() not in text.lower() for n in NEEDLES)
    assert json.loads(text)["subject"].startswith("pii_")


def test_a_model_holding_the_person_is_flagged_for_retraining(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path)
    joblib.dump({"training_ids": np.array([ID, "C000124"])}, out / "segment_model.joblib",
                compress=3)
    receipt = forget(ID, out, key=KEY)
    assert receipt.retrain_required == ["segment_model.joblib"]
    privacy = json.loads((out / "run.json").read_text())["privacy"]
    assert privacy["retrain_required"] is True
    assert privacy["retrain_files"] == ["segment_model.joblib"]


def test_numeric_ids_only_match_id_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"customer_id": ["12", "13"], "frequency": [3, 12],
                          "note": ["bought 12 items", "-"]})
    _write(frame, tmp_path / "segments")
    receipt = forget("12", tmp_path)
    assert receipt.rows_removed == 2  # one row per file
    assert pd.read_parquet(tmp_path / "segments.parquet").to_dict("list") == {
        "customer_id": ["13"], "frequency": [12], "note": ["-"]}


def test_export_subject_returns_every_row_of_the_person(tmp_path: Path) -> None:
    out = make_output_folder(tmp_path)
    found = export_subject(ID, out, key=KEY, extra_identifiers=[EMAIL, PHONE])
    assert sorted(found["files"]) == [
        "audiences/vip.csv", "features.parquet", "predictions.csv", "predictions.parquet",
        "rejected/customers.csv", "rejected/interactions.csv", "segments.csv", "segments.parquet",
    ]
    assert found["files"]["features.parquet"] == [
        {"customer_id": ID, "frequency": 12, "monetary": 120.5}]
    assert found["mentions"] == ["report.html", "run.json"] and found["models"] == []
    json.dumps(found)  # JSON-able


def test_forget_needs_an_output_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no output folder here"):
        forget(ID, tmp_path / "missing")


def test_retention_drops_old_events_only() -> None:
    events = pd.DataFrame({
        "message_id": ["m1", "m2", "m3"],
        "timestamp": pd.to_datetime(["2023-01-01", "2024-05-01", None]),
    })
    kept = apply_retention(events, 365, "2024-07-01")
    assert kept.message_id.tolist() == ["m2", "m3"]
    aware = events.assign(timestamp=events.timestamp.dt.tz_localize("UTC"))
    assert apply_retention(aware, 365, "2024-07-01").message_id.tolist() == ["m2", "m3"]
