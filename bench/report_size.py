"""Size of the HTML report for a 1M-customer run, and how fast Chromium draws it.

Targets (issue 3): under 15 MB and under 5 s to load and draw. The run is synthesised
(features, segments, predictions and text features for ``--customers`` customers; the
segment model is fitted on a 5,000-customer sample) so the pipeline is not what is timed.

Usage::

    python bench/report_size.py [--customers 1000000] [--out /tmp/report-1m.html]
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.offline

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.batch.result import RunResult
from shopperlens.ingest import TableQuality
from shopperlens.report import write_report
from shopperlens.segmentation import RFMGrid, SegmentModel

AS_OF = datetime(2025, 12, 31)
FEATURES = ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value",
            "discount_share", "return_rate", "store_share", "app_share", "cart_abandonment",
            "email_clicks", "support_contacts"]
# planted groups: means of the features above (shares as probabilities)
GROUPS = np.array([
    [20, 18, 2500, 600, 140, 0.02, 0.02, 0.80, 0.05, 0.10, 2, 0.2],
    [150, 2, 150, 300, 75, 0.60, 0.05, 0.10, 0.05, 0.30, 9, 0.3],
    [40, 8, 600, 400, 75, 0.05, 0.03, 0.05, 0.90, 0.70, 1, 0.1],
    [90, 5, 800, 500, 160, 0.10, 0.45, 0.30, 0.20, 0.20, 1, 3.0],
    [25, 1, 90, 40, 90, 0.10, 0.02, 0.40, 0.30, 0.30, 1, 0.1],
])


def synthetic_features(n: int, seed: int) -> pd.DataFrame:
    """``n`` customers drawn around the planted groups (vectorised)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, len(GROUPS), n)
    mean = GROUPS[group]
    values = mean * rng.lognormal(0.0, 0.35, mean.shape)
    shares = [FEATURES.index(c) for c in FEATURES if c.endswith(("share", "rate", "abandonment"))]
    values[:, shares] = np.clip(mean[:, shares] + rng.normal(0, 0.08, (n, len(shares))), 0, 1)
    frame = pd.DataFrame(values, columns=FEATURES)
    frame["frequency"] = np.maximum(1, np.round(frame["frequency"]))
    frame.index = pd.Index([f"C{i:07d}" for i in range(n)], name=s.CUSTOMER_ID)
    frame["sentiment_mean"] = np.clip(rng.normal(0.2, 0.4, n), -1, 1)
    frame["dominant_emotion"] = rng.choice(["joy", "trust", "anger", "sadness", "surprise"], n)
    return frame


def synthetic_result(n: int, seed: int = 0) -> RunResult:
    """A RunResult of ``n`` customers with predictions and text features."""
    t0 = time.perf_counter()
    features = synthetic_features(n, seed)
    sample = features.sample(min(n, 5_000), random_state=seed)
    seg = SegmentModel(k_range=(3, 6), algorithms=("kmeans",), n_resamples=1,
                       sample_size=5_000, random_state=seed).fit(sample[FEATURES])
    model = SavedSegmentModel(seg, RFMGrid().fit(sample), FEATURES, AS_OF.isoformat())
    ids = seg.predict(features[FEATURES])
    segments = pd.DataFrame({
        s.CUSTOMER_ID: features.index, s.SEGMENT_ID: ids,
        s.SEGMENT_NAME: pd.Series(ids).map(seg.names_).to_numpy(),
        s.RFM_SEGMENT: model.rfm.predict(features), s.SEGMENT_REASON: "",
    })
    rng = np.random.default_rng(seed)
    predictions = pd.DataFrame({
        s.CUSTOMER_ID: features.index, "p_alive": rng.uniform(0, 1, n),
        "expected_orders_90d": rng.gamma(1.0, 1.0, n), "expected_clv_365d": rng.gamma(2, 150, n),
        "churn_risk": rng.uniform(0, 1, n),
    })
    quality = {"transactions": TableQuality(
        "transactions", "transactions.parquet", 20 * n + 500, 20 * n, 500,
        rejected_by_reason={"amount is not a number": 500},
        date_min="2024-01-01T00:00:00", date_max="2025-12-30T23:00:00")}
    record = {"seed": seed, "versions": {}, "timings_s": {}, "parameters": {}, "metrics": {}}
    print(f"synthesised {n:,} customers in {time.perf_counter() - t0:.1f} s")
    return RunResult(None, AS_OF, features, segments, seg.profiles_.copy(), predictions,
                     quality, model, record)


def browser_seconds(path: Path) -> float:
    """Seconds from navigation until every chart has drawn its SVG, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        start = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_function("[...document.querySelectorAll('.plotly-graph-div')]"
                               ".every(d => d.querySelector('.main-svg'))", timeout=120_000)
        elapsed = time.perf_counter() - start
        browser.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/shopperlens-report-bench.html"))
    args = parser.parse_args()
    result = synthetic_result(args.customers)
    start = time.perf_counter()
    path = write_report(result, args.out)
    render = time.perf_counter() - start
    size = path.stat().st_size / 1e6
    print(f"render: {render:.1f} s  size: {size:.2f} MB (target < 15 MB)  -> {path}")
    runs = [browser_seconds(path) for _ in range(3)]
    print(f"chromium load+draw: best {min(runs):.2f} s, runs {', '.join(f'{r:.2f}' for r in runs)}"
          " (target < 5 s)")
    # The fixed cost every report pays: parsing the inlined Plotly.js on an empty page.
    empty = args.out.with_name("plotly-only.html")
    empty.write_text("<!DOCTYPE html><html><head><script>" + plotly.offline.get_plotlyjs()
                     + "</script></head><body><div class='plotly-graph-div'><svg class='main-svg'>"
                     "</svg></div></body></html>", encoding="utf-8")
    base = [browser_seconds(empty) for _ in range(3)]
    print(f"of which Plotly.js alone (empty page): best {min(base):.2f} s")


if __name__ == "__main__":
    main()
