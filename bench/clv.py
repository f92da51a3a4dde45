"""Benchmark: BG/NBD + Gamma-Gamma on the full CDNOW file, ours against ``lifetimes``.

Usage::

    python bench/clv.py [PATH_TO_master_transactions.csv] [--repeats 3] [--cache-dir DIR]

Both libraries fit the *same* summary frame (ours, from ``summary_data``; calibration to
1997-09-30, holdout to 1998-06-30, weeks), so the times compare the model fits alone.
``lifetimes`` 0.11.3 needs old numpy/pandas/scipy, so it runs in a throwaway virtual
environment with pinned versions, created once under the cache directory and driven through
a subprocess. Prints wall times (best of ``--repeats``), the speed-up, parameters side by
side and the per-customer MAE of holdout purchase counts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

import numpy as np
import pandas as pd

from shopperlens.models import BetaGeoModel, GammaGammaModel, summary_data

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "tests/data/cdnow/master_transactions.csv"
PINS = ["lifetimes==0.11.3", "numpy==1.23.5", "pandas==1.5.3", "scipy==1.10.1", "autograd==1.5"]

LIFETIMES_SCRIPT = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
s = pd.read_csv(sys.argv[1])
repeats = int(sys.argv[2])
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    times.append(time.perf_counter() - t0)
pred = bg.conditional_expected_number_of_purchases_up_to_time(
    s["duration_holdout"], s["frequency"], s["recency"], s["T"])
print(json.dumps({
    "time": min(times),
    "bg": {k: float(v) for k, v in bg.params_.items()},
    "gg": {k: float(v) for k, v in gg.params_.items()},
    "mae": float(np.mean(np.abs(np.asarray(pred) - s["frequency_holdout"].to_numpy()))),
}))
"""


def lifetimes_python(cache_dir: Path) -> Path:
    """The interpreter of the cached lifetimes venv, created on first use."""
    python = cache_dir / "bin" / "python"
    marker = cache_dir / ".pins"
    if not (python.exists() and marker.exists() and marker.read_text() == " ".join(PINS)):
        print(f"creating lifetimes venv in {cache_dir} (once) ...", file=sys.stderr)
        venv.create(cache_dir, with_pip=True, clear=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS], check=True)
        marker.write_text(" ".join(PINS))
    return python


def fit_ours(summary: pd.DataFrame, repeats: int) -> tuple[float, BetaGeoModel, GammaGammaModel]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        bg = BetaGeoModel().fit(summary)
        rep = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
        gg = GammaGammaModel().fit(rep)
        times.append(time.perf_counter() - start)
    return min(times), bg, gg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path,
                        default=Path.home() / ".cache" / "shopperlens-bench" / "lifetimes-venv")
    args = parser.parse_args()

    tx = pd.read_csv(args.path, dtype={"customer_id": str})
    start = time.perf_counter()
    summary = summary_data(tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    summary_time = time.perf_counter() - start
    ours_time, bg, gg = fit_ours(summary, args.repeats)
    pred = bg.expected_purchases(summary["duration_holdout"].to_numpy(), summary)
    ours_mae = float(np.mean(np.abs(pred - summary["frequency_holdout"].to_numpy())))

    python = lifetimes_python(args.cache_dir)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "summary.csv"
        summary.to_csv(csv, index=False)
        out = subprocess.run([str(python), "-c", LIFETIMES_SCRIPT, str(csv), str(args.repeats)],
                             check=True, capture_output=True, text=True)
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    report(summary, summary_time, ours_time, bg, gg, ours_mae, theirs)


def report(summary: pd.DataFrame, summary_time: float, ours_time: float, bg: BetaGeoModel,
           gg: GammaGammaModel, ours_mae: float, theirs: dict) -> None:
    print(f"CDNOW master: {len(summary):,} customers; summary_data {summary_time:.3f} s")
    print(f"fit BG/NBD + Gamma-Gamma (best of runs): shopperlens {ours_time:.3f} s, "
          f"lifetimes {theirs['time']:.3f} s, speed-up {theirs['time'] / ours_time:.1f}x")
    print(f"{'param':<8}{'shopperlens':>14}{'lifetimes':>14}{'same 3 sig.':>13}")
    gg_theirs = {"p": theirs["gg"]["p"], "q": theirs["gg"]["q"], "v": theirs["gg"]["v"]}
    for name, ours, other in [*((k, bg.params_[k], theirs["bg"][k]) for k in bg.params_),
                              *((k, gg.params_[k], gg_theirs[k]) for k in gg.params_)]:
        same = f"{ours:.3g}" == f"{other:.3g}"
        print(f"{name:<8}{ours:>14.6f}{other:>14.6f}{str(same):>13}")
    print(f"holdout MAE of purchase counts per customer: shopperlens {ours_mae:.5f}, "
          f"lifetimes {theirs['mae']:.5f} (actual total {summary['frequency_holdout'].sum():,})")


if __name__ == "__main__":
    main()
