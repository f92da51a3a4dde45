"""Columns in, Python lists out: the text functions accept any one-dimensional column.

>>> import pandas as pd, pyarrow as pa
>>> as_list(pd.Series(["a", "b"])), as_list(pa.chunked_array([["c"], [None]]))
(['a', 'b'], ['c', None])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["as_list"]


def as_list(values: Iterable[Any]) -> list[Any]:
    """A list of Python objects from a list, tuple, NumPy array, pandas Series or Index,
    or a PyArrow Array or ChunkedArray (one C-level conversion, no per-item scalars)."""
    if isinstance(values, list):
        return values
    to_pylist = getattr(values, "to_pylist", None)  # pyarrow
    if callable(to_pylist):
        return list(to_pylist())
    tolist = getattr(values, "tolist", None)  # numpy, pandas
    if callable(tolist):
        return list(tolist())
    return list(values)
