"""Rows per second per stage and peak memory of `shopperlens run`, against a baseline.

The baseline, measured in the same run on the same data, is the plain script a data
team would write: pandas reads the order lines, computes RFM per customer and clusters
it with scikit-learn's k-means (k=6). ShopperLens does much more (five sources,
validation, text, model selection, rules, predictions, report), so the ratio says what
that costs.

    python bench/pipeline.py --customers 100000 1000000

Each size runs in a fresh process so peak memory (ru_maxrss) is that size's own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _baseline(folder: Path) -> float:
    import numpy as np
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    start = time.perf_counter()
    tx = pd.read_parquet(
        folder / "transactions.parquet", columns=["customer_id", "order_id", "timestamp", "amount"]
    )
    as_of = tx["timestamp"].max()
    rfm = tx.groupby("customer_id").agg(
        recency=("timestamp", lambda t: (as_of - t.max()).days),
        frequency=("order_id", "nunique"),
        monetary=("amount", "sum"),
    )
    X = StandardScaler().fit_transform(np.log1p(rfm.clip(lower=0)))
    KMeans(n_clusters=6, n_init=3, random_state=0).fit(X)
    return time.perf_counter() - start


def measure(customers: int) -> dict:
    from shopperlens import demo, pipeline

    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "data", Path(tmp) / "out"
        start = time.perf_counter()
        data = demo.generate(customers, seed=0)
        demo.write(data, folder, fmt="parquet")
        rows = {name: len(frame) for name, frame in data.tables.items()}
        del data
        generate_s = time.perf_counter() - start
        baseline_s = _baseline(folder)
        start = time.perf_counter()
        result = pipeline.run(folder, out)
        total_s = time.perf_counter() - start
    timings = result.record["timings_s"]
    input_rows = sum(rows.values())
    return {
        "customers": customers,
        "input_rows": rows,
        "generate_s": round(generate_s, 1),
        "pipeline_s": round(total_s, 1),
        "stages_s": timings,
        "rows_per_s": {stage: round(input_rows / max(t, 1e-9)) for stage, t in timings.items()},
        "baseline_rfm_kmeans_s": round(baseline_s, 1),
        "ratio_to_baseline": round(total_s / baseline_s, 2),
        "peak_memory_gb": round(_peak_gb(), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    for n in args.customers:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=False
        )
        if done.returncode:
            print(f"{n:>10,} customers: failed\n{done.stderr[-2000:]}")
            continue
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
