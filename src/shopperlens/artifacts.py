"""Saved artifacts of a run: the versioned segment model, input fingerprints, run.json."""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from shopperlens._version import __version__
from shopperlens.errors import ModelError

ARTIFACT_VERSION = 1
PACKAGES = ("duckdb", "pandas", "pyarrow", "numpy", "scikit-learn", "scipy", "lightgbm")


@dataclass
class SavedSegmentModel:
    """The fitted segment model as ``assign``, the service and retraining use it.

    Holds the fitted :class:`~shopperlens.segmentation.SegmentModel` (scaling, parameters,
    names, rules), the RFM grid, the feature list and when it was fitted.
    """

    segment_model: Any
    rfm: Any
    feature_names: list[str]
    as_of: str
    artifact_version: int = ARTIFACT_VERSION
    shopperlens_version: str = __version__

    def matrix(self, features: pd.DataFrame) -> pd.DataFrame:
        """The model's feature columns of ``features``, in the fitted order."""
        missing = [c for c in self.feature_names if c not in features.columns]
        if missing:
            raise ModelError(
                f"the data lacks features the segment model was fitted on: {', '.join(missing)} "
                "(provide the same source tables as for the fitted run)."
            )
        return features[self.feature_names]

    def save(self, path: str | Path) -> None:
        joblib.dump(self, path, compress=3)

    @classmethod
    def load(cls, path: str | Path) -> SavedSegmentModel:
        """Load a saved model, checking that it is one and that this version can use it."""
        path = Path(path)
        if path.is_dir():
            from shopperlens.schema import MODEL_FILE

            path = path / MODEL_FILE
        if not path.is_file():
            raise ModelError(f"{path}: no saved segment model here (run `shopperlens run` first).")
        try:
            model = joblib.load(path)
        except Exception as exc:  # joblib raises many unrelated types on a corrupt file
            raise ModelError(f"{path}: not a readable ShopperLens model ({exc}).") from exc
        if not isinstance(model, cls) or model.artifact_version != ARTIFACT_VERSION:
            raise ModelError(f"{path}: not a segment model of this ShopperLens version.")
        return model


def fingerprint(path: Path) -> dict[str, Any]:
    """SHA-256 and size of an input file, so a run can be tied to its exact inputs."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def versions() -> dict[str, str]:
    """Versions of Python, ShopperLens and the libraries that shape results."""
    found = {"python": platform.python_version(), "shopperlens": __version__}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def write_json(path: Path, record: dict[str, Any]) -> None:
    path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
