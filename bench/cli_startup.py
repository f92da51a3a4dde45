"""Start-up time of the CLI and of the package, beside a bare interpreter measured in the same run.

    python bench/cli_startup.py [--repeats 7]

Times, each in a fresh subprocess, ``shopperlens --help`` (the console script's entry point,
``shopperlens.cli:app``, run as the script does), ``import shopperlens.errors`` (what any
tool importing one exception class pays) and the baseline ``python -c pass``. Prints the
median and the fastest of ``--repeats`` runs of each, and each median minus the baseline's:
the part the package itself costs. The runs are interleaved (baseline, help, import,
baseline, ...) so a machine that drifts during the run shifts all three alike. Target
(issue 26): ``shopperlens --help`` under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass (baseline)": "pass",
    "shopperlens --help": (
        "import sys; sys.argv = ['shopperlens', '--help']\n"
        "from shopperlens.cli import app\n"
        "app()"
    ),
    "import shopperlens.errors": "import shopperlens.errors",
}


def _once(code: str) -> float:
    """Wall-clock seconds of one fresh interpreter running ``code``."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:  # --help exits 0; anything else is a broken measurement
        raise SystemExit(f"{code!r} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def measure(repeats: int) -> dict[str, list[float]]:
    """Seconds of each command, interleaved run by run."""
    for code in COMMANDS.values():  # warm the file cache once, not timed
        _once(code)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeats):
        for name, code in COMMANDS.items():
            times[name].append(_once(code))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs of each command")
    args = parser.parse_args()
    times = measure(max(1, args.repeats))
    baseline = statistics.median(next(iter(times.values())))
    print(f"{'command':<28} {'median':>8} {'fastest':>8} {'minus baseline':>15}")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(f"{name:<28} {median:>7.3f}s {min(seconds):>7.3f}s {median - baseline:>14.3f}s")
    print(f"({args.repeats} runs each, {sys.executable})")


if __name__ == "__main__":
    main()
