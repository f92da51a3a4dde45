"""Customers in blocks, so the per-customer stages need memory for one block, not for all.

A block is a range of ``customer_id`` (in the engine's sort order), so concatenating the
blocks' outputs gives the same rows in the same order as one pass over everyone. Every
per-customer result (features, text features, segment, predictions) depends on the
customer's own rows only, so blocking changes no figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.engines import SQLEngine

SAMPLE_TABLE = "_customer_sample"


def quote(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Block:
    """The customers with ``low <= customer_id < high`` (``None``: no bound)."""

    low: str | None = None
    high: str | None = None

    def where(self, column: str = s.CUSTOMER_ID) -> str:
        """SQL condition selecting this block's rows of a table with ``column``."""
        bounds = [f"{column} >= {quote(self.low)}" if self.low is not None else None,
                  f"{column} < {quote(self.high)}" if self.high is not None else None]
        return " AND ".join(b for b in bounds if b) or "TRUE"


EVERYONE = Block()


def customer_blocks(engine: SQLEngine, table: str, size: int) -> list[Block]:
    """Blocks of at most ``size`` customers of ``table`` (one per ``customer_id``),
    cut at every ``size``-th id in sort order; one block covering everyone when it fits."""
    cuts = engine.fetch_df(
        f"SELECT {s.CUSTOMER_ID} FROM (SELECT {s.CUSTOMER_ID}, "
        f"row_number() OVER (ORDER BY {s.CUSTOMER_ID}) - 1 AS r FROM {table}) "
        f"WHERE r > 0 AND r % {int(size)} = 0 ORDER BY 1"
    )[s.CUSTOMER_ID].tolist()
    bounds = [None, *cuts, None]
    return [Block(low, high) for low, high in zip(bounds[:-1], bounds[1:], strict=False)]


def sample_customers(engine: SQLEngine, table: str, size: int, seed: int) -> pd.Index | None:
    """A seeded random sample of ``size`` customer ids of ``table`` (sorted), or ``None``
    when the table holds no more than ``size``. Ranked by a hash of id and seed, so the
    same data and seed give the same sample whatever the number of threads."""
    total = int(engine.scalar(f"SELECT count(*) FROM {table}") or 0)
    if total <= size:
        return None
    ids = engine.fetch_df(
        f"SELECT {s.CUSTOMER_ID} FROM {table} "
        f"ORDER BY hash({s.CUSTOMER_ID} || {quote(str(seed))}), {s.CUSTOMER_ID} LIMIT {int(size)}"
    )[s.CUSTOMER_ID]
    return pd.Index(np.sort(ids.to_numpy(dtype=object)), name=s.CUSTOMER_ID)


def in_sample(engine: SQLEngine, ids: pd.Index, table: str = SAMPLE_TABLE) -> str:
    """SQL condition selecting the rows whose ``customer_id`` is one of ``ids``, which
    are stored as ``table`` of the engine."""
    engine.register(table, pd.DataFrame({s.CUSTOMER_ID: ids.astype(str)}))
    return f"{s.CUSTOMER_ID} IN (SELECT {s.CUSTOMER_ID} FROM {table})"
