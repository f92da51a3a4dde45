"""Shared helpers of the service tests (a unique module name, safe to import anywhere)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shopperlens import demo

with warnings.catch_warnings():  # starlette warns about httpx on import; not ours to fix
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = ["KEY", "Fitted", "TestClient", "assert_same_features"]

KEY = "test-write-key-0123456789"


@dataclass
class Fitted:
    data: demo.DemoData
    out: Path
    features: Any  # batch features frame, indexed by customer_id
    segments: Any  # batch segments frame
    naive_as_of: datetime

    @property
    def as_of(self) -> datetime:
        return self.naive_as_of.replace(tzinfo=timezone.utc)


# the same check as tests/realtime (candidate for shopperlens.testing)
def assert_same_features(batch: pd.DataFrame, stream: pd.DataFrame) -> None:
    """Every feature of every customer equal (numbers within 1e-9, NULL = NULL)."""
    stream = stream.loc[batch.index, list(batch.columns)]
    for name in batch.columns:
        a, b = batch[name], stream[name]
        if pd.api.types.is_numeric_dtype(a):
            same = np.isclose(
                a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-9, equal_nan=True
            )
        else:
            same = (a.isna() & b.isna()) | (a.astype(object) == b.astype(object))
            same = same.to_numpy()
        bad = batch.index[~same]
        assert not len(bad), (
            f"{name} differs for {len(bad)} customers, e.g. {bad[0]}: "
            f"batch {a[bad[0]]!r} stream {b[bad[0]]!r}"
        )
