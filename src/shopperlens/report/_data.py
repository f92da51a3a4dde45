"""The numbers behind the report, computed from a run's result (no I/O, no HTML).

Everything here is vectorised over customers so a 1M-customer run costs seconds: the
map draws a stratified sample, distributions are reduced to quantiles per segment, and
the typical customer is found among a bounded sample of each segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from shopperlens import schema as s
from shopperlens.batch.result import RunResult
from shopperlens.features import catalog
from shopperlens.features.catalog import describe

RECENCY, FREQUENCY, MONETARY = catalog.RECENCY_DAYS, catalog.FREQUENCY, catalog.MONETARY
ACTIVE_DAYS = 365
MAP_POINTS = 5_000
MAP_FLOOR = 30  # so a 2% segment still shows as a visible cloud among 5,000 points
TYPICAL_POOL = 20_000  # members searched for the typical customer, per segment
NO_PURCHASE_NAME = "No purchases yet"


@dataclass
class MapData:
    """Sampled customers projected on two principal components."""

    points: pd.DataFrame  # x, y, segment_id
    n_total: int
    n_sampled: int
    floor: int
    explained: tuple[float, float]
    drivers: tuple[list[str], list[str]]  # features that load most on each component


def joined(result: RunResult) -> pd.DataFrame:
    """One row per profiled customer: segment columns joined to the features."""
    seg = result.segments.set_index(s.CUSTOMER_ID)
    return seg.join(result.features, how="left")


def segment_names(result: RunResult) -> dict[int, str]:
    """Name of every segment id present, the model's names first (they are authoritative)."""
    names = {int(k): str(v) for k, v in result.model.segment_model.names_.items()}
    pairs = result.segments[[s.SEGMENT_ID, s.SEGMENT_NAME]].drop_duplicates(s.SEGMENT_ID)
    for seg, name in zip(pairs[s.SEGMENT_ID], pairs[s.SEGMENT_NAME], strict=True):
        names.setdefault(int(seg), NO_PURCHASE_NAME if int(seg) < 0 else str(name))
    return dict(sorted(names.items()))


def model_segments(result: RunResult) -> list[int]:
    """Ids of the model's segments (those that get a card), in id order."""
    return sorted(int(k) for k in result.model.segment_model.names_)


def sizes(frame: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """Customers, share, revenue and revenue share per segment id (all segments)."""
    spend = frame[MONETARY].fillna(0.0) if MONETARY in frame else pd.Series(0.0, frame.index)
    grouped = spend.groupby(frame[s.SEGMENT_ID]).agg(["size", "sum"])
    grouped.columns = ["size", "revenue"]
    table = grouped.reindex(list(names), fill_value=0)
    table["share"] = table["size"] / max(int(table["size"].sum()), 1)
    total = float(table["revenue"].sum())
    table["revenue_share"] = table["revenue"] / total if total else 0.0
    table["name"] = [names[i] for i in table.index]
    return table


def summary(result: RunResult, n_segments: int) -> dict[str, Any]:
    """Headline figures: customers, active customers, revenue, period, segments."""
    f = result.features
    recency = f[RECENCY] if RECENCY in f else pd.Series(np.nan, f.index)
    buyers = int((f[FREQUENCY].fillna(0) > 0).sum()) if FREQUENCY in f else len(f)
    period = _period(result)
    return {
        "customers": len(f),
        "profiled": len(result.segments),
        "buyers": buyers,
        "active": int((recency <= ACTIVE_DAYS).sum()),
        "active_days": ACTIVE_DAYS,
        "revenue": float(f[MONETARY].fillna(0).sum()) if MONETARY in f else None,
        "period": period,
        "as_of": result.as_of.date().isoformat(),
        "n_segments": n_segments,
        "excluded": int(
            result.record.get("row_counts", {}).get("customers_excluded_no_consent", 0)
        ),
        # a run too big to hold: the report's figures are of a random sample of it
        "sample": result.record.get("report_sample"),
    }


def _period(result: RunResult) -> tuple[str, str] | None:
    quality = result.quality.get(s.TRANSACTIONS.name)
    if quality is None or not quality.date_min or not quality.date_max:
        return None
    return quality.date_min[:10], quality.date_max[:10]


def quality_rows(result: RunResult) -> list[dict[str, Any]]:
    """One row per input table: rows read, used, rejected (with reasons), duplicates."""
    rows = []
    for table, q in result.quality.items():
        reasons = sorted(q.rejected_by_reason.items(), key=lambda kv: -kv[1])
        rows.append({
            "table": table, "file": q.file, "read": q.rows_read, "used": q.rows_kept,
            "rejected": q.rows_rejected, "duplicates": q.duplicates, "reasons": reasons,
        })
    return rows


def stratified_sample(labels: np.ndarray, n_max: int, seed: int, floor: int = MAP_FLOOR
                      ) -> np.ndarray:
    """Sorted row positions of a seeded sample, stratified by label.

    Each label gets a share of ``n_max`` proportional to its size, but at least
    ``min(floor, size)`` rows, so small segments stay visible.

    Examples
    --------
    >>> labels = np.array([0] * 900 + [1] * 100)
    >>> rows = stratified_sample(labels, 100, seed=0, floor=30)
    >>> int((labels[rows] == 0).sum()), int((labels[rows] == 1).sum())
    (90, 30)
    >>> len(stratified_sample(labels, 5000, seed=0))
    1000
    """
    if len(labels) <= n_max:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    picked = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        take = max(min(floor, len(members)), round(n_max * len(members) / len(labels)))
        picked.append(rng.choice(members, min(take, len(members)), replace=False))
    return np.sort(np.concatenate(picked))


def scaled(result: RunResult, frame: pd.DataFrame) -> np.ndarray:
    """The model's scaled feature matrix of the given customers (rows of ``frame``)."""
    X = result.model.matrix(frame).astype(float)  # a frame: the scaler checks the names
    return np.asarray(result.model.segment_model.scaler_.transform(X), dtype=float)


def segment_map(result: RunResult, buyers: pd.DataFrame, seed: int) -> MapData:
    """PCA of the scaled features of a stratified sample of the segmented customers."""
    labels = buyers[s.SEGMENT_ID].to_numpy()
    rows = stratified_sample(labels, MAP_POINTS, seed)
    Z = scaled(result, buyers.iloc[rows])
    n_comp = min(2, Z.shape[1], len(Z))
    pca = PCA(n_components=n_comp, random_state=seed).fit(Z)
    XY = np.zeros((len(Z), 2))
    XY[:, :n_comp] = pca.transform(Z)
    ratio = list(pca.explained_variance_ratio_) + [0.0] * (2 - n_comp)
    names = [describe(n).label for n in result.model.feature_names]
    drivers = tuple(
        [names[j] for j in np.argsort(-np.abs(component))[:3]] for component in pca.components_
    ) + ([],) * (2 - n_comp)
    points = pd.DataFrame({"x": XY[:, 0], "y": XY[:, 1], s.SEGMENT_ID: labels[rows]})
    return MapData(points, len(labels), len(rows), MAP_FLOOR, (ratio[0], ratio[1]),
                   (drivers[0], drivers[1]))


def typical_customers(result: RunResult, buyers: pd.DataFrame, seed: int) -> dict[int, pd.Series]:
    """Per segment, the member closest to the segment's centre in the scaled space.

    Searched among at most :data:`TYPICAL_POOL` seeded random members per segment; the
    returned values are the customer's model features (never identifiers).
    """
    rng = np.random.default_rng(seed)
    out: dict[int, pd.Series] = {}
    for seg, members in buyers.groupby(s.SEGMENT_ID, sort=True):
        if len(members) > TYPICAL_POOL:
            members = members.iloc[np.sort(rng.choice(len(members), TYPICAL_POOL, replace=False))]
        Z = scaled(result, members)
        best = int(np.argmin(((Z - Z.mean(axis=0)) ** 2).sum(axis=1)))
        out[int(seg)] = result.model.matrix(members).iloc[best]
    return out


def feature_table(result: RunResult, buyers: pd.DataFrame, seg: int, typical: pd.Series
                  ) -> list[dict[str, Any]]:
    """Rows of a card's "typical customer" table: feature, unit, customer, segment, all."""
    X = result.model.matrix(buyers)
    seg_mean = X[buyers[s.SEGMENT_ID] == seg].mean()
    all_mean = X.mean()
    rows = []
    for name in result.model.feature_names:
        feature = describe(name)
        rows.append({
            "label": feature.label, "unit": feature.unit, "customer": typical[name],
            "segment": seg_mean[name], "all": all_mean[name],
        })
    return rows


def profile_gaps(result: RunResult, seg: int, top: int = 12) -> pd.Series:
    """A segment's standardised gaps by feature label, the largest |gap| first."""
    row = result.profiles.loc[seg]
    gaps = pd.Series({
        describe(name).label: float(row.get(f"diff_{name}", np.nan))
        for name in result.model.feature_names
    }).dropna()
    order = gaps.abs().sort_values(ascending=False, kind="stable").index[:top]
    return gaps[order]


def quantiles(values: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """q05, q25, q50, q75, q95 and mean of ``values`` per group (NaNs dropped)."""
    frame = pd.DataFrame({"v": values.to_numpy(dtype=float), "g": groups.to_numpy()}).dropna()
    grouped = frame.groupby("g")["v"]
    stats = grouped.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    stats.columns = ["q05", "q25", "q50", "q75", "q95"]
    stats["mean"] = grouped.mean()
    return stats.sort_index()


def category_shares(values: pd.Series, groups: pd.Series, top: int = 8) -> pd.DataFrame:
    """Share of each category per group; categories beyond the ``top`` most common go
    into "other"."""
    values = values.astype("string").fillna("unknown")
    common = values.value_counts().index[:top]
    values = values.where(values.isin(common), "other")
    table = pd.crosstab(groups.to_numpy(), values.to_numpy(), normalize="index")
    ordered = [c for c in common if c in table.columns] + (["other"] if "other" in table else [])
    return table[ordered]
