"""Step ``features``: the feature table, with the texts scored beside it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from shopperlens.batch.state import RunState
from shopperlens.engines import copy_tables, create_engine
from shopperlens.engines.blocks import customer_blocks
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import (
    FEATURES_TABLE,
    SOURCE_TABLES,
    compute_features,
    feature_table,
    score_texts_table,
)


def compute(state: RunState) -> None:
    """Fills ``blocks`` (of customers) and ``texts`` (the text scoring, still running)."""
    engine, settings = state.engine, state.settings
    assert engine is not None and state.submit is not None and state.as_of is not None
    # Texts are scored by worker processes beside the features (they leave a core idle
    # for much of their time); the text step waits for them.
    state.texts = state.submit(score_texts_table, state.as_of, settings.block_customers,
                               n_jobs=settings.threads or -1,
                               progress=state.timer.ticker("text", "texts"))
    feature_table_by(engine, state.as_of, state.feature_engine, settings.block_customers,
                     progress=state.timer.ticker("features", "queries"))
    state.blocks = customer_blocks(engine, FEATURES_TABLE, settings.block_customers)
    state.timer.count("features", customers=customers(engine))


def customers(engine: DuckDBEngine) -> int:
    """Customers of the feature table."""
    return int(engine.scalar(f"SELECT count(*) FROM {FEATURES_TABLE}") or 0)  # type: ignore[call-overload]


def feature_table_by(engine: DuckDBEngine, as_of: datetime, name: str,
                     block_customers: int,
                     progress: Callable[[int, int], None] | None = None) -> None:
    """Features by engine ``name`` as the :data:`FEATURES_TABLE` of (DuckDB) ``engine``,
    where the tables were ingested; ``progress`` as :func:`feature_table`'s (DuckDB)."""
    if name == "duckdb":
        feature_table(engine, as_of=as_of, block_customers=block_customers,
                      progress=progress)
        return
    other = create_engine(name)
    try:
        copy_tables(engine, other, SOURCE_TABLES)
        engine.register(FEATURES_TABLE, compute_features(other, as_of=as_of).reset_index())
    finally:
        other.close()
