"""A finished run read back as the predecessor of a new one (``--previous``), and the
model registry: each segment model a chain of runs used, as ``models/v<N>/``.

The registry holds, per version, the saved model (``segment_model.joblib``) and
``metrics.json`` (its version, the run that fitted it, the run that last used it, the
decision and its reasons, and its report card once a later run has scored it). By
default it lives in the run's output folder (``OUT/models``); ``Settings.model_registry``
names a folder shared by every run instead.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel, write_json
from shopperlens.errors import InputError, ModelError
from shopperlens.timewindow import parse_cutoff

REGISTRY_DIR = "models"
METRICS_FILE = "metrics.json"


@dataclass
class PreviousRun:
    """What a new run needs from its predecessor's output folder."""

    folder: Path
    model: SavedSegmentModel
    record: dict[str, Any]
    features: pd.DataFrame  # indexed by customer id
    segments: pd.Series  # segment id by customer id, every customer (-1: no purchase)
    predictions: pd.DataFrame | None

    @property
    def as_of(self) -> pd.Timestamp:
        """Its cutoff: the end of its window (a kept model's own ``as_of`` is older)."""
        as_of = self.record.get("parameters", {}).get("as_of") or self.model.as_of
        return pd.Timestamp(parse_cutoff(str(as_of)))

    @property
    def version(self) -> int:
        """The registry version of the model it used (1 for a run before the registry)."""
        return int(self.record.get("learning", {}).get("model_version", 1))


def check_previous(folder: str | Path) -> Path:
    """``folder`` when it holds a finished run, else an :class:`InputError` naming what
    is missing (checked before a run starts)."""
    folder = Path(folder)
    needed = [s.RUN_FILE, s.MODEL_FILE, s.FEATURES_FILE, f"{s.SEGMENTS_FILE}.parquet"]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise InputError(f"--previous {folder}: not the output folder of a finished run "
                         f"(missing {', '.join(missing)}); give the --out of an earlier run.")
    return folder


def read_previous(folder: str | Path) -> PreviousRun:
    """Read a finished run's folder (:func:`check_previous` first)."""
    folder = check_previous(folder)
    try:
        model = SavedSegmentModel.load(folder)
    except ModelError as exc:
        raise InputError(f"--previous {folder}: {exc}") from exc
    record = json.loads((folder / s.RUN_FILE).read_text(encoding="utf-8"))
    features = pd.read_parquet(folder / s.FEATURES_FILE).set_index(s.CUSTOMER_ID)
    segments = pd.read_parquet(folder / f"{s.SEGMENTS_FILE}.parquet",
                               columns=[s.CUSTOMER_ID, s.SEGMENT_ID])
    path = folder / f"{s.PREDICTIONS_FILE}.parquet"
    predictions = pd.read_parquet(path).set_index(s.CUSTOMER_ID) if path.is_file() else None
    return PreviousRun(folder, model, record, features,
                       segments.set_index(s.CUSTOMER_ID)[s.SEGMENT_ID], predictions)


def registry_folder(out: Path, chosen: str | None) -> Path:
    return Path(chosen) if chosen else out / REGISTRY_DIR


def register(folder: Path, version: int, model_file: Path, metrics: dict[str, Any]) -> Path:
    """Keep ``model_file`` as version ``version`` (the first time it is seen: the run
    that fitted it) and update its metrics."""
    target = folder / f"v{version}"
    target.mkdir(parents=True, exist_ok=True)
    metrics_path = target / METRICS_FILE
    known = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    if not (target / s.MODEL_FILE).is_file():
        shutil.copyfile(model_file, target / s.MODEL_FILE)
        known["fitted_by"] = str(model_file.parent)
    write_json(metrics_path, {**known, **metrics, "version": version})
    return target
