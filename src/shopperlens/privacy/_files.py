"""Read, search and rewrite the files of a run's output folder, one person at a time.

Every rewrite goes to a temporary file beside the original and then replaces it, so a
crash leaves either the old or the new file, never half of one. Parquet files are written
anew, which also drops the old row-group statistics (min/max values) and dictionaries.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shopperlens.privacy._match import Matcher, is_id_column, redact_json

csv.field_size_limit(1 << 30)
TEXT_SUFFIXES = frozenset({".html", ".htm", ".txt", ".md", ".log", ".jsonl", ".tsv", ".xml"})
MODEL_SUFFIXES = frozenset({".joblib", ".pkl", ".pickle"})


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.erasing")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# CSV ----------------------------------------------------------------------
def _read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8", errors="surrogateescape") as handle:
        return list(csv.reader(handle))


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    _replace(path, buffer.getvalue().encode("utf-8", "surrogateescape"))


def _csv_row_hits(rows: list[list[str]], matcher: Matcher) -> list[bool]:
    header = rows[0] if rows else []
    ids = [is_id_column(h) for h in header]
    return [
        any(matcher.matches(cell, i < len(ids) and ids[i]) for i, cell in enumerate(row))
        for row in rows[1:]
    ]


def scrub_csv(path: Path, matcher: Matcher, *, aggregate: bool = False) -> tuple[int, int]:
    """Drop the person's rows (or redact cells of an aggregate); return (rows, cells)."""
    rows = _read_csv(path)
    if not rows:
        return 0, 0
    if aggregate:
        ids = [is_id_column(h) for h in rows[0]]
        cells = 0
        for row in rows[1:]:
            for i, cell in enumerate(row):
                row[i], n = matcher.redact(cell, i < len(ids) and ids[i])
                cells += n
        if cells:
            _write_csv(path, rows)
        return 0, cells
    hits = _csv_row_hits(rows, matcher)
    if any(hits):
        _write_csv(path, [rows[0], *(r for r, hit in zip(rows[1:], hits, strict=True) if not hit)])
    return sum(hits), 0


def csv_records(path: Path, matcher: Matcher) -> list[dict[str, str]]:
    """The person's rows of a CSV file as records."""
    rows = _read_csv(path)
    if not rows:
        return []
    hits = _csv_row_hits(rows, matcher)
    pairs = zip(rows[1:], hits, strict=True)
    return [dict(zip(rows[0], r, strict=False)) for r, hit in pairs if hit]


# Parquet ------------------------------------------------------------------
def _cell_texts(column: pa.ChunkedArray) -> tuple[list[str | None], np.ndarray] | None:
    """Distinct values of a column as text, and each row's position among them."""
    kind = column.type
    if pa.types.is_floating(kind) or pa.types.is_boolean(kind) or pa.types.is_temporal(kind):
        return None
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
    if pa.types.is_integer(column.type) or pa.types.is_string(column.type) \
            or pa.types.is_large_string(column.type):
        encoded = pc.dictionary_encode(column).combine_chunks()
        texts = [None if v is None else str(v) for v in encoded.dictionary.to_pylist()]
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        return texts, np.where(np.isnan(codes.astype(float)), -1, codes).astype(np.int64)
    values = column.to_pylist()
    texts = [None if v is None else json.dumps(v, default=str) for v in values]
    return texts, np.arange(len(values))


def _column_hits(name: str, column: pa.ChunkedArray, matcher: Matcher) -> np.ndarray:
    found = _cell_texts(column)
    if found is None:
        return np.zeros(len(column), dtype=bool)
    texts, codes = found
    numeric_only = pa.types.is_integer(column.type)
    id_column = is_id_column(name)
    if numeric_only and not id_column:
        return np.zeros(len(column), dtype=bool)
    hit = np.array([t is not None and matcher.matches(t, id_column) for t in texts] + [False])
    return hit[codes]


def parquet_hits(table: pa.Table, matcher: Matcher) -> np.ndarray:
    """Rows of an Arrow table that hold one of the person's identifiers."""
    mask = np.zeros(table.num_rows, dtype=bool)
    for name, column in zip(table.column_names, table.columns, strict=True):
        mask |= _column_hits(name, column, matcher)
    return mask


def _write_parquet(path: Path, table: pa.Table) -> None:
    meta = pq.ParquetFile(path).metadata
    codec = "snappy"
    if meta.num_row_groups and meta.num_columns:
        codec = meta.row_group(0).column(0).compression.lower()
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer, compression=None if codec == "uncompressed" else codec)
    _replace(path, buffer.getvalue().to_pybytes())


def scrub_parquet(path: Path, matcher: Matcher, *, aggregate: bool = False) -> tuple[int, int]:
    """Drop the person's rows (or redact string cells of an aggregate); return (rows, cells)."""
    table = pq.read_table(path)
    if aggregate:
        return 0, _redact_parquet(path, table, matcher)
    mask = parquet_hits(table, matcher)
    if mask.any():
        _write_parquet(path, table.filter(pa.array(~mask)))
    return int(mask.sum()), 0


def _redact_parquet(path: Path, table: pa.Table, matcher: Matcher) -> int:
    cells = 0
    for i, name in enumerate(table.column_names):
        column = table.column(i)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        pairs = [(None, 0) if v is None else matcher.redact(v, is_id_column(name))
                 for v in column.to_pylist()]
        n = sum(count for _, count in pairs)
        if n:
            table = table.set_column(i, name, pa.array([v for v, _ in pairs], type=column.type))
            cells += n
    if cells:
        _write_parquet(path, table)
    return cells


def parquet_records(path: Path, matcher: Matcher) -> list[dict[str, Any]]:
    """The person's rows of a Parquet file as JSON-able records."""
    table = pq.read_table(path)
    rows = table.filter(pa.array(parquet_hits(table, matcher))).to_pylist()
    return json.loads(json.dumps(rows, default=str))


# JSON and text ------------------------------------------------------------
def scrub_json(path: Path, matcher: Matcher) -> int:
    """Remove the person from a JSON file; return how many occurrences went."""
    record = json.loads(path.read_text(encoding="utf-8"))
    cleaned, count = redact_json(record, matcher)
    if count:
        _replace(path, (json.dumps(cleaned, indent=2, default=str) + "\n").encode("utf-8"))
    return count


def scrub_text(path: Path, matcher: Matcher) -> int | None:
    """Redact the person from a text file; ``None`` when it is not UTF-8 text."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None
    cleaned, count = matcher.redact(text)
    if count:
        _replace(path, cleaned.encode("utf-8"))
    return count


# Bytes --------------------------------------------------------------------
def decompressed(data: bytes) -> bytes:
    """The payload of a zlib, gzip, bz2 or xz stream (joblib's ``compress``), else ``data``."""
    openers = {b"\x1f\x8b": gzip.decompress, b"BZh": bz2.decompress, b"\xfd7zXZ": lzma.decompress}
    for magic, opener in openers.items():
        if data.startswith(magic):
            return opener(data)
    if data[:1] == b"\x78":
        try:
            return zlib.decompressobj().decompress(data)
        except zlib.error:
            return data
    return data


def encodings(needle: str) -> Iterator[bytes]:
    """The byte forms a string takes in files: UTF-8, and UTF-32/UTF-16 as NumPy stores it."""
    yield needle.encode("utf-8")
    yield needle.encode("utf-32-le")
    yield needle.encode("utf-16-le")


def bytes_contain(data: bytes, needles: tuple[str, ...]) -> int:
    """How many of ``needles`` occur in ``data`` in any of their byte forms."""
    lowered = data.lower()
    return sum(any(form.lower() in lowered for form in encodings(n)) for n in needles if n)


def parquet_text(path: Path) -> bytes:
    """Every cell, column name and metadata value of a Parquet file as UTF-8 text."""
    table = pq.read_table(path)
    parts = [json.dumps(table.to_pylist(), default=str), str(table.schema)]
    parts.extend(str(v) for v in (table.schema.metadata or {}).values())
    return "\n".join(parts).encode("utf-8")


def forget_in_model(path: Path, customer_id: str) -> int:
    """Tell a saved model that can ``forget(customer_id)`` to erase the person, and save
    it again in place; how many rows it erased (0: it cannot, or held none)."""
    model = joblib.load(path)  # the run's own output, as the service loads it
    if not callable(getattr(model, "forget", None)):
        return 0
    rows = int(model.forget(customer_id))
    if rows:
        joblib.dump(model, path)
    return rows

