"""Synthetic, retail-like feature matrices with planted segments."""

from __future__ import annotations

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
