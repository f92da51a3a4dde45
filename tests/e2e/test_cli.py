"""One end-to-end test per user-facing command, with exact error lines."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from shopperlens.cli import app

pytestmark = pytest.mark.e2e
runner = CliRunner()
PROGRESS = re.compile(r"\d\d:\d\d:\d\d \w+ (started|done in)")


def invoke(*args: str):  # noqa: ANN201 - click's Result
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_demo_writes_every_table(tmp_path: Path) -> None:
    result = invoke("demo", tmp_path / "d", "--customers", "50", "--seed", "3")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert {
        "transactions.csv",
        "events.csv",
        "interactions.csv",
        "customers.csv",
        "identities.csv",
    } <= set(names)


def test_demo_beyond_one_chunk_writes_one_file_per_table(tmp_path: Path) -> None:
    args = ("--customers", "90", "--chunk", "40", "--format", "parquet")
    result = invoke("demo", tmp_path / "d", *args)
    assert result.exit_code == 0, result.output
    customers = pd.read_parquet(tmp_path / "d" / "customers.parquet")
    assert len(customers) == 90 and customers["customer_id"].is_unique
    assert len(list((tmp_path / "d").iterdir())) == 8  # seven tables and personas.csv
    too_small = invoke("demo", tmp_path / "e", *args[:2], "--chunk", "6")
    assert too_small.exit_code == 2


def test_run_writes_the_contract_outputs(demo_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", demo_folder, "--out", out, "--seed", "0", "--horizon", "30")
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(out / "predictions.csv")
    assert {
        "p_alive",
        "expected_orders_30d",
        "expected_clv_365d",
        "churn_risk",
        "next_order_date",
    } <= set(predictions.columns)
    assert (out / "report.html").stat().st_size > 100_000
    for name in (
        "segments.csv",
        "segments.parquet",
        "segment_profiles.csv",
        "features.parquet",
        "run.json",
        "segment_model.joblib",
    ):
        assert (out / name).is_file(), name
    segments = pd.read_csv(out / "segments.csv")
    assert {"customer_id", "segment_id", "segment_name", "rfm_segment", "segment_reason"} <= set(
        segments.columns
    )
    record = json.loads((out / "run.json").read_text())
    assert record["seed"] == 0 and record["inputs"]["transactions"]["sha256"]
    assert set(record["timings_s"]) >= {"ingest", "features", "segmentation", "outputs"}
    assert "Data quality" in result.output and "Segments as of" in result.output
    profiles = pd.read_csv(out / "segment_profiles.csv")
    assert profiles["name"].iloc[0] in result.output


def test_same_input_and_seed_give_the_same_outputs(demo_folder: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert invoke("run", demo_folder, "--out", tmp_path / name, "--no-report").exit_code == 0
    for name in ("segments.csv", "segment_profiles.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "a" / "features.parquet"),
        pd.read_parquet(tmp_path / "b" / "features.parquet"),
    )


def test_missing_required_column_exits_2_with_one_line(demo_folder: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    frame = pd.read_csv(demo_folder / "transactions.csv", dtype=str).rename(
        columns={"customer_id": "CustomerID"}
    )
    frame.head(20).to_csv(data / "transactions.csv", index=False)
    result = invoke("run", data, "--out", tmp_path / "out")
    assert result.exit_code == 2
    # piped, the progress says which step started (stamped lines); the error is one line
    lines = [x for x in result.stderr.strip().splitlines() if not PROGRESS.match(x)]
    assert len(lines) == 1
    assert lines[0].startswith(
        f"Error: {data / 'transactions.csv'}: transactions is missing required column 'customer_id'"
    )
    assert lines[0].endswith("Map it with --map transactions.customer_id=YOUR_COLUMN.")
    # and the mapping the message suggests works
    mapped = invoke("validate", data, "--map", "transactions.customer_id=CustomerID")
    assert mapped.exit_code == 0, mapped.output


def test_missing_folder_and_bad_options_exit_2(tmp_path: Path) -> None:
    result = invoke("run", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {tmp_path / 'nowhere'}: no such data folder."
    bad_map = invoke("validate", tmp_path, "--map", "transactions.customer_id")
    assert bad_map.exit_code == 2
    assert "is not of the form TABLE.COLUMN=SOURCE_COLUMN" in bad_map.stderr


CORRUPTIONS = {
    "transactions": ("amount", "12,50 EUR"),
    "events": ("timestamp", "yesterday"),
    "interactions": ("customer_id", ""),
    "customers": ("birth_year", "nineteen-eighty"),
    "identities": ("id_type", ""),
}


def test_corrupted_rows_are_quarantined_and_good_rows_kept(
    demo_folder: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_folder, data)
    rng = np.random.default_rng(0)
    bad_rows: dict[str, set[int]] = {}
    for table, (column, value) in CORRUPTIONS.items():
        frame = pd.read_csv(data / f"{table}.csv", dtype=str, keep_default_na=False)
        rows = rng.choice(len(frame), size=max(1, len(frame) // 20), replace=False)
        frame.loc[rows, column] = value
        frame.to_csv(data / f"{table}.csv", index=False)
        bad_rows[table] = {int(r) + 1 for r in rows}
    out = tmp_path / "out"
    result = invoke("run", data, "--out", out, "--no-report")
    assert result.exit_code == 0, result.output
    quality = json.loads((out / "run.json").read_text())["data_quality"]
    for table, rows in bad_rows.items():
        rejected = pd.read_csv(out / "rejected" / f"{table}.csv")
        # the demo repeats some order lines exactly: those are quarantined as duplicates
        repeat = rejected["reason"].str.startswith("duplicate of row ")
        assert set(rejected.loc[~repeat, "row"]) == rows, table
        assert repeat.sum() == (0 if table == "events" else quality[table]["duplicates"])
        assert rejected["reason"].str.len().gt(0).all()
        total = len(pd.read_csv(data / f"{table}.csv", dtype=str))
        kept = quality[table]["rows_kept"] + quality[table]["duplicates"]
        assert kept == total - len(rows), table


def test_assign_reuses_the_saved_model(demo_folder: Path, tmp_path: Path) -> None:
    assert invoke("run", demo_folder, "--out", tmp_path / "fit", "--no-report").exit_code == 0
    result = invoke("assign", tmp_path / "fit", demo_folder, "--out", tmp_path / "assigned")
    assert result.exit_code == 0, result.output
    fitted = pd.read_csv(tmp_path / "fit" / "segments.csv")
    assigned = pd.read_csv(tmp_path / "assigned" / "segments.csv")
    pd.testing.assert_frame_equal(fitted, assigned)


def test_assign_without_a_model_exits_2(demo_folder: Path, tmp_path: Path) -> None:
    result = invoke("assign", tmp_path, demo_folder)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: {tmp_path / 'segment_model.joblib'}: no saved segment model here "
        "(run `shopperlens run` first)."
    )


def test_validate_reports_quality(demo_folder: Path) -> None:
    result = invoke("validate", demo_folder)
    assert result.exit_code == 0
    assert "transactions" in result.output and "Data quality" in result.output


def test_audit_reports_groups_and_writes_json(demo_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("run", demo_folder, "--out", out, "--no-report").exit_code == 0
    result = invoke("audit", demo_folder, "--out", out)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "fairness_audit.json").read_text())
    attributes = {row["attribute"] for row in report["metrics"]}
    assert {"age_band", "gender"} <= attributes
    assert {row["outcome"] for row in report["metrics"]} == {"churn_risk >= 0.5", "offer"}
    assert "Details in" in result.output
    # the demo treats every group alike: nothing is flagged
    said = " ".join(result.output.split())  # sentences wrap at 80 columns
    assert "flagged: a difference over 0.10 with a chi-square p-value below 0.01." in said
    assert re.search(r"Tested \d+ differences: churn_risk >= 0.5, offer by age_band, gender",
                     said)
    assert "Nothing flagged." in said
    assert not report["flagged"] and report["proxy_flags"] == []
    assert invoke("audit", demo_folder, "--out", out, "--fail-on-flag").exit_code == 0


def test_audit_flags_a_planted_offer_bias(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    assert invoke("demo", data, "--customers", 800, "--seed", 1, "--planted-bias").exit_code == 0
    assert invoke("run", data, "--out", out, "--no-report").exit_code == 0
    result = invoke("audit", data, "--out", out, "--fail-on-flag")
    assert result.exit_code == 3
    report = json.loads((out / "fairness_audit.json").read_text())
    assert len(report["flags"]) == 1 and report["flags"][0].startswith(
        "offer: demographic-parity difference by age_band is "
    )
    rates = {
        r["group"]: r["rate"]
        for r in report["rates"]
        if (r["attribute"], r["outcome"]) == ("age_band", "offer")
    }
    assert rates["65+"] < 0.5 * rates["35-44"]  # a fraction of everyone else's offers


def _as_text(path: Path) -> str:
    """What a file holds, readable: Parquet and joblib are decoded, not searched as bytes."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv()
    if path.suffix == ".joblib":
        return repr(vars(joblib.load(path)))
    return path.read_bytes().decode("utf-8", errors="replace")


def test_no_plain_email_or_phone_in_outputs_or_logs(demo_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", demo_folder, "--out", out)
    assert result.exit_code == 0, result.output
    people = pd.read_csv(demo_folder / "customers.csv", dtype=str)
    emails = {e.strip().lower() for e in people["email"].dropna()}
    phones = {re.sub(r"\D", "", p)[-10:] for p in people["phone"].dropna()}  # national digits
    texts = {"CLI output": result.output} | {
        str(p.relative_to(out)): _as_text(p) for p in out.rglob("*") if p.is_file()
    }
    assert len(texts) > 8
    raw = (demo_folder / "customers.csv").read_text()
    assert emails <= _emails_in(raw) and phones <= _phones_in(raw)  # the search works
    for where, text in texts.items():
        assert not emails & _emails_in(text), where
        assert not phones & _phones_in(text), where


def _emails_in(text: str) -> set[str]:
    return {m.lower() for m in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)}


def _phones_in(text: str) -> set[str]:
    """The last ten digits of every run of 10-13 digits, spacing removed
    ("+44 7700 900-123" -> "7700900123")."""
    runs = re.findall(r"(?<![\d.])\d{10,13}(?!\d)", re.sub(r"[ ()+-]", "", text))
    return {r[-10:] for r in runs}


def test_validate_recommends_parquet_for_a_large_csv(
    demo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functools import partial

    from shopperlens import cli
    from shopperlens.cli import hints

    monkeypatch.setattr(cli, "large_csv_hint", partial(hints.large_csv_hint, threshold=1000))
    result = invoke("validate", demo_folder)
    assert result.exit_code == 0, result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith("Hint: events.csv is ") and "Parquet reads" in first
