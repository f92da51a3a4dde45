"""Per-segment profiles: size, share, revenue share, feature means, standardised gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd

MONETARY = "monetary"  # the catalogue's total-spend feature; gives revenue_share


def group_means(values: np.ndarray, labels: np.ndarray, n_segments: int) -> np.ndarray:
    """NaN-ignoring mean of each column per segment, shape (n_segments, n_features)."""
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    out = np.empty((n_segments, values.shape[1]))
    for j in range(values.shape[1]):
        sums = np.bincount(labels, weights=filled[:, j], minlength=n_segments)
        counts = np.bincount(labels, weights=present[:, j], minlength=n_segments)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = sums / counts
    return out


def standardised_gaps(
    Z: np.ndarray, labels: np.ndarray, n_segments: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(segment mean - population mean) / population std on the scaled features.

    Measured on the scaled (imputed, log-transformed, clipped) features so a handful of
    extreme spenders does not decide what sets a segment apart. Returns the gaps and the
    population mean and std used, which :meth:`SegmentModel.explain` reuses.
    """
    mean = Z.mean(axis=0)
    std = Z.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    gaps = (group_means(Z, labels, n_segments) - mean) / std
    return np.nan_to_num(gaps), mean, std


def build_profiles(
    raw: np.ndarray, gaps: np.ndarray, labels: np.ndarray, names: list[str]
) -> pd.DataFrame:
    """The ``profiles_`` table: one row per segment (index ``segment``)."""
    n_segments = gaps.shape[0]
    sizes = np.bincount(labels, minlength=n_segments)
    table = pd.DataFrame({"size": sizes, "share": sizes / max(len(labels), 1)})
    if MONETARY in names:
        spend = np.nan_to_num(raw[:, names.index(MONETARY)])
        revenue = np.bincount(labels, weights=spend, minlength=n_segments)
        total = revenue.sum()
        table["revenue_share"] = revenue / total if total else 0.0
    means = group_means(raw, labels, n_segments)
    for j, name in enumerate(names):
        table[f"mean_{name}"] = means[:, j]
    for j, name in enumerate(names):
        table[f"diff_{name}"] = gaps[:, j]
    table.index.name = "segment"
    return table
