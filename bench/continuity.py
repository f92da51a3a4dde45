"""Segment ids across runs at consecutive quarter-ends (issue #31).

Each chain of runs goes through the real run, each run given the previous one
(``shopperlens.run(DATA, OUT, cutoff=Q, previous=PREVIOUS_OUT)``). Per run it prints:
the decision (the previous model kept, or the re-fit adopted), the features whose drift
(PSI, ageing apart) raised an alarm, the kept share (of the customers the previous model
leaves where they were, the share whose segment id did not change; the target is >= 97%)
and, beside it, the share the re-fit (its ids matched to the old ones) would have kept,
the births, deaths, splits, merges, shrinks and unmatched segments, and the previous
run's report card (realised /
expected orders since its cutoff, churn AUC).

Chains: CDNOW (tests/data/cdnow/master_transactions.csv) at 1997-06-30, 09-30, 12-31 and
1998-03-31; the demo at the quarter-ends of 2025; each shape of
bench/segmentation_suite.py (its generators) at 2025-06-30, 09-30 and 12-31. Then two
planted changes on the demo, each run at 2025-06-30 and 2025-09-30: ``birth`` (a group
of new customers with orders unlike anyone's appears after the first cutoff) and
``death`` (one persona's customers are gone from the second run's data); the second run
should report a birth, a death.

    python bench/continuity.py                    # 2,000 customers per synthetic chain
    python bench/continuity.py --customers 5000 --only demo cdnow planted
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from segmentation_suite import _shapes, write_demo, write_shape  # noqa: E402

CDNOW = HERE.parent / "tests" / "data" / "cdnow" / "master_transactions.csv"
CDNOW_QUARTERS = ("1997-06-30", "1997-09-30", "1997-12-31", "1998-03-31")
DEMO_QUARTERS = ("2025-03-31", "2025-06-30", "2025-09-30", "2025-12-30")
SHAPE_QUARTERS = ("2025-06-30", "2025-09-30", "2025-12-31")
PLANTED = ("2025-06-30", "2025-09-30")


def _row(chain: str, cutoff: str, record: dict, seconds: float) -> dict:
    learning = record.get("learning")
    row = {"chain": chain, "cutoff": cutoff, "seconds": round(seconds, 1)}
    if learning is None:
        return row
    kinds = [e["type"] for e in learning.get("events", [])]
    card = learning.get("report_card", {})
    row.update({
        "decision": learning["decision"], "version": learning["model_version"],
        "alarms": ",".join(learning.get("drift_alarms", [])) or "-",
        "stayers": learning["continuity"].get("stayers"),
        "kept": learning["continuity"].get("kept"),
        "kept_if_refitted": learning.get("kept_if_refitted"),
        **{k: kinds.count(k) for k in ("birth", "death", "split", "merge", "shrink",
                                        "unmatched")},
        "realised/expected": card.get("ratio"), "churn_auc": card.get("churn_auc"),
    })
    return row


def chain(name: str, data: Path | list[Path], cutoffs: tuple[str, ...], root: Path) -> list[dict]:
    """Runs at ``cutoffs``, each knowing the one before (``data`` per run when a list)."""
    import shopperlens

    rows, previous = [], None
    for i, cutoff in enumerate(cutoffs):
        out = root / f"{name}-{cutoff}"
        folder = data[i] if isinstance(data, list) else data
        start = time.perf_counter()
        result = shopperlens.run(folder, out, cutoff=cutoff, report=False, previous=previous)
        rows.append(_row(name, cutoff, result.record, time.perf_counter() - start))
        previous = out
    return rows


def cdnow_folder(root: Path) -> Path:
    folder = root / "cdnow"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CDNOW, folder / "transactions.csv")
    return folder


def plant_birth(folder: Path, share: float, seed: int) -> None:
    """New customers after the first planted cutoff: weekly big app orders in one
    category, unlike any persona."""
    rng = np.random.default_rng(seed)
    path = folder / "transactions.csv"
    tx = pd.read_csv(path)
    n = int(share * tx["customer_id"].nunique())
    start = pd.Timestamp(PLANTED[0]) + pd.Timedelta(days=1)
    rows = []
    for c in range(n):
        for k in range(rng.integers(8, 13)):
            when = start + pd.Timedelta(days=float(rng.uniform(0, 88)))
            price = float(rng.uniform(300, 500))
            rows.append({"customer_id": f"NEW{c:05d}", "order_id": f"NEW{c:05d}-{k}",
                         "timestamp": when.isoformat(), "amount": price, "quantity": 1,
                         "product_id": "GAR9999", "category": "garden", "unit_price": price,
                         "discount": 0.0, "channel": "app", "currency": "GBP"})
    pd.concat([tx, pd.DataFrame(rows)], ignore_index=True).to_csv(path, index=False)
    people = folder / "customers.csv"  # the demo's customers are those of its table
    if people.is_file():
        known = pd.read_csv(people)
        new = pd.DataFrame({"customer_id": [f"NEW{c:05d}" for c in range(n)],
                            "signup_date": start.isoformat(), "country": "GB",
                            "consent_profiling": True, "consent_marketing": True})
        pd.concat([known, new], ignore_index=True).to_csv(people, index=False)


def without_persona(folder: Path, target: Path, persona: str, personas: pd.Series) -> None:
    """``folder`` less every row of ``persona``'s customers."""
    gone = set(personas[personas == persona].index)
    target.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.csv"):
        frame = pd.read_csv(path)
        if "customer_id" in frame:
            frame = frame[~frame["customer_id"].isin(gone)]
        frame.to_csv(target / path.name, index=False)


def planted(n: int, seed: int, root: Path) -> list[dict]:
    born = root / "planted-birth"
    write_demo(n, born, seed)
    plant_birth(born, 0.08, seed)
    full = root / "planted-death-full"
    personas = write_demo(n, full, seed)
    less = root / "planted-death-less"
    without_persona(full, less, "Unhappy returners", personas)
    return (chain("demo+birth", born, PLANTED, root)
            + chain("demo-death", [full, less], PLANTED, root))


def _print(rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(frame.to_string(index=False, na_rep=""))
    kept = frame.dropna(subset=["kept"]) if "kept" in frame else frame.iloc[:0]
    normal = kept[~kept["chain"].str.startswith("demo+") & ~kept["chain"].str.startswith("demo-")]
    if len(normal):
        print(f"\nkept share over {len(normal)} consecutive runs: min {normal['kept'].min():.3f},"
              f" mean {normal['kept'].mean():.3f} (target >= 0.97)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None,
                        help="cdnow, demo, planted, or shape names")
    parser.add_argument("--keep", type=Path, default=None, help="keep the folders here")
    args = parser.parse_args(argv)
    names = args.only or ["cdnow", "demo", *_shapes(), "planted"]
    root = args.keep or Path(tempfile.mkdtemp(prefix="continuity-"))
    rows: list[dict] = []
    for name in names:
        if name == "cdnow":
            rows += chain("cdnow", cdnow_folder(root), CDNOW_QUARTERS, root)
        elif name == "demo":
            write_demo(args.customers, root / "demo", args.seed)
            rows += chain("demo", root / "demo", DEMO_QUARTERS, root)
        elif name == "planted":
            rows += planted(args.customers, args.seed, root)
        elif name != "demo":
            write_shape(_shapes()[name], args.customers, root / name, args.seed)
            rows += chain(name, root / name, SHAPE_QUARTERS, root)
        print(f"... {name} done", file=sys.stderr, flush=True)
    _print(rows)
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
