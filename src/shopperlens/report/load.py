"""Rebuild a :class:`~shopperlens.batch.result.RunResult` from a finished run's output folder.

``shopperlens report OUT`` uses this to re-render ``report.html`` without re-running the
pipeline: every number the report shows is in the run's files (features, segments,
profiles, optional predictions, the saved model and ``run.json``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.batch.result import RunResult
from shopperlens.errors import InputError
from shopperlens.ingest import TableQuality

_OLD_PROFILE_INDEX = "segment"  # segment_profiles before segment_id (one release)


def result_from_outputs(out_dir: str | Path) -> RunResult:
    """The result of an earlier run, read back from its output folder.

    Parameters
    ----------
    out_dir : str or Path
        Folder written by ``shopperlens run`` (holds ``run.json``, ``features.parquet``,
        ``segments.parquet``, ``segment_profiles.parquet``, ``segment_model.joblib`` and,
        when predictions were made, ``predictions.parquet``).

    Returns
    -------
    RunResult
        With ``quality`` rebuilt from ``run.json``'s ``data_quality``.

    Raises
    ------
    InputError
        When a required file is missing.
    """

    out = Path(out_dir)
    record = _read_record(out)
    features = _read_frame(out, s.FEATURES_FILE).set_index(s.CUSTOMER_ID)
    segments = _read_frame(out, s.SEGMENTS_FILE)
    profiles = _read_frame(out, s.PROFILES_FILE)
    if s.SEGMENT_ID in profiles.columns:
        profiles = profiles.set_index(s.SEGMENT_ID).drop(
            columns=[_OLD_PROFILE_INDEX, "name"], errors="ignore")
    elif _OLD_PROFILE_INDEX in profiles.columns:
        profiles = profiles.set_index(_OLD_PROFILE_INDEX).rename(
            columns={"name": s.SEGMENT_NAME}).rename_axis(s.SEGMENT_ID)
    predictions = _read_frame(out, s.PREDICTIONS_FILE) if _exists(out, s.PREDICTIONS_FILE) else None
    model = SavedSegmentModel.load(out / s.MODEL_FILE)
    return RunResult(
        out_dir=out,
        as_of=_as_of(record, model),
        features=features,
        segments=segments,
        profiles=profiles,
        predictions=predictions,
        quality=quality_from_record(record),
        model=model,
        record=record,
        audit=read_audit(out),
        recommendations=_read_frame(out, s.RECOMMENDATIONS_FILE)
        if _exists(out, s.RECOMMENDATIONS_FILE) else None,
        offers=_read_frame(out, s.OFFERS_FILE) if _exists(out, s.OFFERS_FILE) else None,
        demand={stem: _read_frame(out, stem) for stem in DEMAND_FILES if _exists(out, stem)},
    )


DEMAND_FILES = (s.FORECASTS_FILE, s.ELASTICITIES_FILE, s.PRICE_SUGGESTIONS_FILE)


def audit_stamp(out: Path) -> dict[str, str]:
    """What ties a fairness audit to the run it audited: the saved model's hash."""
    digest = hashlib.sha256((out / s.MODEL_FILE).read_bytes()).hexdigest()[:16]
    return {"model_sha256": digest}


def read_audit(out: Path) -> dict[str, Any] | None:
    """The fairness audit of the run in ``out`` (``None`` if none was made since it ran)."""
    path = out / s.AUDIT_FILE
    if not path.is_file():
        return None
    audit: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    fresh = audit.get("run") == audit_stamp(out)
    return audit if fresh else None


def quality_from_record(record: dict[str, Any]) -> dict[str, TableQuality]:
    """The per-table :class:`TableQuality` objects saved in ``run.json``.

    Keys a later version may add are ignored rather than refused, so older code can still
    render newer runs.

    Examples
    --------
    >>> q = quality_from_record({"data_quality": {"transactions": {
    ...     "table": "transactions", "file": "t.csv", "rows_read": 3, "rows_kept": 2,
    ...     "rows_rejected": 1, "rejected_by_reason": {"amount": 1}, "new_key": 0}}})
    >>> q["transactions"].rows_rejected, q["transactions"].rejected_by_reason
    (1, {'amount': 1})
    """
    known = {f.name for f in fields(TableQuality)}
    return {
        table: TableQuality(**{k: v for k, v in values.items() if k in known})
        for table, values in record.get("data_quality", {}).items()
    }


def _read_record(out: Path) -> dict[str, Any]:
    path = out / s.RUN_FILE
    if not path.is_file():
        raise InputError(f"{out}: no {s.RUN_FILE} here; is this the output folder of a run?")
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return record


def _exists(out: Path, name: str) -> bool:
    return _path(out, name).is_file()


def _path(out: Path, name: str) -> Path:
    path = out / name
    return path if path.suffix == ".parquet" else path.with_suffix(".parquet")


def _read_frame(out: Path, name: str) -> pd.DataFrame:
    path = _path(out, name)
    if not path.is_file():
        raise InputError(f"{out}: {path.name} is missing; re-run `shopperlens run` to write it.")
    return pd.read_parquet(path)


def _as_of(record: dict[str, Any], model: SavedSegmentModel) -> datetime:
    stamp = record.get("parameters", {}).get("as_of") or model.as_of
    return datetime.fromisoformat(str(stamp))
