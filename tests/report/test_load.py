from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopperlens import schema as s
from shopperlens.batch.result import RunResult
from shopperlens.errors import InputError
from shopperlens.ingest import quality_as_dict
from shopperlens.report import render_report, result_from_outputs


def save(result: RunResult, out: Path) -> None:
    """The files a run leaves behind (as the run's outputs step writes them)."""
    out.mkdir(parents=True, exist_ok=True)
    result.features.reset_index().to_parquet(out / s.FEATURES_FILE, index=False)
    result.segments.to_parquet(out / f"{s.SEGMENTS_FILE}.parquet", index=False)
    result.profiles.reset_index().to_parquet(out / f"{s.PROFILES_FILE}.parquet", index=False)
    if result.predictions is not None:
        result.predictions.to_parquet(out / f"{s.PREDICTIONS_FILE}.parquet", index=False)
    result.model.save(out / s.MODEL_FILE)
    record = {**result.record, "data_quality": quality_as_dict(result.quality)}
    (out / s.RUN_FILE).write_text(json.dumps(record, default=str), encoding="utf-8")


def test_round_trip(full_result: RunResult, tmp_path: Path) -> None:
    save(full_result, tmp_path)
    loaded = result_from_outputs(tmp_path)
    assert loaded.out_dir == tmp_path
    assert loaded.as_of == full_result.as_of
    assert loaded.features.index.name == s.CUSTOMER_ID
    assert loaded.features.shape == full_result.features.shape
    assert loaded.profiles.index.tolist() == full_result.profiles.index.tolist()
    assert loaded.predictions is not None
    assert len(loaded.predictions) == len(full_result.predictions)
    assert loaded.quality == full_result.quality
    assert loaded.model.segment_model.names_ == full_result.model.segment_model.names_
    html = render_report(loaded)
    assert html.count('class="card"') == full_result.model.segment_model.n_segments_
    assert 'id="predictions"' in html


def test_without_predictions(result: RunResult, tmp_path: Path) -> None:
    save(result, tmp_path)
    assert result_from_outputs(tmp_path).predictions is None


def test_missing_files_are_named(result: RunResult, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no run.json here"):
        result_from_outputs(tmp_path)
    save(result, tmp_path)
    (tmp_path / "segments.parquet").unlink()
    with pytest.raises(InputError, match="segments.parquet is missing"):
        result_from_outputs(tmp_path)


def test_a_fresh_audit_is_loaded_and_a_stale_one_ignored(result: RunResult, tmp_path: Path) -> None:
    from shopperlens.report.load import audit_stamp

    save(result, tmp_path)
    assert result_from_outputs(tmp_path).audit is None
    audit = {"threshold": 0.1, "alpha": 0.01, "flags": [], "metrics": [], "composition": []}
    path = tmp_path / s.AUDIT_FILE
    path.write_text(json.dumps({**audit, "run": audit_stamp(tmp_path)}), encoding="utf-8")
    loaded = result_from_outputs(tmp_path)
    assert loaded.audit is not None and loaded.audit["threshold"] == 0.1
    assert "Nothing flagged" in render_report(loaded)
    path.write_text(json.dumps({**audit, "run": {"model_sha256": "another run"}}))
    assert result_from_outputs(tmp_path).audit is None
