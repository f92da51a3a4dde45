"""Per-segment profiles: size, share, revenue share, feature means, standardised gaps.

The segment model describes customers with at least one purchase (an order with a
positive amount). Everyone else is in one more segment, :data:`NO_PURCHASE_ID`
"No purchases yet", which :func:`segment_profiles` counts beside the model's segments so
that every output shows every customer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.features.catalog import FEATURES

MONETARY = FEATURES["monetary"].name  # gives revenue_share
FREQUENCY = FEATURES["frequency"].name
NO_PURCHASE_ID = -1
NO_PURCHASE_NAME = "No purchases yet"
NO_PURCHASE_RULE = "no order with a positive amount yet"
RULES = "rules"  # the profiles column of a segment's rules, joined by RULE_SEPARATOR
RULE_SEPARATOR = " OR "


def has_purchases(features: pd.DataFrame) -> np.ndarray:
    """Customers the segment model describes: at least one order with a positive amount.

    >>> has_purchases(pd.DataFrame({"frequency": [2.0, 0.0, None]})).tolist()
    [True, False, False]
    """
    return (features[FREQUENCY].fillna(0) > 0).to_numpy()


def totals_for(model: Any, names: list[str]) -> SegmentTotals:
    """Empty totals for a fitted ``SegmentModel``'s segments and "No purchases yet";
    add every customer, those without purchases under :data:`NO_PURCHASE_ID`."""
    return SegmentTotals([*model.profiles_.index, NO_PURCHASE_ID], names)


def segment_profiles(model: Any, totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``segment_profiles`` output: one row per segment, "No purchases yet" included.

    ``totals`` is :meth:`SegmentTotals.table` over every customer scored (see
    :func:`totals_for`); without it the sizes are the model's training customers' and
    "No purchases yet" is empty. Index ``segment_id`` (the model's segments, then
    :data:`NO_PURCHASE_ID`, left out when ``totals`` count nobody in it); columns
    ``segment_name``, ``size``, ``share``, ``revenue_share``, ``rules`` (joined by
    ``" OR "``), ``mean_*``, ``diff_*`` (empty for "No purchases yet", which the model
    does not describe) and ``rule_fidelity``.
    """
    table = model.profiles_.drop(columns="name")
    table.loc[NO_PURCHASE_ID] = np.nan
    counted = totals is not None
    if totals is None:
        totals = table[[c for c in table.columns if c in ("size", "share", "revenue_share")
                        or c.startswith("mean_")]].fillna({"size": 0, "revenue_share": 0.0})
        totals = totals.assign(share=totals["size"] / max(totals["size"].sum(), 1))
    table[totals.columns] = totals.reindex(table.index)
    table["size"] = table["size"].fillna(0).astype("int64")
    table.loc[NO_PURCHASE_ID, "rule_fidelity"] = 1.0
    names = {**{int(k): v for k, v in model.names_.items()}, NO_PURCHASE_ID: NO_PURCHASE_NAME}
    rules = {**{int(k): v for k, v in model.rules_.items()}, NO_PURCHASE_ID: [NO_PURCHASE_RULE]}
    table.insert(0, s.SEGMENT_NAME, [names[int(i)] for i in table.index])
    table.insert(4 if "revenue_share" in table else 3, RULES,
                 [RULE_SEPARATOR.join(rules[int(i)]) for i in table.index])
    if counted and table.loc[NO_PURCHASE_ID, "size"] == 0:  # counted, and nobody is in it
        table = table.drop(index=NO_PURCHASE_ID)
    return table.rename_axis(s.SEGMENT_ID)


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
