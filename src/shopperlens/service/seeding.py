"""Seeding the store from the run the model comes from, once, at start.

Every customer of the run's ``features.parquet`` gets a profile (the state of
:func:`shopperlens.realtime.seed.seed_state`), the run's segment from ``segments.parquet``
(its id; the name is the saved model's) and the run's predictions from
``predictions.parquet``, so the service knows each of them before any event. A customer
the store already knows (a restart, or events that came first) is left as it is; the
store remembers which run it was seeded from, so a restart does not read it again.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from shopperlens import schema as s
from shopperlens.realtime.assign import CUSTOMER
from shopperlens.realtime.seed import seed_state
from shopperlens.service.runtime import Runtime
from shopperlens.timewindow import epoch_days, parse_cutoff

SEEDED_META = "seeded_from"
PAGE = 2000


def run_folder(model_dir: Path | None) -> Path | None:
    if model_dir is None:
        return None
    return model_dir if model_dir.is_dir() else model_dir.parent


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _by_customer(path: Path, columns: list[str] | None = None) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    frame = pd.read_parquet(path, columns=columns)
    ids = frame.pop(s.CUSTOMER_ID).astype(str).tolist()
    rows = {name: frame[name].tolist() for name in frame.columns}
    return {cid: {k: _plain(v[i]) for k, v in rows.items()} for i, cid in enumerate(ids)}


def seed_from_run(rt: Runtime) -> int | None:
    """Seed the store from the model's run folder; the number of customers it holds from
    the run (None when the folder has no ``features.parquet``)."""
    folder = run_folder(rt.settings.model_dir)
    if folder is None or rt.model.assigner is None:
        return None
    features_path = folder / s.FEATURES_FILE
    if not features_path.is_file():
        return None
    stat = features_path.stat()
    marker = f"{rt.model.version}:{stat.st_size}:{stat.st_mtime_ns}"
    done = rt.store.get_meta(SEEDED_META)
    if done is not None and done.split("=")[0] == marker:
        return int(done.split("=")[1])
    as_of = parse_cutoff(str(rt.model.assigner.model.as_of))
    t0 = epoch_days(as_of)
    features = _by_customer(features_path)
    segments = _by_customer(folder / f"{s.SEGMENTS_FILE}.parquet", [s.CUSTOMER_ID, s.SEGMENT_ID])
    predictions = _by_customer(folder / f"{s.PREDICTIONS_FILE}.parquet")
    ids = sorted(features)
    for start in range(0, len(ids), PAGE):
        _seed_page(rt, ids[start:start + PAGE], features, segments, predictions, t0)
    rt.store.set_meta(SEEDED_META, f"{marker}={len(ids)}")
    return len(ids)


def _seed_page(
    rt: Runtime,
    ids: list[str],
    features: dict[str, dict[str, Any]],
    segments: dict[str, dict[str, Any]],
    predictions: dict[str, dict[str, Any]],
    t0: float,
) -> None:
    at = t0 * 86400.0
    with rt.store.transaction() as tx:
        puts, labels = [], []
        for cid in ids:
            if tx.get_state((CUSTOMER, cid)) is not None:
                continue  # known already: its own events are newer than the run
            segment = segments.get(cid, {}).get(s.SEGMENT_ID)
            extra = {"profiled": cid in segments and segment is not None,
                     "predictions": predictions.get(cid)}
            puts.append(((CUSTOMER, cid), seed_state(features[cid], t0, extra=extra)))
            labels.append((cid, None if segment is None else int(segment)))
        put_states = getattr(tx, "put_states", None)
        if put_states is not None:
            put_states(puts)
        else:
            for key, state in puts:
                tx.put_state(key, state)
        for cid, label in labels:  # after the states: a segment belongs to a profile row
            tx.put_segment(cid, label, at=at, model_version=rt.model.version)
