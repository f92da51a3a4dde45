"""Numbers in segment reasons are formatted once per distinct displayed value."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shopperlens.models.churn import _decimals, _number
from shopperlens.segmentation._validation import (
    format_number,
    format_numbers,
    join_present,
    top_columns,
)

numbers = st.lists(
    st.one_of(st.floats(min_value=-1e12, max_value=1e12),
              st.floats(min_value=-1e300, max_value=1e300),
              st.floats(min_value=-5, max_value=5),
              st.sampled_from([1.05, 0.125, 99.95, float("inf"), float("nan")])),
    min_size=1, max_size=50,
)


@settings(max_examples=300, deadline=None)
@given(numbers)
def test_rounding_first_shows_what_formatting_each_value_shows(values: list[float]) -> None:
    array = np.array(values)
    # + 0.0: -0.0 shows as 0.0 does
    assert format_numbers(array).tolist() == [format_number(v + 0.0) for v in values]
    shown = format_numbers(array, _number, _decimals).tolist()
    assert shown == [_number(v + 0.0) for v in values]


# Small integers and NaN: many ties, as among customers with equal feature values.
scores = arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 6)),
                elements=st.one_of(st.integers(-3, 3).map(float), st.just(np.nan)))


@settings(max_examples=200, deadline=None)
@given(scores, st.integers(1, 4))
def test_top_columns_name_what_a_stable_sort_names(score: np.ndarray, top: int) -> None:
    # Only features with a positive score are named, in the stable sort's order.
    best, positive = top_columns(score.copy(), top)
    stable = np.argsort(-score, axis=1, kind="stable")[:, :top]
    for row, want in enumerate(stable):
        assert best[row][positive[row]].tolist() == [j for j in want if score[row, j] > 0]


@given(st.lists(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b c"])), min_size=3,
                         max_size=3), min_size=1, max_size=20))
def test_join_present_keeps_every_row(rows: list[list[str | None]]) -> None:
    parts = [pa.array(column, pa.string()) for column in zip(*rows, strict=True)]
    joined = join_present(parts, "; ").to_pylist()
    expected = ["; ".join(p for p in row if p is not None) or None for row in rows]
    assert joined == expected
