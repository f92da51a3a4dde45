"""Feature SQL whose answer does not hang on the order float sums run in.

Engines (and DuckDB's own threads) add rows in different orders, so a sum of lines that
cancel is 0, 5.6e-17 or -5.6e-17. Features must not turn that noise into a sign.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import compute_features
from shopperlens.ingest import load_folder

HEADER = "customer_id,order_id,timestamp,amount,category"
LINES = [
    # c1: last half-year nets to zero (0.1 + 0.2 - 0.3 is 5.6e-17 in floats), nothing before.
    "c1,o1,2024-05-01,0.1,x",
    "c1,o2,2024-05-02,0.2,x",
    "c1,r1,2024-05-03,-0.3,x",
    # c2: one order whose lines cancel is no purchase; its other order is.
    "c2,o3,2024-05-01,0.1,x",
    "c2,o3,2024-05-01,0.2,x",
    "c2,o3,2024-05-01,-0.3,x",
    "c2,o4,2024-05-02,5,x",
    # c3: two categories with equal spend (0.1 + 0.2 against 0.3): the first name wins.
    "c3,o5,2024-05-01,0.1,b_second",
    "c3,o5,2024-05-01,0.2,b_second",
    "c3,o6,2024-05-02,0.3,a_first",
]
AS_OF = datetime(2024, 6, 1)


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_cancelling_amounts_give_the_same_features_in_any_row_order(
    order: tuple[int, ...], write_folder: Callable[..., Path]
) -> None:
    # Permute the rows within each customer's group of three, i.e. the order sums run in.
    rows = [LINES[start + i] for start in (0, 3, 7) for i in order] + [LINES[6]]
    with DuckDBEngine(threads=1) as engine:
        load_folder(engine, write_folder(transactions="\n".join([HEADER, *rows])))
        features = compute_features(engine, as_of=AS_OF)
    assert math.isnan(features.loc["c1", "spend_trend"])  # no net spend in either window
    assert features.loc["c2", "frequency"] == 1
    assert features.loc["c3", "top_category"] == "a_first"
