"""How time and peak memory of `shopperlens run` grow from 1M to 10M demo customers.

    python bench/scale.py                                  # 1M, 5M and 10M customers, DuckDB
    python bench/scale.py --customers 1000000 --spark      # and 1M on Spark local[2]
    python bench/scale.py --data-root /data/scale          # keep (and reuse) DIR/<n>

Each size's Parquet demo folder (DIR/<n>) is written chunk by chunk with
`shopperlens.demo.write_large`, in bounded memory, unless it already exists. The pipeline
then runs in a fresh process per size, as in bench/pipeline.py, so the peak memory
(ru_maxrss) is the pipeline's own; on Spark, the JVM's peak (VmHWM) is reported beside it.
Acceptance: seconds per customer at the largest size at most 1.3x the smallest size's,
and peak memory under 12 GB.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from shopperlens.demo import DEFAULT_CHUNK

DEFAULT_SIZES = (1_000_000, 5_000_000, 10_000_000)
MAX_RATIO = 1.3  # time per customer, largest size over smallest
MAX_PEAK_GB = 12.0


def _bench_module(name: str):  # noqa: ANN202 - a module
    """A sibling script of bench/ as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", Path(__file__).with_name(
        f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


common = _bench_module("pipeline")


# Steps, each run in a fresh process ---------------------------------------------------
def generate(customers: int, folder: Path, chunk: int) -> dict:
    from shopperlens import demo

    start = time.perf_counter()
    demo.write_large(customers, folder, seed=0, chunk=chunk, fmt="parquet")
    return {"generate_s": round(time.perf_counter() - start, 1),
            "generate_peak_gb": round(common._peak_gb(), 2)}


def pipeline(folder: Path, engine: str) -> dict:
    figures = common.pipeline(folder, engine)
    if engine == "spark":
        from shopperlens.engines.spark import DEFAULT_MASTER

        # The JVM is a child process: its memory and CPU are not in ru_maxrss / cpu_s.
        figures.update(spark_master=DEFAULT_MASTER, **_children_usage())
    return figures


def _children_usage() -> dict:
    """Peak memory (VmHWM) and CPU seconds of this process's live descendants (Linux)."""
    if not Path("/proc").is_dir():
        return {}
    descendants = common._descendants()
    peak_kb = ticks = 0
    for pid in descendants:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        peak_kb += int(found.group(1)) if found else 0
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return {"jvm_peak_memory_gb": round(peak_kb / 1024**2, 2),
            "jvm_cpu_s": round(ticks / os.sysconf("SC_CLK_TCK"), 1)}


STEPS = {"generate": generate, "pipeline": pipeline}


# The driver ---------------------------------------------------------------------------
def _child(step: str, *args: object) -> dict:
    return common._child(step, *map(str, args), script=__file__)


def prepare(customers: int, root: Path, chunk: int) -> tuple[Path, dict]:
    """The demo folder of ``customers`` under ``root``: reused, or made (atomically)."""
    folder = root / str(customers)
    if folder.is_dir():
        return folder, {"generated": False}
    partial = root / f"{customers}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    made = _child("generate", customers, partial, chunk)
    partial.rename(folder)  # an interrupted generation is never mistaken for a folder
    return folder, {"generated": True, **made}


def measure(customers: int, folder: Path, engine: str, base: dict | None) -> dict:
    """One pipeline run; ``ratio`` is its time per customer over that of ``base``."""
    rows = common.input_rows(folder)
    figures = _child("pipeline", folder, engine)
    per_1k = figures["pipeline_s"] / (customers / 1000)
    return {
        "customers": customers,
        "engine": engine,
        "input_rows": rows,
        **figures,
        "s_per_1k_customers": round(per_1k, 4),
        "ratio": round(per_1k / base["s_per_1k_customers"], 2) if base else 1.0,
    }


def summary(results: list[dict]) -> str:
    """A plain-text table of every run, and the acceptance verdict."""
    stages = list(dict.fromkeys(s for r in results for s in r["stages_s"]))
    head = ["engine", "customers", "gen_s", "wall_s", *stages, "cpu_s", "peak_gb", "s/1k",
            "ratio"]
    lines = [head]
    for r in results:
        peak = _peak(r)
        cpu = r["cpu_s"] + r.get("jvm_cpu_s", 0.0)
        lines.append([r["engine"], f"{r['customers']:,}", str(r.get("generate_s", "-")),
                      str(r["pipeline_s"]), *(f"{r['stages_s'].get(s, 0):.1f}" for s in stages),
                      f"{cpu:.1f}", f"{peak:.2f}", f"{r['s_per_1k_customers']:.3f}",
                      str(r["ratio"])])
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    table = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in lines]
    return "\n".join([*table, *_verdict(results)])


def _peak(r: dict) -> float:
    """Peak memory of a run in GB: the process tree's (sampled), and never below the
    process's own, plus on Spark the JVM's (together an upper bound)."""
    return max(r["peak_memory_gb"] + r.get("jvm_peak_memory_gb", 0.0),
               r.get("peak_memory_with_workers_gb", 0.0))


def _verdict(results: list[dict]) -> list[str]:
    duckdb = sorted((r for r in results if r["engine"] == "duckdb"), key=lambda r: r["customers"])
    if not duckdb:
        return []
    largest, peak = duckdb[-1], max(_peak(r) for r in duckdb)
    ok = largest["ratio"] <= MAX_RATIO and peak < MAX_PEAK_GB
    return [f"time per customer at {largest['customers']:,} is {largest['ratio']}x that at "
            f"{duckdb[0]['customers']:,} (limit {MAX_RATIO}x); peak memory {peak:.2f} GB "
            f"(limit {MAX_PEAK_GB:.0f} GB): {'PASS' if ok else 'FAIL'}"]


def run(sizes: list[int], root: Path, chunk: int, spark: bool, driver_memory: str | None
        ) -> list[dict]:
    """Every size on DuckDB, then the smallest on Spark; one JSON document per run.

    Ratios compare with the smallest size on DuckDB (Spark: with DuckDB on the same data).
    """
    results: list[dict] = []
    for n in sorted(sizes):
        folder, made = prepare(n, root, chunk)
        results.append({**measure(n, folder, "duckdb", results[0] if results else None),
                        **made})
        print(json.dumps(results[-1], indent=2), flush=True)
    if spark:
        if driver_memory:  # read by PySpark when it launches the JVM
            os.environ["PYSPARK_SUBMIT_ARGS"] = f"--driver-memory {driver_memory} pyspark-shell"
        results.append(measure(results[0]["customers"], root / str(results[0]["customers"]),
                               "spark", results[0]))
        print(json.dumps(results[-1], indent=2), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--data-root", type=Path,
                        help="keep the demo folders in DIR/<n> (reused when present)")
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK,
                        help="customers generated at a time (memory of generation)")
    parser.add_argument("--spark", action="store_true",
                        help="also run the smallest size on Spark (local[2])")
    parser.add_argument("--spark-driver-memory", help="e.g. 8g (Spark's default: 1g)")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "generate":
        print(json.dumps(generate(int(args.args[0]), Path(args.args[1]), int(args.args[2]))))
    elif args.step == "pipeline":
        print(json.dumps(pipeline(Path(args.args[0]), args.args[1])))
    else:
        if args.data_root:
            args.data_root.mkdir(parents=True, exist_ok=True)
        root = (nullcontext(str(args.data_root)) if args.data_root
                else tempfile.TemporaryDirectory(prefix="shopperlens-scale-"))
        with root as folder:
            results = run(args.customers, Path(folder), args.chunk, args.spark,
                          args.spark_driver_memory)
        print(summary(results))


if __name__ == "__main__":
    main()
