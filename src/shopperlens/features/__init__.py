"""Per-customer features, computed by an engine from the ingested tables.

One definition per feature family (``orders``, ``browsing``, ``interactions``); a
source that is absent yields no feature. Only the records before ``as_of`` count
(:mod:`shopperlens.timewindow`: the window ends at ``as_of``, excluded).

The definitions are SQL that DuckDB and Spark SQL both run (``tests/engines`` proves it
feature by feature). Keep to that shared subset: numeric day columns instead of date
functions (``epoch`` is the one function translated for Spark), ``1E0`` rather than
``1.0`` where a double is meant (Spark reads ``1.0`` as a decimal and rounds averages
of it), ``/`` for float division, ``USING`` joins and explicit select lists (no
``SELECT * REPLACE``/``EXCLUDE``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.engines import SQLEngine
from shopperlens.engines.blocks import EVERYONE, Block, customer_blocks, in_sample
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import browsing, interactions, orders
from shopperlens.features.catalog import CATALOG, FEATURES, Feature, describe
from shopperlens.text import score_interactions, text_features_from_scores
from shopperlens.timewindow import SECONDS_PER_DAY, before, epoch_days, sql_before

__all__ = [
    "CATALOG",
    "FEATURES",
    "Feature",
    "SOURCE_TABLES",
    "add_text_features",
    "compute_features",
    "describe",
    "feature_table",
    "fetch_features",
    "score_texts_table",
    "text_scores",
    "numeric_features",
]

SOURCE_TABLES = (s.TRANSACTIONS.name, s.EVENTS.name, s.INTERACTIONS.name, s.CUSTOMERS.name)
"""The ingested tables :func:`compute_features` reads."""
ONLY_CUSTOMERS = "_feature_customers"
FEATURES_TABLE = "customer_features"
UNIVERSE_TABLE = "customer_universe"  # one row per customer with any features
TEXT_SCORES_TABLE = "text_scores"
SEQUENCE = "_seq"
DECIMALS = 9


def compute_features(
    engine: SQLEngine,
    *,
    as_of: datetime,
    customers: pd.Index | None = None,
    table: str = FEATURES_TABLE,
) -> pd.DataFrame:
    """Every available feature per customer, indexed by ``customer_id``, as of ``as_of``.

    The customers are those of the ``customers`` table and anyone with an order,
    event or interaction before ``as_of``; with ``customers``, only those of them (a
    sample costs a fraction of the whole). The features stay in the engine as ``table``
    (see :func:`feature_table`).
    """
    return fetch_features(engine, feature_table(engine, as_of=as_of, customers=customers,
                                                 table=table))


def feature_table(
    engine: SQLEngine,
    *,
    as_of: datetime,
    customers: pd.Index | None = None,
    table: str = FEATURES_TABLE,
    block_customers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """Build :func:`compute_features`' features as ``table`` of the engine, for
    :func:`fetch_features` to read a block of customers at a time; returns ``table``.

    On DuckDB, ``block_customers`` bounds how many customers' feature families are
    joined at once: one query holds the hash tables of all its joins in memory, which
    grows with the customers (at 10M, past the memory limit).

    ``progress(done, total)`` is told the queries run so far as each ends: one per
    feature family, the customers' list, then one per block joined (the total grows
    when there is more than one block)."""
    only = "TRUE" if customers is None else in_sample(engine, customers, ONLY_CUSTOMERS)
    families = _families(engine, as_of, only)
    tick = progress or (lambda done, total: None)
    names = [f[0] for f in families]
    selected: list[str] = []
    for done, (name, sql, zeros, _) in enumerate(families, 1):
        engine.create_table(f"feat_{name}", sql)
        selected += [
            _filled(c, zeros) for c in engine.columns(f"feat_{name}") if c != s.CUSTOMER_ID
        ]
        tick(done, len(families) + 2)
    # The families first: a window's customers are read from its family's table, one row
    # each, where that has them all (scanning the events again costs ~8 s at 1M customers).
    sources = [f"feat_{name}" if every else name for name, _, _, every in families]
    engine.create_table(UNIVERSE_TABLE, _universe_sql(engine, sources, only))
    has_region = engine.has_table(s.CUSTOMERS.name) and s.REGION in engine.columns(s.CUSTOMERS.name)
    blocks = (customer_blocks(engine, UNIVERSE_TABLE, block_customers)
              if block_customers and isinstance(engine, DuckDBEngine) else [EVERYONE])
    tick(len(families) + 1, len(families) + 1 + len(blocks))
    for number, block in enumerate(blocks):
        query = _join_sql(names, selected, has_region, block)
        if number == 0:
            engine.create_table(table, query)
        else:
            # more than one block only on DuckDB (above), which has execute
            engine.execute(f"INSERT INTO {table} {query}", "joining the features")  # type: ignore[attr-defined]
        tick(len(families) + 2 + number, len(families) + 1 + len(blocks))
    return table


def _families(engine: SQLEngine, as_of: datetime, only: str
              ) -> list[tuple[str, str, tuple[str, ...], bool]]:
    """The feature families of the tables present: (window, its family's SQL, features
    zero when absent, whether the family has a row for every customer of its window),
    each window a view of its table (see :func:`_window`)."""
    as_of_days = epoch_days(as_of)
    families: list[tuple[str, str, tuple[str, ...], bool]] = []
    tx_cols = set(engine.columns(s.TRANSACTIONS.name))
    _window(engine, "tx", s.TRANSACTIONS.name, as_of, only)
    families.append(
        ("tx", orders.orders_sql(as_of_days=as_of_days, columns=tx_cols), ("frequency", "monetary"),
         orders.EVERY_CUSTOMER)
    )
    if engine.has_table(s.EVENTS.name):
        ev_only = f"{s.CUSTOMER_ID} IS NOT NULL AND {only}"
        _window(engine, "ev", s.EVENTS.name, as_of, ev_only)
        ev_sql = browsing.events_sql(columns=set(engine.columns(s.EVENTS.name)))
        families.append(("ev", ev_sql, browsing.ZERO_WHEN_ABSENT, browsing.EVERY_CUSTOMER))
    if engine.has_table(s.INTERACTIONS.name):
        _window(engine, "ix", s.INTERACTIONS.name, as_of, only)
        ix_sql = interactions.interactions_sql(columns=set(engine.columns(s.INTERACTIONS.name)))
        families.append(
            ("ix", ix_sql, interactions.ZERO_WHEN_ABSENT, interactions.EVERY_CUSTOMER)
        )
    return families


def fetch_features(engine: SQLEngine, table: str = FEATURES_TABLE,
                   where: str = "TRUE") -> pd.DataFrame:
    """The features of ``table`` (built by :func:`feature_table`) of the customers
    matching SQL ``where``, sorted by ``customer_id``."""
    # sorted by the engine, in parallel: pandas sorts 1M string ids in ~2 s on one core
    frame = engine.fetch_df(f"SELECT * FROM {table} WHERE {where} ORDER BY {s.CUSTOMER_ID}")
    frame = frame.set_index(s.CUSTOMER_ID)
    # Parallel float sums depend on the order rows meet; rounding far below any business
    # meaning makes the same input give the same features, run after run.
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].round(DECIMALS)
    return frame[_ordered(frame.columns)]


def score_texts_table(
    engine: DuckDBEngine, as_of: datetime, block_customers: int, *, n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bool:
    """Score the text of every interaction before ``as_of`` once (by ``n_jobs``
    processes), ``block_customers`` writers at a time, into :data:`TEXT_SCORES_TABLE`,
    where :func:`text_scores` reads them for :func:`add_text_features` at any earlier
    date. False (and no table) without interactions.

    It needs only the ingested interactions, so a run can score them while it computes
    the other features. ``progress(done, total)`` is told the texts scored so far: none at the
    start, then after each block of writers."""
    if not engine.has_table(s.INTERACTIONS.name):
        return False
    columns = [
        c
        for c in (s.CUSTOMER_ID, s.TIMESTAMP, s.SOURCE, s.TEXT, s.RATING)
        if c in engine.columns(s.INTERACTIONS.name)
    ]
    engine.execute(f"DROP TABLE IF EXISTS {TEXT_SCORES_TABLE}")
    in_window = sql_before(as_of, s.TIMESTAMP)
    writers = f"(SELECT DISTINCT {s.CUSTOMER_ID} FROM {s.INTERACTIONS.name} WHERE {in_window})"
    seq = done = 0
    total = int(engine.scalar(  # type: ignore[call-overload]
        f"SELECT count(*) FROM {s.INTERACTIONS.name} WHERE {in_window}") or 0)
    if progress is not None:
        progress(0, total)
    for block in customer_blocks(engine, writers, block_customers):
        # in score_interactions' order: by customer and time, ties as the rows came
        interactions = engine.fetch_df(
            f"SELECT {', '.join(columns)} FROM {s.INTERACTIONS.name} "
            f"WHERE {in_window} AND {block.where()} "
            f"ORDER BY {s.CUSTOMER_ID}, {s.TIMESTAMP}, {s.ROW}"
        )
        done += len(interactions)
        if interactions.empty:
            continue
        # ingestion scrubbed the texts of personal data as they landed
        scores = score_interactions(interactions, n_jobs=n_jobs, scrubbed=True, presorted=True)
        scores[SEQUENCE] = np.arange(seq, seq + len(scores))  # keeps ties in time in order
        seq += len(scores)
        engine.append(TEXT_SCORES_TABLE, scores.reset_index(drop=True))
        if progress is not None:
            progress(done, total)
    return engine.has_table(TEXT_SCORES_TABLE)


def text_scores(engine: SQLEngine, where: str = "TRUE") -> pd.DataFrame | None:
    """The :func:`score_texts_table` rows of the customers matching SQL ``where``
    (None when no texts were scored)."""
    if not engine.has_table(TEXT_SCORES_TABLE):
        return None
    scores = engine.fetch_df(
        f"SELECT * FROM {TEXT_SCORES_TABLE} WHERE {where} ORDER BY {SEQUENCE}"
    )
    return scores.drop(columns=SEQUENCE)


def add_text_features(
    features: pd.DataFrame, scores: pd.DataFrame | None, as_of: datetime
) -> pd.DataFrame:
    """Join sentiment, emotion and complaint features from texts written before ``as_of``
    (``scores`` from :func:`text_scores`; None adds nothing)."""
    if scores is None:
        return features
    early = before(scores[s.TIMESTAMP], as_of)
    written = scores if early.all() else scores[early]  # no copy of millions of rows
    joined = features.join(text_features_from_scores(written, as_of=as_of), how="left")
    joined["text_count"] = joined["text_count"].fillna(0)
    return joined


def numeric_features(frame: pd.DataFrame, *, default_only: bool = True) -> list[str]:
    """The numeric feature columns of ``frame`` a segmentation uses by default."""
    names = []
    for name in frame.columns:
        feature = describe(name)
        if feature.kind != "numeric" or not pd.api.types.is_numeric_dtype(frame[name]):
            continue
        if default_only and not feature.segment_by_default:
            continue
        names.append(name)
    return names


def _window(engine: SQLEngine, name: str, table: str, as_of: datetime, extra: str) -> None:
    """View ``name``: the rows of ``table`` before ``as_of`` matching ``extra``, with a
    day column ``t`` (so feature SQL needs no engine-specific date functions).

    A view, for a sample too: each family's SQL reads its window once, and storing a
    sample's rows cost more than filtering them again (at 1M customers, the churn
    model's 200k-customer sample: 10.4 s stored, 6.3 s as views).
    """
    engine.create_view(
        name,
        f"SELECT *, epoch({s.TIMESTAMP}) / {SECONDS_PER_DAY} AS t FROM {table} "
        f"WHERE {sql_before(as_of, s.TIMESTAMP)} AND {extra}",
    )


def _universe_sql(engine: SQLEngine, tables: list[str], only: str) -> str:
    """The customers matching SQL ``only`` of the ``customers`` table and of ``tables``
    (windows, or family tables holding all of their window's customers), once each."""
    sources = [s.CUSTOMERS.name] if engine.has_table(s.CUSTOMERS.name) else []
    union = " UNION ".join(f"SELECT {s.CUSTOMER_ID} FROM {t}" for t in [*sources, *tables])
    return (
        f"SELECT DISTINCT {s.CUSTOMER_ID} FROM ({union}) "
        f"WHERE {s.CUSTOMER_ID} IS NOT NULL AND {only}"
    )


def _filled(column: str, zeros: tuple[str, ...]) -> str:
    return f"CAST(coalesce({column}, 0) AS DOUBLE) AS {column}" if column in zeros else column


def _join_sql(families: list[str], selected: list[str], region: bool,
              block: Block = EVERYONE) -> str:
    """The features of ``block``'s customers: their rows of each family, joined.
    An explicit select list, not DuckDB's SELECT * REPLACE, so Spark SQL runs it too."""
    def rows(table: str, columns: str = "*") -> str:
        return f"(SELECT {columns} FROM {table} WHERE {block.where()})"

    joins = " ".join(f"LEFT JOIN {rows(f'feat_{name}')} USING ({s.CUSTOMER_ID})"
                     for name in families)
    if region:
        joins += (f" LEFT JOIN {rows(s.CUSTOMERS.name, f'{s.CUSTOMER_ID}, {s.REGION}')} "
                  f"USING ({s.CUSTOMER_ID})")
        selected = [*selected, s.REGION]
    return (f"SELECT {', '.join([s.CUSTOMER_ID, *selected])} "
            f"FROM {rows(UNIVERSE_TABLE)} {joins}")


def _ordered(columns: pd.Index) -> list[str]:
    order = {f.name: i for i, f in enumerate(CATALOG)}
    return sorted(columns, key=lambda c: (order.get(c, len(order)), c))
