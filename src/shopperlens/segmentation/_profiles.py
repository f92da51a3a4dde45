"""Per-segment profiles: size, share, revenue share, feature means, standardised gaps."""

from __future__ import annotations

from collections.abc import Iterable

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
    totals = SegmentTotals(range(gaps.shape[0]), names)
    totals.add(raw, labels)
    table = totals.table()
    for j, name in enumerate(names):
        table[f"diff_{name}"] = gaps[:, j]
    return table


class SegmentTotals:
    """Size, spend and feature means per segment, added up a block of customers at a
    time: the profile columns that describe the customers rather than the model."""

    def __init__(self, segments: Iterable[int], names: list[str]) -> None:
        self.segments = pd.Index(list(segments), name="segment")
        self.names = names
        self.sizes = np.zeros(len(self.segments), dtype=np.int64)
        self.sums = np.zeros((len(self.segments), len(names)))
        self.present = np.zeros((len(self.segments), len(names)))

    def add(self, raw: np.ndarray, segments: np.ndarray) -> None:
        """Add customers: their feature rows ``raw`` (``names`` columns) and segments."""
        labels = self.segments.get_indexer(segments)
        k = len(self.segments)
        present = ~np.isnan(raw)
        filled = np.where(present, raw, 0.0)
        self.sizes += np.bincount(labels, minlength=k)
        for j in range(raw.shape[1]):
            self.sums[:, j] += np.bincount(labels, weights=filled[:, j], minlength=k)
            self.present[:, j] += np.bincount(labels, weights=present[:, j], minlength=k)

    def table(self) -> pd.DataFrame:
        """``size``, ``share``, ``revenue_share`` (with ``monetary``) and ``mean_*``."""
        table = pd.DataFrame({"size": self.sizes, "share": self.sizes / max(self.sizes.sum(), 1)},
                             index=self.segments)
        if MONETARY in self.names:
            revenue = self.sums[:, self.names.index(MONETARY)]
            total = revenue.sum()
            table["revenue_share"] = revenue / total if total else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            means = self.sums / self.present
        for j, name in enumerate(self.names):
            table[f"mean_{name}"] = means[:, j]
        return table
