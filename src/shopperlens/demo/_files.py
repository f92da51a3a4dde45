"""Writing a demo: one file per table, whole (:func:`write`) or a chunk of customers at a
time in bounded memory (:func:`write_large`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from shopperlens.demo._defaults import DEFAULT_CHUNK
from shopperlens.demo._generate import DemoData, _build, _check, _Options, generate
from shopperlens.demo._personas import PERSONA_NAMES
from shopperlens.errors import ConfigError

PERSONAS_FILE = "personas.csv"
FORMATS = ("csv", "parquet")
# zstd: files 40% smaller than snappy (mostly the events' random message ids)
PARQUET_COMPRESSION = "zstd"


def _for_csv(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 text (``2025-03-04T10:22:31``), the rest unchanged."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            seconds = pc.cast(table.column(i), pa.timestamp("s"))
            text = pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%S")
            table = table.set_column(i, field.name, text)
    return table


def _small_dictionaries(table: pa.Table) -> list[str]:
    """Columns worth Parquet dictionary pages: few distinct values.

    Unique or near-unique ids (message ids, sessions, customers) would overflow the
    dictionary page of every row group and fall back, which is slow at scale.
    """
    return [f.name for f in table.schema if pa.types.is_dictionary(f.type)
            and max((len(c.dictionary) for c in table.column(f.name).chunks), default=0)
            <= 65_536]


def write(data: DemoData, folder: str | Path, *, fmt: str = "csv") -> dict[str, Path]:
    """Write each table to ``<folder>/<table>.<fmt>`` and the truth to ``personas.csv``.

    Parameters
    ----------
    data
        What :func:`generate` returned.
    folder
        Output folder, created if missing. Existing files of the same name are replaced.
    fmt
        ``"csv"`` (ISO 8601 timestamps, ``true``/``false`` booleans) or ``"parquet"``.

    Returns
    -------
    dict of str to Path
        The path of each file written, keyed by table name (and ``"personas"``).
    """
    _check_format(fmt)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, frame in data.tables.items():
        table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
        paths[name] = folder / f"{name}.{fmt}"
        if fmt == "csv":
            pcsv.write_csv(_for_csv(table), paths[name])
        else:
            pq.write_table(table, paths[name], use_dictionary=_small_dictionaries(table),
                           compression=PARQUET_COMPRESSION)
    paths["personas"] = folder / PERSONAS_FILE
    pcsv.write_csv(pa.Table.from_pandas(data.personas, preserve_index=False)
                   .replace_schema_metadata(None), paths["personas"])
    return paths


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"fmt={fmt!r} is not supported; use one of: {', '.join(FORMATS)}.")


# Big demos, written chunk by chunk ------------------------------------------------------
def write_large(n_customers: int, folder: str | Path, *, seed: int = 0,
                chunk: int = DEFAULT_CHUNK, fmt: str = "parquet", as_of: str = "2025-12-31",
                consent_profiling_false_share: float = 0.0,
                consent_marketing_false_share: float = 0.0,
                planted_bias: bool = False) -> dict[str, Path]:
    """Generate a demo of any size and write it like :func:`write`, in bounded memory.

    Customers are generated ``chunk`` at a time and each chunk is appended to one file
    per table, so memory depends on ``chunk``, not on ``n_customers``. Up to ``chunk``
    customers, the files are exactly those of ``write(generate(...), folder, fmt=fmt)``.
    Beyond, the customers are split into equal chunks of at most ``chunk``, each drawn
    from its own seed (spawned from ``seed``): the output is reproducible for the same
    ``seed`` and ``chunk``. Customer, order and loyalty numbers and e-mail addresses
    continue from one chunk to the next, and the hashed ids (messages, sessions,
    devices) are salted per chunk, so every id is unique across the whole folder. Rows
    are sorted by time within each chunk, not across chunks.

    Parameters
    ----------
    n_customers
        Number of customers (at least 6).
    folder
        Output folder, created if missing. Existing files of the same name are replaced.
    seed
        Seed of every random draw.
    chunk
        Most customers held in memory at once (at least 12). Generation peaks near
        2 GB per 100,000 customers of a chunk.
    fmt
        ``"parquet"`` or ``"csv"``, as for :func:`write`.
    as_of, consent_profiling_false_share, consent_marketing_false_share, planted_bias
        As for :func:`generate`.

    Returns
    -------
    dict of str to Path
        The path of each file written, keyed by table name (and ``"personas"``).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_large(90, folder, chunk=40)
    ...     ids = pq.read_table(paths["customers"], columns=["customer_id"]).column(0)
    ...     len(ids), len(ids.unique()), str(ids[-1])
    (90, 90, 'C0000090')
    """
    shares = (consent_profiling_false_share, consent_marketing_false_share)
    _check(n_customers, shares, as_of)
    _check_format(fmt)
    _check_chunk(chunk)
    if n_customers <= chunk:
        data = generate(n_customers, seed=seed, as_of=as_of,
                        consent_profiling_false_share=shares[0],
                        consent_marketing_false_share=shares[1], planted_bias=planted_bias)
        return write(data, folder, fmt=fmt)
    return _write_chunks(_chunk_sizes(int(n_customers), int(chunk)), Path(folder), seed, fmt,
                         _Options(as_of, shares, planted_bias))


def _check_chunk(chunk: int) -> None:
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) \
            or chunk < 2 * len(PERSONA_NAMES):
        # n > chunk split into equal chunks gives each over chunk / 2: one per persona.
        raise ConfigError(f"chunk={chunk!r} must be an integer of at least "
                          f"{2 * len(PERSONA_NAMES)}.")


def _chunk_sizes(n: int, chunk: int) -> list[int]:
    """``n`` split into the fewest chunks of at most ``chunk``, as equal as can be."""
    k = -(-n // chunk)
    return [n // k + (i < n % k) for i in range(k)]


def _write_chunks(sizes: list[int], folder: Path, seed: int, fmt: str,
                  options: _Options) -> dict[str, Path]:
    """Generate and append each chunk; numbering carries on from the chunk before."""
    first_customer = first_order = 0
    with _Appender(folder, fmt) as out:
        for size, seeds in zip(sizes, np.random.SeedSequence(seed).spawn(len(sizes)),
                               strict=True):
            part = _build(size, seeds, options, first_customer=first_customer,
                          first_order=first_order)
            if first_customer:  # one shelf-price calendar for the whole folder
                part.tables.pop("prices")
                part.tables.pop("calendar")
            out.append({**part.tables, "personas": part.personas})
            first_customer += size
            first_order += part.n_orders
            del part  # the next chunk's peak should not stack on this one's tables
    return out.paths


def _for_file(table: pa.Table) -> pa.Table:
    """Dictionary columns as ``dictionary<int32, string>``, one schema for every chunk.

    (Through pandas, :func:`write` stores dictionaries of plain strings whose index width
    depends on their size; chunks must all share one schema.)
    """
    fields = [pa.field(f.name, pa.dictionary(pa.int32(), pa.string()))
              if pa.types.is_dictionary(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields))


class _Appender:
    """One open writer per table; the first chunk fixes each file's schema and encoding."""

    def __init__(self, folder: Path, fmt: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.fmt = folder, fmt
        self.paths: dict[str, Path] = {}
        self._writers: dict[str, pq.ParquetWriter | pcsv.CSVWriter] = {}
        self._schemas: dict[str, pa.Schema] = {}

    def append(self, tables: dict[str, pa.Table]) -> None:
        """Append each table to its file (opened on the first chunk)."""
        for name in list(tables):
            table = _for_file(tables.pop(name))
            csv = self.fmt == "csv" or name == "personas"
            if csv:
                table = _for_csv(table)
            if name not in self._writers:
                self._open(name, table, csv)
            self._writers[name].write_table(table.cast(self._schemas[name]))

    def _open(self, name: str, table: pa.Table, csv: bool) -> None:
        path = self.folder / (PERSONAS_FILE if name == "personas" else f"{name}.{self.fmt}")
        self.paths[name], self._schemas[name] = path, table.schema
        # Decided once, from the first chunk: a writer's encoding cannot change mid-file.
        self._writers[name] = (pcsv.CSVWriter(path, table.schema) if csv else
                               pq.ParquetWriter(path, table.schema,
                                                use_dictionary=_small_dictionaries(table),
                                                compression=PARQUET_COMPRESSION))

    def __enter__(self) -> _Appender:
        return self

    def __exit__(self, *exc: object) -> None:
        for writer in self._writers.values():
            writer.close()
