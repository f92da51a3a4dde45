"""Checks shared by the test suites of ShopperLens and of code built on it.

>>> import pandas as pd
>>> frame = pd.DataFrame({"monetary": [1.0, None]}, index=["a", "b"])
>>> check_same_features(frame, frame.copy())
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def check_same_features(batch: pd.DataFrame, stream: pd.DataFrame, *, tol: float = 1e-9) -> None:
    """Assert every feature of every batch customer equals the streamed one.

    Numbers must agree within ``tol`` (relative and absolute), missing equals missing;
    the design principle "batch and real time agree" is tested with this.
    """
    stream = stream.loc[batch.index, list(batch.columns)]
    for name in batch.columns:
        a, b = batch[name], stream[name]
        if pd.api.types.is_numeric_dtype(a):
            same = np.isclose(
                a.to_numpy(float), b.to_numpy(float), rtol=tol, atol=tol, equal_nan=True
            )
        else:
            same = ((a.isna() & b.isna()) | (a.astype(object) == b.astype(object))).to_numpy()
        bad = batch.index[~same]
        assert not len(bad), (
            f"{name} differs for {len(bad)} customers, e.g. {bad[0]}: "
            f"batch {a[bad[0]]!r} stream {b[bad[0]]!r}"
        )
