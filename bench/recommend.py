"""Recommendations: a temporal backtest against popularity, ALS and BPR, and the
service's latency.

Run: ``python bench/recommend.py [--deps DIR] [--customers N] [--latency-calls N]``.

Each data set is cut at a date: every model is fitted on what came before and scored on
the products each customer bought (rated, for MovieLens) after it, top 10, printing
precision@10, recall@10, nDCG@10 and catalogue coverage (share of the catalogue
recommended to someone) in one table, with ours' ratio to popularity and to the best
plain library model of the same run:

- ``demo``: the demo retailer (planted per-persona product affinities), cut 90 days
  before its end; ours is given the segments of a ShopperLens run on the data before
  the cut.
- ``ml-100k``: MovieLens 100K, as shipped inside the ``recbole`` wheel (MIT-licensed
  code; the data's own licence allows research use and forbids redistribution, so it
  is read from the installed package, never copied here); cut at the 80th percentile of
  time.
- ``shape``: a synthetic shape apart from the demo (a few taste groups, long-tailed
  products, most customers buying once or twice), cut at its 80th percentile of time.

The baselines need ``implicit`` (ALS, BPR) and ``recbole`` (only for its data files),
installed in a bench folder, never the product's environment:
``pip install --no-deps --target /work/benchdeps/rec implicit recbole`` and pass
``--deps /work/benchdeps/rec`` (or set ``SHOPPERLENS_BENCH_DEPS``).

The latency part starts the service app in process (Starlette's TestClient) on the demo
run and times ``GET /v1/profiles/{id}/recommendations`` and ``.../next-best-offer``
after product views arrive, printing p50/p99 in milliseconds against the profile read
(``GET /v1/profiles/{id}``) of the same run as the baseline.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

K = 10
Recommender = Callable[[np.ndarray], np.ndarray]  # user rows -> (users x K) item indices


def add_deps(path: str | None) -> None:
    folder = path or os.environ.get("SHOPPERLENS_BENCH_DEPS")
    if folder:
        sys.path.insert(0, folder)


# -- data ---------------------------------------------------------------------------
def movielens() -> pd.DataFrame:
    spec = importlib.util.find_spec("recbole")
    if spec is None or spec.origin is None:
        raise SystemExit("ml-100k needs recbole's data files: see --deps in the docstring.")
    path = Path(spec.origin).parent / "dataset_example" / "ml-100k" / "ml-100k.inter"
    frame = pd.read_csv(path, sep="\t")
    frame.columns = ["customer_id", "product_id", "rating", "t"]
    frame["t"] = frame["t"] / 86400.0
    return frame.assign(customer_id=frame["customer_id"].astype(str),
                        product_id=frame["product_id"].astype(str), order_id=np.arange(len(frame)))


def demo(n: int, folder: Path) -> tuple[pd.DataFrame, dict, float]:
    """The demo's order lines, the segments of a run before the cut, and the cut."""
    from shopperlens.batch.runner import run
    from shopperlens.demo import generate, write
    from shopperlens.timewindow import epoch_days

    data = generate(n, seed=7)
    write(data, folder)
    lines = data.tables["transactions"]
    lines = lines[lines["amount"] > 0]
    stamps = pd.to_datetime(lines["timestamp"], utc=True)
    cut = stamps.max().normalize() - pd.Timedelta(days=90)
    lines = lines.assign(t=[epoch_days(x) for x in stamps])
    result = run(folder, cutoff=(cut - pd.Timedelta(days=1)).date().isoformat(), report=False)
    segments = dict(zip(result.segments["customer_id"].astype(str),
                        result.segments["segment_id"], strict=True))
    return lines, segments, epoch_days(cut)


def shape(seed: int = 3) -> pd.DataFrame:
    """A synthetic shape apart from the demo: 6 taste groups over 3,000 products with
    Zipf popularity, 4,000 customers buying 1 to 6 times over a year."""
    rng = np.random.default_rng(seed)
    n_users, n_items, groups = 4000, 3000, 6
    group_of = rng.integers(0, groups, n_users)
    base = 1.0 / np.arange(1, n_items + 1) ** 0.9
    taste = np.stack([base * rng.gamma(0.3, 1.0, n_items) for _ in range(groups)])
    taste /= taste.sum(axis=1, keepdims=True)
    orders = 1 + rng.poisson(1.2, n_users)
    user = np.repeat(np.arange(n_users), orders)
    item = np.array([rng.choice(n_items, p=taste[group_of[u]]) for u in user])
    t = 19000.0 + rng.uniform(0, 365, len(user))
    return pd.DataFrame({"customer_id": user.astype(str), "product_id": item.astype(str),
                         "t": t, "order_id": np.arange(len(user)).astype(str)})


# -- the backtest -------------------------------------------------------------------
def split(frame: pd.DataFrame, cut: float) -> tuple[pd.DataFrame, dict[str, set[str]]]:
    train = frame[frame["t"] < cut]
    test = frame[frame["t"] >= cut]
    truth = test.groupby("customer_id")["product_id"].agg(set).to_dict()
    return train, truth


def metrics(recs: dict[str, list[str]], truth: dict[str, set[str]], n_items: int) -> dict:
    precision, recall, ndcg = [], [], []
    discount = 1.0 / np.log2(np.arange(2, K + 2))
    for customer, wanted in truth.items():
        got = recs.get(customer, [])[:K]
        hits = np.array([p in wanted for p in got] + [False] * (K - len(got)))
        precision.append(hits.sum() / K)
        recall.append(hits.sum() / len(wanted))
        ideal = discount[:min(len(wanted), K)].sum()
        ndcg.append((hits * discount).sum() / ideal)
    shown = {p for items in recs.values() for p in items[:K]}
    return {"precision@10": np.mean(precision), "recall@10": np.mean(recall),
            "ndcg@10": np.mean(ndcg), "coverage": len(shown) / n_items}


def matrix(train: pd.DataFrame) -> tuple[sp.csr_matrix, pd.Index, pd.Index]:
    users = pd.Index(np.unique(train["customer_id"]))
    items = pd.Index(np.unique(train["product_id"]))
    rows = users.get_indexer(train["customer_id"])
    cols = items.get_indexer(train["product_id"])
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                      shape=(len(users), len(items)))
    m.sum_duplicates()
    return m, users, items


def popularity(train: pd.DataFrame, customers: list[str]) -> dict[str, list[str]]:
    top = train.groupby("product_id").size().sort_values(ascending=False, kind="stable")
    best = list(top.index[:K])
    return {c: best for c in customers}


def library(kind: str, train: pd.DataFrame, customers: list[str], *, filter_seen: bool,
            seed: int = 0) -> dict[str, list[str]]:
    """Plain implicit ALS or BPR with the library's defaults; customers it has not seen
    get the popular products."""
    from implicit.als import AlternatingLeastSquares
    from implicit.bpr import BayesianPersonalizedRanking

    m, users, items = matrix(train)
    model = (AlternatingLeastSquares(random_state=seed) if kind == "als"
             else BayesianPersonalizedRanking(random_state=seed))
    model.fit(m, show_progress=False)
    out = popularity(train, customers)
    rows = users.get_indexer(customers)
    known = np.flatnonzero(rows >= 0)
    ids, _ = model.recommend(rows[known], m[rows[known]], N=K,
                             filter_already_liked_items=filter_seen)
    for i, r in zip(known, ids, strict=True):
        out[customers[i]] = list(items[r[r >= 0]])
    return out


def ours(train: pd.DataFrame, customers: list[str], cut: float,
         segments: dict | None = None) -> dict[str, list[str]]:
    from shopperlens.recommend import ItemKNNRecommender

    model = ItemKNNRecommender().fit(train, as_of=cut, segments=segments)
    recs = model.recommend(customers, n=K, segments=segments)
    return recs.groupby("customer_id", sort=False)["product_id"].agg(list).to_dict()


def backtest(name: str, frame: pd.DataFrame, cut: float, segments: dict | None = None
             ) -> list[dict]:
    train, truth = split(frame, cut)
    customers = sorted(truth)
    n_items = train["product_id"].nunique()
    rows = []
    runs: list[tuple[str, Callable[[], dict]]] = [
        ("popularity", lambda: popularity(train, customers)),
        ("ALS", lambda: library("als", train, customers, filter_seen=True)),
        ("ALS (seen kept)", lambda: library("als", train, customers, filter_seen=False)),
        ("BPR", lambda: library("bpr", train, customers, filter_seen=True)),
        ("BPR (seen kept)", lambda: library("bpr", train, customers, filter_seen=False)),
        ("ShopperLens item-kNN", lambda: ours(train, customers, cut, segments)),
    ]
    for label, fit in runs:
        start = time.perf_counter()
        scores = metrics(fit(), truth, n_items)
        rows.append({"data": name, "model": label, **scores,
                     "seconds": time.perf_counter() - start})
    return rows


def verdict(rows: list[dict]) -> None:
    table = pd.DataFrame(rows)
    for name, part in table.groupby("data", sort=False):
        p = part.set_index("model")["precision@10"]
        best_lib = p.drop(["popularity", "ShopperLens item-kNN"]).max()
        print(f"{name}: precision@10 ours / popularity = "
              f"{p['ShopperLens item-kNN'] / p['popularity']:.2f}x, "
              f"ours / best plain library model = {p['ShopperLens item-kNN'] / best_lib:.2f}x")


# -- latency ------------------------------------------------------------------------
def latency(folder: Path, calls: int) -> None:
    """p50/p99 of the two endpoints after product views arrive, and of the profile read:
    through HTTP (Starlette's in-process client, which adds its own overhead to every
    call) and of the handlers alone (store read and scoring)."""
    from fastapi.testclient import TestClient

    from shopperlens.batch.runner import run
    from shopperlens.service.app import create_app
    from shopperlens.service.routers import profiles, recommendations
    from shopperlens.service.settings import ServiceSettings

    out = folder / "run"
    run(folder, out, report=False)
    settings = ServiceSettings(model_dir=out, store_url=f"sqlite:///{folder / 'store.db'}")
    ids = pd.read_parquet(out / "segments.parquet")["customer_id"].astype(str).tolist()
    items = pd.read_parquet(out / "recommendations.parquet")["product_id"].unique().tolist()
    rng = np.random.default_rng(0)
    http: dict[str, list[float]] = {"profile": [], "recommendations": [], "next-best-offer": []}
    handler: dict[str, list[float]] = {k: [] for k in http}
    app = create_app(settings)
    rt, live = app.state.runtime, app.state.recommender
    calls_of = {
        "profile": lambda c: profiles._profile(c, rt.store, rt.clock, rt.model),
        "recommendations": lambda c: recommendations._recs(c, rt.store, rt.clock, live),
        "next-best-offer": lambda c: recommendations._offer(c, rt.store, rt.clock, live),
    }
    with TestClient(app) as client:
        for i in range(calls):
            cid = ids[int(rng.integers(len(ids)))]
            client.post("/v1/track", json={
                "userId": cid, "event": "Product Viewed", "messageId": f"m{i}",
                "properties": {"product_id": items[int(rng.integers(len(items)))]}})
            for label, path in (("profile", ""), ("recommendations", "/recommendations"),
                                ("next-best-offer", "/next-best-offer")):
                start = time.perf_counter()
                answer = client.get(f"/v1/profiles/{cid}{path}")
                http[label].append((time.perf_counter() - start) * 1000)
                assert answer.status_code == 200, answer.text
                start = time.perf_counter()
                calls_of[label](cid)
                handler[label].append((time.perf_counter() - start) * 1000)
    for where, timings in (("HTTP", http), ("handler", handler)):
        for label, ms in timings.items():
            print(f"  {where:<7} GET {label:<16} p50 {np.percentile(ms, 50):6.2f} ms  "
                  f"p99 {np.percentile(ms, 99):6.2f} ms  ({calls} calls)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deps", help="folder holding implicit and recbole")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--latency-calls", type=int, default=300)
    parser.add_argument("--only", choices=["demo", "ml-100k", "shape", "latency"])
    args = parser.parse_args()
    add_deps(args.deps)
    pd.set_option("display.width", 160)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        if args.only in (None, "demo"):
            lines, segments, cut = demo(args.customers, folder)
            rows += backtest("demo", lines, cut, segments)
        if args.only in (None, "ml-100k"):
            frame = movielens()
            rows += backtest("ml-100k", frame, float(frame["t"].quantile(0.8)))
        if args.only in (None, "shape"):
            frame = shape()
            rows += backtest("shape", frame, float(frame["t"].quantile(0.8)))
        if rows:
            print(pd.DataFrame(rows).round(4).to_string(index=False))
            verdict(rows)
        if args.only in (None, "latency"):
            if not folder.exists():
                from shopperlens.demo import generate, write
                write(generate(args.customers, seed=7), folder)
            print("service latency (in process, SQLite store):")
            latency(folder, args.latency_calls)


if __name__ == "__main__":
    main()
