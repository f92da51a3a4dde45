"""The contract's output files of a run, and the rejected rows of its inputs.

``run.json`` is :mod:`shopperlens.batch.record`'s; ``report.html`` the report's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from shopperlens import schema as s
from shopperlens.batch.result import RunResult
from shopperlens.engines.duckdb import DuckDBEngine


class OutputFiles:
    """Per-customer output files (Parquet, and CSV too), appended a block at a time; the
    first block fixes each file's columns."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.schemas: dict[str, pa.Schema] = {}
        self.by_stem: dict[str, list[pq.ParquetWriter | pcsv.CSVWriter]] = {}

    def append(self, stem: str, frame: pd.DataFrame, *, csv: bool = True) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if stem not in self.schemas:
            # a column empty in the first block is text, whatever fills it later
            self.schemas[stem] = pa.schema(
                [f.with_type(pa.string()) if pa.types.is_null(f.type) else f
                 for f in table.schema], metadata=table.schema.metadata)
            path = self.out / stem
            writers = [pq.ParquetWriter(path.with_suffix(".parquet"), self.schemas[stem])]
            if csv:
                writers.append(pcsv.CSVWriter(path.with_suffix(".csv"), self.schemas[stem]))
            self.by_stem[stem] = writers
        table = table.cast(self.schemas[stem])
        for writer in self.by_stem[stem]:
            writer.write_table(table)

    def close(self) -> None:
        for writers in self.by_stem.values():
            for writer in writers:
                writer.close()


def write_tables(result: RunResult, out: Path, engine: DuckDBEngine) -> None:
    """The outputs besides the per-customer files: segment profiles and the saved segment
    model (the rejected rows were written as soon as they were known)."""
    write_frame(with_deprecated_columns(result.profiles.reset_index()), out / s.PROFILES_FILE)
    result.model.save(out / s.MODEL_FILE)


# segment_profiles' columns before 0.2, still written for one release (docs/data-contract.md)
DEPRECATED_PROFILE_COLUMNS = {"segment": s.SEGMENT_ID, "name": s.SEGMENT_NAME}


def with_deprecated_columns(profiles: pd.DataFrame) -> pd.DataFrame:
    """``profiles`` plus the old ``segment``/``name`` copies of ``segment_id``/
    ``segment_name``, last, so scripts that read them keep working for one release."""
    return profiles.assign(**{old: profiles[new] for old, new in
                              DEPRECATED_PROFILE_COLUMNS.items()})


def write_frame(frame: pd.DataFrame, stem: Path) -> None:
    """``frame`` as ``stem.csv`` and ``stem.parquet``."""
    # Arrow writes a CSV several times faster than pandas, from the same columns.
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pcsv.write_csv(table, stem.with_suffix(".csv"))
    pq.write_table(table, stem.with_suffix(".parquet"))
