"""Realistic, seeded demo data of a multi-channel UK retailer, with planted personas.

:func:`generate` builds the five contract tables (``transactions``, ``events``,
``interactions``, ``customers``, ``identities``) for two years ending at ``as_of``, with
November/December peaks, a weekly rhythm and promotions. Every customer belongs to one
of six planted personas (the ground truth a segmentation should recover), which differ
on several sources at once:

=================================  ==========================================================
persona                            what sets it apart
=================================  ==========================================================
High-value in-store loyalists      15-40 orders, high spend, store channel, recent, long
                                   tenure, few discounts and returns, delighted reviews
Discount-driven occasionals        2-5 orders mostly in promotions, ~40% of value discounted,
                                   online, many e-mail clicks
Lapsed big spenders                10-25 big orders, then silence for 6-11 months
App browsers who abandon carts     many app sessions, most carts abandoned, app orders
New customers                      first order in the last 1-3 months, 1-2 orders
Unhappy returners                  30-50% of value returned, several angry support tickets,
                                   1-2 star reviews
=================================  ==========================================================

Birth year and gender are drawn independently of the persona, so no age band or gender
is treated differently. ``planted_bias=True`` plants one unfair rule to audit: customers
born before 1965 (:data:`PLANTED_BIAS_BORN_BEFORE`) get a tenth of everyone else's chance
of a discount offer, which ``shopperlens audit`` should flag.

:func:`write` saves the tables as CSV or Parquet, plus ``personas.csv`` (not a contract
table: the pipeline ignores it). :func:`write_large` generates and writes a demo of any
size (millions of customers) in bounded memory, a chunk of customers at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from shopperlens import schema
from shopperlens._demo_events import events
from shopperlens._demo_orders import catalogue, transactions
from shopperlens._demo_people import birth_years, customers, devices, identities, people
from shopperlens._demo_personas import PERSONA_NAMES, assign, draw_traits
from shopperlens._demo_text import interactions
from shopperlens._demo_util import day_dates, promotions, start_of_history, strings
from shopperlens.errors import ConfigError

PERSONA = "persona"
PERSONAS_FILE = "personas.csv"
FORMATS = ("csv", "parquet")
# zstd: files 40% smaller than snappy (mostly the events' random message ids)
PARQUET_COMPRESSION = "zstd"
# Customers write_large generates at a time: about 5 GB at peak (2 GB per 100,000, mostly
# while building the events); smaller chunks cost no time.
DEFAULT_CHUNK = 250_000
PLANTED_BIAS_BORN_BEFORE = 1965  # the planted offer rule disadvantages customers born earlier
PLANTED_BIAS_OFFER_FACTOR = 0.1  # ... who get this share of the usual chance of an offer

__all__ = ["DEFAULT_CHUNK", "PERSONA", "PERSONA_NAMES", "PLANTED_BIAS_BORN_BEFORE", "DemoData",
           "generate", "write", "write_large"]


@dataclass
class DemoData:
    """Generated demo tables and the planted truth.

    Attributes
    ----------
    tables
        The contract tables by name: ``transactions``, ``events``, ``interactions``,
        ``customers``, ``identities``. Timestamps are naive UTC ``datetime64``.
    personas
        One row per customer: ``customer_id`` and ``persona`` (one of ``PERSONA_NAMES``).
    """

    tables: dict[str, pd.DataFrame]
    personas: pd.DataFrame


def _check(n_customers: int, shares: tuple[float, float], as_of: str) -> None:
    """Raise :class:`ConfigError` for arguments the generator cannot honour."""
    if isinstance(n_customers, bool) or not isinstance(n_customers, (int, np.integer)) \
            or n_customers < len(PERSONA_NAMES):
        raise ConfigError(f"n_customers={n_customers!r} must be an integer of at least "
                          f"{len(PERSONA_NAMES)} (one per persona).")
    for key, share in zip(("consent_profiling_false_share", "consent_marketing_false_share"),
                          shares, strict=True):
        if not 0.0 <= share <= 1.0:
            raise ConfigError(f"{key}={share!r} must be a share from 0 to 1.")
    try:
        start_of_history(as_of)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"as_of={as_of!r} must be an ISO 8601 date such as "
                          "'2025-12-31'.") from exc


def generate(n_customers: int = 5000, *, seed: int = 0, as_of: str = "2025-12-31",
             consent_profiling_false_share: float = 0.0,
             consent_marketing_false_share: float = 0.0,
             planted_bias: bool = False) -> DemoData:
    """Generate two years of multi-source retail data with six planted personas.

    Parameters
    ----------
    n_customers
        Number of customers (at least 6). About 20 transaction lines, 40 events and
        1.5 interactions per customer on average.
    seed
        Seed of every random draw: the same arguments give identical tables.
    as_of
        ISO date the history ends at (exclusive): all timestamps fall in the 730 days
        before it.
    consent_profiling_false_share, consent_marketing_false_share
        Share of customers (drawn at random) whose consent flag is false.
    planted_bias
        Plant an unfair offer rule: customers born before 1965 get a tenth of the usual
        chance of a discount on each line (a fairness audit should flag it).

    Returns
    -------
    DemoData
        The contract tables and the planted persona of each customer.

    Examples
    --------
    >>> data = generate(60, seed=1)
    >>> sorted(data.tables)
    ['customers', 'events', 'identities', 'interactions', 'transactions']
    >>> data.personas["persona"].nunique(), len(data.tables["customers"])
    (6, 60)
    >>> bool(data.tables["transactions"]["timestamp"].max() < pd.Timestamp("2025-12-31"))
    True
    """
    shares = (consent_profiling_false_share, consent_marketing_false_share)
    _check(n_customers, shares, as_of)
    part = _build(int(n_customers), np.random.SeedSequence(seed), _Options(as_of, shares,
                                                                           planted_bias))
    # self_destruct frees each Arrow column as soon as pandas holds it.
    frames = {k: part.tables.pop(k).to_pandas(self_destruct=True, split_blocks=True)
              for k in list(part.tables)}
    return DemoData(frames, part.personas.to_pandas())


@dataclass(frozen=True)
class _Options:
    """What :func:`generate` draws the same way for every chunk of a big demo."""

    as_of: str
    shares: tuple[float, float]  # consent_profiling / consent_marketing false shares
    planted_bias: bool


@dataclass
class _Part:
    """Arrow tables of a whole demo or of one chunk, and its number of orders."""

    tables: dict[str, pa.Table]
    personas: pa.Table
    n_orders: int


def _build(n: int, seeds: np.random.SeedSequence, options: _Options, *,
           first_customer: int = 0, first_order: int = 0) -> _Part:
    """The tables of ``n`` customers numbered from ``first_customer`` (orders likewise)."""
    rng = [np.random.default_rng(s) for s in seeds.spawn(8)]
    start = start_of_history(options.as_of)
    dates = day_dates(start)
    promo, campaigns = promotions(dates)
    calendar = (dates, promo, start)
    persona = assign(rng[0], n)
    traits = draw_traits(rng[0], persona)
    birth = birth_years(rng[7], len(persona))
    if options.planted_bias:
        traits["offers"] = np.where(birth < PLANTED_BIAS_BORN_BEFORE,
                                    PLANTED_BIAS_OFFER_FACTOR, 1.0)
    who = people(rng[1], len(persona), first_customer)
    cat = catalogue(rng[2])
    tx, orders = transactions(rng[2], traits, who.home_store, calendar, cat,
                              who.ids, first_order=first_order)
    dev = devices(rng[3], len(persona))
    ev, used, linked = events(rng[3], traits, dev, orders, cat, calendar, campaigns,
                              who.ids)
    _, first = np.unique(orders.customer, return_index=True)
    tables = {
        "transactions": tx,
        "events": ev,
        "interactions": interactions(rng[4], traits, who, calendar),
        "customers": customers(rng[5], who, traits, orders.seconds[first], options.shares,
                               birth),
        "identities": identities(rng[6], who, dev, used, linked, traits),
    }
    personas = pa.table({schema.CUSTOMER_ID: who.ids,
                         PERSONA: strings(PERSONA_NAMES).take(persona)})
    return _Part(tables, personas, len(orders.customer))


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
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) \
            or chunk < 2 * len(PERSONA_NAMES):
        # n > chunk split into equal chunks gives each over chunk / 2: one per persona.
        raise ConfigError(f"chunk={chunk!r} must be an integer of at least "
                          f"{2 * len(PERSONA_NAMES)}.")
    if n_customers <= chunk:
        data = generate(n_customers, seed=seed, as_of=as_of,
                        consent_profiling_false_share=shares[0],
                        consent_marketing_false_share=shares[1], planted_bias=planted_bias)
        return write(data, folder, fmt=fmt)
    return _write_chunks(_chunk_sizes(int(n_customers), int(chunk)), Path(folder), seed, fmt,
                         _Options(as_of, shares, planted_bias))


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
