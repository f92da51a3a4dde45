"""Synthetic, retail-like feature matrices with planted segments."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# Per planted segment: centre of each feature (means of lognormal/normal/beta draws).
PLANTED = {
    # recency, frequency, monetary, tenure, discount, returns, store, online, app,
    # sessions, cart_abandonment, email_clicks
    "loyal_store": (10, 25, 3000, 1500, 0.05, 0.02, 0.9, 0.05, 0.05, 5, 0.1, 8),
    "lapsed_big": (400, 8, 2500, 1800, 0.10, 0.05, 0.3, 0.6, 0.1, 2, 0.2, 1),
    "discount_occ": (90, 2, 120, 400, 0.80, 0.10, 0.2, 0.7, 0.1, 20, 0.4, 15),
    "app_abandoners": (30, 4, 300, 200, 0.20, 0.05, 0.02, 0.08, 0.9, 60, 0.85, 3),
}


def make_retail_frame(
    sizes: dict[str, int], seed: int = 0, spread: float = 0.15
) -> tuple[pd.DataFrame, np.ndarray]:
    """A feature matrix with the planted segments of ``sizes`` and the true labels."""
    rng = np.random.default_rng(seed)
    parts, truth = [], []
    for label, (name, n) in enumerate(sizes.items()):
        c = PLANTED[name]
        ln = lambda m, n=n: m * np.exp(rng.normal(0, spread, n))  # noqa: E731
        share = lambda m, n=n: np.clip(rng.normal(m, 0.04, n), 0, 1)  # noqa: E731
        freq = np.maximum(1, np.round(ln(c[1])))
        spend = ln(c[2])
        parts.append(pd.DataFrame({
            "recency_days": ln(c[0]), "frequency": freq, "monetary": spend,
            "tenure_days": ln(c[3]), "avg_order_value": spend / freq,
            "discount_share": share(c[4]), "return_rate": share(c[5]),
            "category_entropy": np.clip(rng.normal(1.5, 0.3, n), 0, None),
            "store_share": share(c[6]), "online_share": share(c[7]), "app_share": share(c[8]),
            "sessions": np.round(ln(c[9])), "cart_abandonment": share(c[10]),
            "email_clicks": np.round(ln(c[11])),
            "social_engagements": rng.poisson(2, n).astype(float),
            "support_contacts": rng.poisson(0.5, n).astype(float),
        }))
        truth.append(np.full(n, label))
    frame = pd.concat(parts, ignore_index=True)
    order = rng.permutation(len(frame))
    frame = frame.iloc[order].reset_index(drop=True)
    frame.index = pd.Index([f"c{i}" for i in range(len(frame))], name="customer_id")
    return frame, np.concatenate(truth)[order]


@pytest.fixture(scope="session")
def retail_frame():
    """The generator :func:`make_retail_frame`, for tests that plant their own segments."""
    return make_retail_frame


@pytest.fixture(scope="session")
def planted() -> tuple[pd.DataFrame, np.ndarray]:
    """Four well-separated planted segments, 1,600 customers."""
    sizes = {"loyal_store": 500, "discount_occ": 450, "app_abandoners": 350, "lapsed_big": 300}
    return make_retail_frame(sizes, seed=1)


@pytest.fixture(scope="session")
def planted_model(planted):
    """SegmentModel fitted on ``planted`` (shared: fitting is the slow part)."""
    from shopperlens.segmentation import SegmentModel

    return SegmentModel(k_range=(2, 6), n_resamples=2).fit(planted[0])


# --- data sets for the checks that names and labels are true of their members -------------
CDNOW_SAMPLE = Path(__file__).parents[1] / "data" / "cdnow" / "sample_transactions.csv"
CDNOW_AS_OF = datetime(1998, 7, 1)


def folder_features(folder: Path, as_of: datetime) -> pd.DataFrame:
    """The product's features of a data folder, as a run computes them."""
    from shopperlens.engines.duckdb import DuckDBEngine
    from shopperlens.features import compute_features
    from shopperlens.ingest import load_folder

    with DuckDBEngine(threads=1) as engine:
        load_folder(engine, folder)
        return compute_features(engine, as_of=as_of)


def one_time_heavy_shape(n: int = 3_000, seed: int = 7) -> pd.DataFrame:
    """A feature matrix unlike the demo's: 85% one-time buyers, recency in whole weeks
    (many ties), spend with a heavy tail, 2% without a purchase."""
    rng = np.random.default_rng(seed)
    freq = np.where(rng.random(n) < 0.85, 1.0, 1.0 + rng.geometric(0.3, n))
    recency = 7.0 * rng.integers(0, 80, n)
    tenure = recency + 7.0 * rng.integers(0, 40, n) * (freq > 1)
    aov = rng.lognormal(3.5, 0.9, n)
    frame = pd.DataFrame({
        "recency_days": recency, "frequency": freq, "monetary": aov * freq,
        "tenure_days": tenure, "avg_order_value": aov,
        "return_rate": np.where(rng.random(n) < 0.1, rng.uniform(0, 0.5, n), 0.0),
    })
    none = rng.random(n) < 0.02
    frame.loc[none, ["frequency", "monetary"]] = 0.0
    frame.loc[none, ["recency_days", "tenure_days", "avg_order_value"]] = np.nan
    frame.index = pd.Index([f"s{i}" for i in range(n)], name="customer_id")
    return frame


@pytest.fixture(scope="session")
def cdnow_features(tmp_path_factory) -> pd.DataFrame:
    """Features of the vendored CDNOW sample (2,357 real customers) as of 1998-07-01."""
    folder = tmp_path_factory.mktemp("cdnow")
    shutil.copy(CDNOW_SAMPLE, folder / "transactions.csv")
    return folder_features(folder, CDNOW_AS_OF)


@pytest.fixture(scope="session")
def demo_features(tmp_path_factory) -> pd.DataFrame:
    """Features of a small generated demo folder (400 customers)."""
    from shopperlens import demo

    folder = tmp_path_factory.mktemp("demo")
    demo.write(demo.generate(400, seed=3), folder)
    return folder_features(folder, datetime(2025, 12, 31))


@pytest.fixture(scope="session")
def shape_features() -> pd.DataFrame:
    """:func:`one_time_heavy_shape`, a synthetic shape apart from the demo generator
    (1,500 customers: the shape, not the size, is what its checks are about)."""
    return one_time_heavy_shape(1_500)
