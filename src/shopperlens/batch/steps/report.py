"""Step ``report``: ``report.html``, drawn from the run's result (or a sample of it)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from shopperlens import schema as s
from shopperlens.batch.result import RunResult
from shopperlens.batch.state import RunState
from shopperlens.config import Settings
from shopperlens.report import write_report

REPORT_SAMPLE = "report_sample"


def wanted(state: RunState) -> bool:
    """A report is written into an output folder, unless the run was asked for none."""
    return state.out_dir is not None and state.report


def write(state: RunState) -> None:
    """Writes ``report.html`` into the output folder."""
    assert state.result is not None and state.out_dir is not None
    write_report(report_view(state.result, state.settings), state.out_dir / s.REPORT_FILE)


def report_view(result: RunResult, settings: Settings) -> RunResult:
    """What the report shows: the run itself, or, when its per-customer frames are too
    big to hold (:data:`~shopperlens.batch.result.STORED`), a seeded random sample of
    ``fit_customers`` of them, read from the output files a row group at a time."""
    if not result.is_stored():
        return result
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    out = result.out_dir
    assert out is not None  # frames are only ever stored in an output folder
    ids = pq.read_table(out / f"{s.SEGMENTS_FILE}.parquet", columns=[s.CUSTOMER_ID]).column(0)
    size, rng = settings.fit_customers, np.random.default_rng(settings.seed)
    if size >= len(ids):
        return result
    chosen = ids.take(pa.array(np.sort(rng.choice(len(ids), size, replace=False))))

    def sample(stem: str) -> pd.DataFrame:
        rows = ds.dataset(out / stem).to_table(filter=pc.field(s.CUSTOMER_ID).isin(chosen))
        return rows.to_pandas()

    record = {**result.record, REPORT_SAMPLE: {"customers": size, "of": len(ids)}}
    return dataclasses.replace(
        result,
        features=sample(s.FEATURES_FILE).set_index(s.CUSTOMER_ID),
        segments=sample(f"{s.SEGMENTS_FILE}.parquet"),
        predictions=sample(f"{s.PREDICTIONS_FILE}.parquet"),
        record=record,
    )
