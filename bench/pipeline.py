"""Rows per second per stage and peak memory of `shopperlens run`, against a baseline.

The baseline, measured in the same run on the same data (before and after the
pipeline; the ratio is against the mean of the two), is the plain script a data
team would write: pandas reads the order lines, computes RFM per customer and clusters
it with scikit-learn's k-means (k=6). ShopperLens does much more (five sources,
validation, text, model selection, rules, predictions, report), so the ratio says what
that costs.

    python bench/pipeline.py --customers 100000 1000000
    python bench/pipeline.py --data /path/to/demo-folder   # a folder made by `shopperlens demo`

Generation, the baseline and the pipeline each run in a fresh process, so the peak
memory (ru_maxrss) printed is the pipeline's own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _descendants() -> list[int]:
    """Process ids of this process's live descendants (Linux; none elsewhere)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    todo, found = [os.getpid()], []
    while todo:
        ancestor = todo.pop()
        kids = [pid for pid, parent in parents.items() if parent == ancestor]
        found += kids
        todo += kids
    return found


class TreePeak:
    """Peak resident memory of this process and its descendants together (the text
    scoring's worker processes, Spark's JVM), sampled every ``every`` seconds: ru_maxrss
    sees this process alone."""

    def __init__(self, every: float = 0.5) -> None:
        self.every, self.peak_gb = every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(self.every):
            pages = 0
            for pid in [os.getpid(), *_descendants()]:
                try:
                    pages += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
                except (OSError, IndexError, ValueError):
                    continue
            self.peak_gb = max(self.peak_gb, pages * page / 1024**3)

    def __enter__(self) -> TreePeak:
        if Path("/proc").is_dir():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def generate(customers: int, folder: Path) -> dict:
    from shopperlens import demo

    start = time.perf_counter()
    demo.write(demo.generate(customers, seed=0), folder, fmt="parquet")
    return {"generate_s": round(time.perf_counter() - start, 1)}


def baseline(folder: Path) -> dict:
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
    return {"baseline_s": round(time.perf_counter() - start, 1), "peak_memory_gb": _peak_gb()}


def pipeline(folder: Path, engine: str = "duckdb") -> dict:
    from shopperlens.batch import runner as run_module

    with tempfile.TemporaryDirectory() as out, TreePeak() as tree:
        start, cpu = time.perf_counter(), _cpu_s()
        result = run_module.run(folder, Path(out), engine=engine)
        wall = time.perf_counter() - start
    return {
        "pipeline_s": round(wall, 1),
        "cpu_s": round(_cpu_s() - cpu, 1),
        "stages_s": result.record["timings_s"],
        "peak_memory_gb": round(_peak_gb(), 2),
        "peak_memory_with_workers_gb": round(tree.peak_gb, 2),
    }


STEPS = {"generate": generate, "baseline": baseline, "pipeline": pipeline}


def _child(step: str, *args: str, script: str = __file__) -> dict:
    """Run ``script --step step args...`` in a fresh process; the last line it prints, as JSON."""
    done = subprocess.run(
        [sys.executable, script, "--step", step, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def input_rows(folder: Path) -> dict[str, int]:
    """Rows of each Parquet table of a demo folder."""
    return {p.stem: pq.ParquetFile(p).metadata.num_rows for p in sorted(folder.glob("*.parquet"))}


def measure(folder: Path) -> dict:
    rows = input_rows(folder)
    # The baseline runs before and after the pipeline: on a shared machine its speed
    # drifts (61.5 to 77.5 s within ten minutes here), and the mean tracks it better.
    before = _child("baseline", str(folder))["baseline_s"]
    figures = _child("pipeline", str(folder))
    after = _child("baseline", str(folder))["baseline_s"]
    base = (before + after) / 2
    total = sum(rows.values())
    figures.update(
        input_rows=rows,
        rows_per_s={
            stage: round(total / max(t, 1e-9)) for stage, t in figures["stages_s"].items()
        },
        baseline_rfm_kmeans_s={"before": before, "after": after},
        ratio_to_baseline=round(figures["pipeline_s"] / base, 2),
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--data", type=Path, help="an existing demo folder (Parquet)")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        step_args = [Path(a) for a in args.args]
        if args.step == "generate":
            print(json.dumps(generate(int(args.args[0]), Path(args.args[1]))))
        else:
            print(json.dumps(STEPS[args.step](*step_args)))
        return
    if args.data:
        print(json.dumps({"data": str(args.data), **measure(args.data)}, indent=2))
        return
    for n in args.customers:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "data"
            made = _child("generate", str(n), str(folder))
            print(json.dumps({"customers": n, **made, **measure(folder)}, indent=2))


if __name__ == "__main__":
    main()
