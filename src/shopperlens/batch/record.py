"""``run.json``: what a run read, with which settings, what it found, and how long it took."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shopperlens.artifacts import fingerprint, versions
from shopperlens.batch.result import RunResult
from shopperlens.config import Settings
from shopperlens.ingest import quality_as_dict


def fingerprints(files: dict[str, Path]) -> Future:
    """The :func:`fingerprint` of each input file, hashed on a thread while the run
    reads them (hashlib lets go of the GIL): ~2 s for the 2.6 GB of 1M customers."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="shopperlens-fingerprints")
    future = pool.submit(lambda: {table: fingerprint(path) for table, path in files.items()})
    pool.shutdown(wait=False)  # its thread ends after this one task
    return future


def run_record(
    result: RunResult,
    counts: dict[str, int],
    segment_sizes: dict[str, int],
    inputs: dict[str, dict[str, Any]],
    settings: Settings,
    cutoff: str | datetime | None,
    mappings: list[str] | None,
    timings: dict[str, float],
) -> dict[str, Any]:
    """The record of a run, but for its predictions (added by the predictions' finish).

    ``counts``: ``customers``, ``profiled`` and ``n_features`` of the scored customers.
    """
    sizes = pd.Series(segment_sizes, dtype="int64").sort_values(ascending=False, kind="stable")
    return {
        "shopperlens_run": 1,
        "versions": versions(),
        "parameters": {
            "cutoff": None if cutoff is None else str(cutoff),
            "as_of": result.as_of.isoformat(),
            "mappings": mappings or [],
            "settings": settings.model_dump(),
        },
        "seed": settings.seed,
        "inputs": inputs,
        "row_counts": {
            "customers_total": counts["customers"],
            "customers_profiled": counts["profiled"],
            "customers_excluded_no_consent": counts["customers"] - counts["profiled"],
            "features": counts["n_features"],
        },
        "data_quality": quality_as_dict(result.quality),
        "timings_s": timings,
        "metrics": {"segmentation": _segmentation(result, sizes)},
    }


def _segmentation(result: RunResult, sizes: pd.Series) -> dict[str, Any]:
    seg = result.model.segment_model
    return {
        "algorithm": seg.algorithm_,
        # every segment that holds customers, "No purchases yet" included; the model's own
        "n_segments": int((sizes > 0).sum()),
        "n_model_segments": int(seg.n_segments_),
        "features": list(result.model.feature_names),
        "rule_fidelity": float(seg.rule_fidelity_),
        "selection": _records(seg.selection_),
        "features_considered": (_records(seg.features_considered_)
                                if hasattr(seg, "features_considered_") else []),
        "segment_sizes": {str(k): int(v) for k, v in sizes.items()},
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.replace({np.nan: None})
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in clean.to_dict("records")
    ]
