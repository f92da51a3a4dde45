"""Customers in blocks (engines/blocks.py): every customer in one block, seeded samples."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens import schema as s
from shopperlens.engines.blocks import customer_blocks, sample_customers
from shopperlens.engines.duckdb import DuckDBEngine


@pytest.fixture(scope="module")
def shared_engine() -> Iterator[DuckDBEngine]:
    """One engine for every example below: each replaces table ``t`` (CREATE OR REPLACE)
    instead of opening an engine of its own."""
    with DuckDBEngine(threads=1) as engine:
        yield engine


@given(ids=st.sets(st.text(min_size=1, max_size=6), max_size=60), size=st.integers(1, 25))
@settings(max_examples=40, deadline=None)
def test_blocks_hold_every_customer_once(shared_engine: DuckDBEngine, ids: set[str],
                                         size: int) -> None:
    engine = shared_engine
    engine.register("t", pd.DataFrame({s.CUSTOMER_ID: sorted(ids)}, dtype=object))
    blocks = customer_blocks(engine, "t", size)
    parts = [engine.fetch_df(f"SELECT {s.CUSTOMER_ID} FROM t WHERE {b.where()}")
             [s.CUSTOMER_ID].tolist() for b in blocks]
    assert sorted(i for part in parts for i in part) == sorted(ids)
    assert all(len(part) <= size for part in parts)
    assert len(blocks) == max(1, -(-len(ids) // size))


def test_sample_is_seeded_and_none_when_everyone_fits(engine: DuckDBEngine) -> None:
    engine.register("t", pd.DataFrame({s.CUSTOMER_ID: [f"c{i}" for i in range(500)]}))
    first = sample_customers(engine, "t", 100, seed=3)
    assert first is not None and len(first) == 100 and first.is_monotonic_increasing
    assert first.equals(sample_customers(engine, "t", 100, seed=3))
    assert not first.equals(sample_customers(engine, "t", 100, seed=4))
    assert sample_customers(engine, "t", 500, seed=3) is None
