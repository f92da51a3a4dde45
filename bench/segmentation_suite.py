"""Segments against known groups on structurally different retailers (issue #27).

Each shape is a synthetic retailer written independently of the demo generator: its
customers belong to groups known by construction, its data folder has the contract's
shape (``transactions.csv``, optionally ``events.csv`` and ``customers.csv``) and goes
through the real run (``shopperlens.run(DATA, OUT, report=False)``). Per shape the suite
prints the adjusted Rand index (ARI) of the run's segments against the true groups, the
number of segments found against the truth, and a plain scikit-learn baseline run in the
same process on the same customers: k-means on standardised RFM, browsing and channel
features (log1p of amounts and counts), k from 2 to 10 chosen by silhouette. Then the
mean and the minimum over the shapes. The demo (``shopperlens demo``, personas as truth)
is one shape among the others, not the target.

Two columns tell where a shortfall comes from: ``true_k_ari`` is k-means told the true
number of groups in the run's own clustering space (evidence-shrunk, scaled, weighted
columns), so a low ARI with a high ``true_k_ari`` blames the choice of k, and a low
``true_k_ari`` blames the space itself; ``selection_s`` is the run's segmentation step.
``told_ari`` (and ``told_k``) is the run's model re-fitted with the facets that define
the shape's groups named, every other facet describe-only: what a retailer gets who says
which families define segments (``SHOPPERLENS_SEGMENT_DESCRIBE_ONLY``).

The real CDNOW file has no known groups: for it the suite prints the stability of the
segments across resamples (mean ARI between the segmentation fitted on all customers and
those fitted on half-samples, each labelling every customer), for the run's model and
for the baseline.

    python bench/segmentation_suite.py                       # 3,000 customers per shape
    python bench/segmentation_suite.py --customers 5000 --shapes lifecycle channels
    python bench/segmentation_suite.py --cdnow path/to/master_transactions.csv
    SHOPPERLENS_SEGMENT_NUISANCE='["channel"]' python bench/segmentation_suite.py

Every run's outputs are checked against the corpus invariants (tests/corpus/invariants.py:
every customer once, coherent probabilities, names true of their members): the column
``invariants`` counts the broken ones, each printed on stderr.

Settings reach the run through the environment, as in the last line (the retailer's
say on which facets define segments). ``--keep DIR`` keeps the folders, outputs and
truths for a closer look.

Shapes (groups; what defines them; what varies inside them as nuisance):

* ``lifecycle``: 6 groups by recency, frequency, tenure and spend; channel mix, region.
* ``browsing``: 4 groups by browsing and e-mail behaviour, similar orders; channel mix.
* ``channels``: 3 groups by channel (50% store); spend and frequency vary widely.
* ``long_tail``: 9 groups from 2% to 30% defined by different families; channel mix.
* ``overlap``: 4 value tiers whose spend and frequency overlap; channel mix, region.
* ``heavy_spend``: 4 groups by frequency and recency, Pareto-tailed spend inside each.
* ``transactions_only``: 5 groups by RFM, discounts, returns and category range; a
  transactions file with no channel, no events and no customer table.
* ``demo``: the project's own demo generator, its personas as truth.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import StandardScaler

END = pd.Timestamp("2025-12-31T20:00:00")
CATEGORIES = ("grocery", "fashion", "home", "beauty", "toys", "sports", "books", "garden")
REGIONS = ("North", "South", "East", "West", "Central")
# Nuisance channel preferences (store, online, app): a customer of any group has one.
CHANNEL_PREFERENCES = ((0.85, 0.1, 0.05), (0.1, 0.8, 0.1), (0.1, 0.2, 0.7))
BASELINE_FEATURES = (
    "recency_days", "frequency", "monetary", "tenure_days", "avg_order_value",
    "sessions", "product_views", "add_to_cart_rate", "cart_abandonment", "email_clicks",
    "store_share", "online_share", "app_share",
)
LOGGED = {"frequency", "monetary", "avg_order_value", "sessions", "product_views",
          "email_clicks"}


@dataclass(frozen=True)
class Group:
    """How one true group behaves. Ranges are uniform draws per customer."""

    share: float
    orders: float = 3.0  # mean number of orders (at least one)
    recency: tuple[float, float] = (0, 60)  # days since last order
    tenure: tuple[float, float] = (400, 700)  # days since first order
    aov: float = 50.0  # median order value
    sigma: float = 0.35  # log-normal spread of order values
    pareto: float = 0.0  # > 0: Pareto tail index of a per-customer spend multiplier
    discount: float = 0.1  # share of lines bought on discount
    returns: float = 0.0  # probability that an order is partly returned
    categories: int = 2  # categories the customer buys from
    channels: tuple[float, float, float] | None = None  # None: the nuisance preference
    sessions: float = 2.0  # mean browsing sessions
    views: float = 2.0  # product views per session
    add_rate: float = 0.2  # probability a session adds to cart
    abandon: float = 0.3  # probability an add is not bought
    email: float = 0.5  # mean e-mail clicks


@dataclass(frozen=True)
class Shape:
    name: str
    groups: tuple[Group, ...]
    events: bool = True
    customers_table: bool = True
    channel: bool = True
    defines: tuple[str, ...] = ()  # facets the groups differ on by construction; () = all
    notes: str = ""
    extra: dict = field(default_factory=dict)


def _shapes() -> dict[str, Shape]:
    g = Group
    lapsed = dict(recency=(300, 600), tenure=(500, 720))
    shapes = [
        Shape("lifecycle", (
            g(0.12, orders=14, recency=(0, 30), aov=90, sessions=6),  # best customers
            g(0.22, orders=5, recency=(10, 120), aov=45),  # regulars
            g(0.18, orders=1.3, recency=(0, 80), tenure=(0, 90), sessions=4),  # new
            g(0.10, orders=10, recency=(200, 380), aov=85, sessions=1),  # lapsing value
            g(0.30, orders=1.2, aov=35, sessions=0.3, **lapsed),  # lapsed one-offs
            g(0.08, orders=3, recency=(20, 200), aov=220, sigma=0.3),  # big baskets
        ), defines=("lifecycle", "value")),
        Shape("browsing", (
            g(0.20, orders=1.5, sessions=25, views=6, add_rate=0.1),  # window shoppers
            g(0.15, orders=3, sessions=10, add_rate=0.7, abandon=0.85),  # cart abandoners
            g(0.25, orders=3, sessions=1, email=8),  # e-mail engaged
            g(0.40, orders=3, sessions=0.5, email=0.2),  # quiet buyers
        ), defines=("browsing", "engagement")),
        Shape("channels", (
            g(0.50, orders=4, aov=40, sigma=0.9, channels=(0.95, 0.05, 0.0)),
            g(0.35, orders=4, aov=60, sigma=0.9, channels=(0.05, 0.95, 0.0)),
            g(0.15, orders=4, aov=50, sigma=0.9, channels=(0.0, 0.1, 0.9)),
        ), defines=("channel",)),
        Shape("long_tail", (
            g(0.30, orders=2, aov=40),
            g(0.20, orders=8, recency=(0, 40), aov=70),
            g(0.14, orders=1.2, aov=30, **lapsed),
            g(0.10, orders=3, discount=0.9, aov=35),
            g(0.08, orders=3, sessions=20, views=5, add_rate=0.1),
            g(0.07, orders=4, returns=0.7, aov=80),
            g(0.05, orders=2, aov=400, sigma=0.25),
            g(0.04, orders=5, email=12, sessions=3),
            g(0.02, orders=25, recency=(0, 15), aov=150, categories=6, sessions=8),
        ), defines=("lifecycle", "value", "price", "browsing", "engagement", "range")),
        Shape("overlap", (
            g(0.40, orders=1.5, aov=25, sigma=0.5),
            g(0.30, orders=4, aov=55, sigma=0.5),
            g(0.20, orders=9, aov=110, sigma=0.5),
            g(0.10, orders=20, aov=220, sigma=0.5),
        ), defines=("value",)),
        Shape("heavy_spend", (
            g(0.35, orders=1.3, pareto=1.5, **lapsed),
            g(0.30, orders=4, recency=(0, 90), pareto=1.5),
            g(0.25, orders=12, recency=(0, 30), pareto=1.5),
            g(0.10, orders=8, recency=(250, 400), pareto=1.5),
        ), events=False, defines=("value", "lifecycle")),
        Shape("transactions_only", (
            g(0.30, orders=1.3, **lapsed),
            g(0.25, orders=6, recency=(0, 60), discount=0.02),
            g(0.20, orders=4, discount=0.8),
            g(0.15, orders=4, returns=0.8, aov=90),
            g(0.10, orders=6, categories=7, aov=60),
        ), events=False, customers_table=False, channel=False),
    ]
    return {s.name: s for s in shapes}


# --- generation ------------------------------------------------------------------------

def _customers(shape: Shape, n: int, rng: np.random.Generator) -> pd.DataFrame:
    shares = np.array([g.share for g in shape.groups])
    group = rng.choice(len(shares), n, p=shares / shares.sum())
    return pd.DataFrame({"customer_id": [f"K{i:06d}" for i in range(n)], "group": group})


def _customer_orders(g: Group, rng: np.random.Generator) -> dict:
    """Order days (before END), values and channels of one customer."""
    n = 1 + rng.poisson(max(g.orders - 1, 0))
    recency = rng.uniform(*g.recency)
    tenure = max(recency, rng.uniform(*g.tenure))
    days = np.r_[tenure, recency, rng.uniform(recency, tenure, max(n - 2, 0))][:n]
    scale = (1 + rng.pareto(g.pareto)) if g.pareto else 1.0
    values = g.aov * scale * rng.lognormal(0, g.sigma, n)
    mix = g.channels or CHANNEL_PREFERENCES[rng.integers(len(CHANNEL_PREFERENCES))]
    channels = rng.choice(["store", "online", "app"], n, p=np.array(mix) / sum(mix))
    cats = rng.choice(CATEGORIES, size=min(g.categories, len(CATEGORIES)), replace=False)
    return {"days": days, "values": values, "channels": channels, "cats": cats}


def _transactions(shape: Shape, people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for cid, group in zip(people.customer_id, people.group, strict=True):
        g = shape.groups[group]
        o = _customer_orders(g, rng)
        for j, (day, value, channel) in enumerate(
                zip(o["days"], o["values"], o["channels"], strict=True)):
            when = END - pd.Timedelta(days=float(day) + rng.uniform(0, 0.4))
            lines = 1 + rng.poisson(0.6)
            for line_value in value * rng.dirichlet(np.ones(lines)):
                discounted = rng.random() < g.discount
                rows.append((cid, f"{cid}-{j}", when, round(line_value, 2),
                             rng.choice(o["cats"]), round(line_value * 0.3, 2) * discounted,
                             channel))
            if rng.random() < g.returns:
                rows.append((cid, f"{cid}-{j}r", when + pd.Timedelta(days=5),
                             -round(value * rng.uniform(0.3, 0.8), 2), o["cats"][0], 0.0,
                             channel))
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "timestamp", "amount",
                                        "category", "discount", "channel"])
    frame = frame[frame.timestamp <= END]
    return frame if shape.channel else frame.drop(columns="channel")


def _events(shape: Shape, people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    out = []
    for cid, group in zip(people.customer_id, people.group, strict=True):
        g = shape.groups[group]
        device = "app" if rng.random() < 0.4 else "web"  # nuisance
        for s in range(rng.poisson(g.sessions)):
            start = END - pd.Timedelta(days=float(rng.uniform(0, 365)))
            names = ["Product Viewed"] * (1 + rng.poisson(max(g.views - 1, 0)))
            if rng.random() < g.add_rate:
                names += ["Product Added", "Checkout Started"]
                if rng.random() >= g.abandon:
                    names.append("Order Completed")
            for i, event in enumerate(names):
                out.append((cid, start + pd.Timedelta(minutes=i), event, f"{cid}-s{s}", device))
        for _ in range(rng.poisson(g.email)):
            when = END - pd.Timedelta(days=float(rng.uniform(0, 365)))
            out += [(cid, when, "Email Opened", None, "email"),
                    (cid, when + pd.Timedelta(minutes=2), "Email Clicked", None, "email")]
    frame = pd.DataFrame(out, columns=["customer_id", "timestamp", "event", "session_id",
                                       "channel"])
    frame.insert(0, "message_id", [f"m{i}" for i in range(len(frame))])
    frame.insert(2, "anonymous_id", None)  # older mains require the column
    return frame


def write_shape(shape: Shape, n: int, folder: Path, seed: int) -> pd.Series:
    """Write the shape's data folder; return the true group of each customer."""
    rng = np.random.default_rng(seed)
    people = _customers(shape, n, rng)
    folder.mkdir(parents=True, exist_ok=True)
    _transactions(shape, people, rng).to_csv(folder / "transactions.csv", index=False)
    if shape.events:
        _events(shape, people, rng).to_csv(folder / "events.csv", index=False)
    if shape.customers_table:
        regions = rng.choice(REGIONS, len(people))  # nuisance: unrelated to the groups
        people.assign(region=regions, country="GB")[
            ["customer_id", "region", "country"]].to_csv(folder / "customers.csv", index=False)
    return people.set_index("customer_id")["group"]


def write_demo(n: int, folder: Path, seed: int) -> pd.Series:
    cli = Path(sys.executable).with_name("shopperlens")
    subprocess.run([str(cli), "demo", str(folder), "--customers", str(n), "--seed", str(seed)],
                   check=True, capture_output=True)
    personas = pd.read_csv(folder / "personas.csv").set_index("customer_id")["persona"]
    (folder / "personas.csv").unlink()  # the truth is not an input
    return personas


# --- scoring --------------------------------------------------------------------------

def baseline(features: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """Plain k-means on standardised RFM, browsing and channel features, k by silhouette."""
    cols = [c for c in BASELINE_FEATURES if c in features]
    X = features[cols].astype(float)
    for c in cols:
        if c in LOGGED:
            X[c] = np.log1p(X[c].clip(lower=0))
    X = StandardScaler().fit_transform(X.fillna(X.median()).fillna(0))
    rng = np.random.default_rng(seed)
    sil = rng.choice(len(X), min(len(X), 3000), replace=False)
    best = (-np.inf, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(2, 11):
            labels = KMeans(k, n_init=4, random_state=seed).fit_predict(X)
            score = silhouette_score(X[sil], labels[sil])
            if score > best[0]:
                best = (score, labels)
    return best[1]


def ceiling(features: pd.DataFrame, truth: np.ndarray, seed: int = 0) -> float:
    """ARI of 5-fold cross-validated supervised predictions of the true groups."""
    model = HistGradientBoostingClassifier(max_iter=200, early_stopping=True,
                                           random_state=seed)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    predicted = cross_val_predict(model, features.to_numpy(float), truth, cv=folds)
    return float(adjusted_rand_score(truth, predicted))


def _run(data: Path, out: Path) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    import shopperlens

    start = time.perf_counter()
    shopperlens.run(data, out, report=False)
    seconds = time.perf_counter() - start
    segments = pd.read_parquet(out / "segments.parquet").set_index("customer_id")
    features = pd.read_parquet(out / "features.parquet").set_index("customer_id")
    return segments, features, seconds


def score_shape(name: str, n: int, seed: int, root: Path, with_ceiling: bool = True) -> dict:
    data, out = root / name, root / f"{name}-out"
    truth = (write_demo(n, data, seed) if name == "demo"
             else write_shape(_shapes()[name], n, data, seed))
    truth.rename("group").to_csv(root / f"{name}-truth.csv")
    segments, features, seconds = _run(data, out)
    buyers = segments[segments["segment_id"] >= 0].index.intersection(truth.index)
    found = segments.loc[buyers, "segment_id"].to_numpy()
    true = truth.loc[buyers].to_numpy()
    base = baseline(features.loc[buyers], seed)
    columns = _model_columns(out)
    top = ceiling(features.loc[buyers, columns], true, seed) if with_ceiling else np.nan
    defines = () if name == "demo" else _shapes()[name].defines
    told_k, told = told_ari(out, features.loc[buyers], true, defines)
    return {
        "shape": name, "customers": len(buyers), "groups": len(np.unique(true)),
        "segments": len(np.unique(found)), "ari": adjusted_rand_score(true, found),
        "true_k_ari": true_k_ari(out, features.loc[buyers], true, seed),
        "kmeans_k": len(np.unique(base)), "kmeans_ari": adjusted_rand_score(true, base),
        "told_k": told_k, "told_ari": told, "invariants": invariants(name, out),
        "ceiling": top,
        "seconds": seconds,
        "selection_s": _selection_seconds(out),
    }


def true_k_ari(out: Path, features: pd.DataFrame, truth: np.ndarray, seed: int = 0) -> float:
    """ARI of k-means told the true number of groups, in the run's own clustering space
    (evidence-shrunk, scaled and weighted columns). Low: no choice of k can recover the
    groups in that space; high while the run's ARI is low: the choice of k is at fault."""
    import joblib

    saved = joblib.load(out / "segment_model.joblib")
    model = saved.segment_model
    A = saved.matrix(features).to_numpy(float)
    Z = model._scaled(A) * model.weights_  # the space the selection clusters in
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = KMeans(len(np.unique(truth)), n_init=4, random_state=seed).fit_predict(Z)
    return float(adjusted_rand_score(truth, labels))


def told_ari(out: Path, features: pd.DataFrame, truth: np.ndarray,
             defines: tuple[str, ...]) -> tuple[int, float]:
    """Segments and ARI when the retailer names the facets that define the groups: the
    run's model re-fitted on the same customers with every other facet describe-only
    (``SHOPPERLENS_SEGMENT_DESCRIBE_ONLY``). Nothing named: the run's own figures."""
    import joblib

    from shopperlens.segmentation import SegmentModel
    from shopperlens.segmentation.scaling import facet_of

    saved = joblib.load(out / "segment_model.joblib")
    X = saved.matrix(features)
    others = sorted({facet_of(c) for c in X.columns} - set(defines)) if defines else []
    params = saved.segment_model.get_params() | {"describe_only": tuple(others)}
    model = SegmentModel(**params).fit(X)
    return model.n_segments_, float(adjusted_rand_score(truth, model.labels_))


def invariants(name: str, out: Path) -> int:
    """How many corpus invariants (tests/corpus/invariants.py: every customer once,
    coherent probabilities, names true of their members, ...) the run in ``out`` breaks,
    each printed on stderr."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:  # once, not once per shape
        sys.path.insert(0, root)
    from tests.corpus.invariants import check_outputs

    broken = check_outputs(out)
    for line in broken:
        print(f"  {name}: invariant broken: {line}", file=sys.stderr)
    return len(broken)


def _selection_seconds(out: Path) -> float:
    """Seconds the run's segmentation step took (selection and description)."""
    import json

    return float(json.loads((out / "run.json").read_text())["timings_s"]["segmentation"])


def cdnow_stability(path: Path, n: int, seed: int, root: Path, resamples: int = 3) -> dict:
    """Mean ARI between the fit on ``n`` CDNOW customers and fits on half-samples."""
    from shopperlens.segmentation import SegmentModel

    lines = pd.read_csv(path, dtype={"customer_id": str})
    rng = np.random.default_rng(seed)
    ids = lines.customer_id.unique()
    keep = rng.choice(ids, min(n, len(ids)), replace=False)
    data = root / "cdnow"
    data.mkdir(parents=True, exist_ok=True)
    lines[lines.customer_id.isin(keep)].to_csv(data / "transactions.csv", index=False)
    segments, features, seconds = _run(data, root / "cdnow-out")
    buyers = segments[segments["segment_id"] >= 0].index
    X = features.loc[buyers, list(_model_columns(root / "cdnow-out"))]
    full = segments.loc[buyers, "segment_id"].to_numpy()
    base_full = baseline(features.loc[buyers], seed)
    ours, theirs = [], []
    for r in range(resamples):
        half = np.sort(rng.choice(len(X), len(X) // 2, replace=False))
        model = SegmentModel(random_state=r + 1).fit(X.iloc[half])
        ours.append(adjusted_rand_score(full, model.predict(X)))
        refit = baseline(features.loc[buyers].iloc[half], seed + r + 1)
        theirs.append(_baseline_stability(features.loc[buyers], half, refit, base_full))
    return {"shape": "cdnow (stability)", "customers": len(buyers), "groups": -1,
            "segments": len(np.unique(full)), "ari": float(np.mean(ours)),
            "true_k_ari": np.nan, "told_k": -1, "told_ari": np.nan,
            "invariants": invariants("cdnow", root / "cdnow-out"),
            "kmeans_k": len(np.unique(base_full)),
            "kmeans_ari": float(np.mean(theirs)), "ceiling": np.nan, "seconds": seconds,
            "selection_s": _selection_seconds(root / "cdnow-out")}


def _baseline_stability(features: pd.DataFrame, half: np.ndarray, refit: np.ndarray,
                        full: np.ndarray) -> float:
    """ARI between the full baseline and the half-sample baseline extended to everyone
    by nearest centroid in the full standardised space."""
    cols = [c for c in BASELINE_FEATURES if c in features]
    X = features[cols].astype(float)
    for c in cols:
        if c in LOGGED:
            X[c] = np.log1p(X[c].clip(lower=0))
    Z = StandardScaler().fit_transform(X.fillna(X.median()).fillna(0))
    centres = np.vstack([Z[half][refit == c].mean(axis=0) for c in np.unique(refit)])
    labels = ((Z[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
    return float(adjusted_rand_score(full, labels))


def _model_columns(out: Path) -> list[str]:
    import joblib

    saved = joblib.load(out / "segment_model.joblib")
    return list(saved.feature_names)


def _default_cdnow() -> Path | None:
    path = Path(__file__).resolve().parents[1] / "tests/data/cdnow/master_transactions.csv"
    return path if path.exists() else None


def _print(rows: list[dict]) -> None:
    table = pd.DataFrame(rows)
    shown = table.assign(ari=table.ari.round(3), kmeans_ari=table.kmeans_ari.round(3),
                         true_k_ari=table.true_k_ari.round(3), told_ari=table.told_ari.round(3),
                         ceiling=table.ceiling.round(3),
                         seconds=table.seconds.round(1), selection_s=table.selection_s.round(1))
    print(shown.to_string(index=False))
    scored = table[table.groups > 0]
    if len(scored):
        within = (scored.segments - scored.groups).abs() <= 1
        print(f"\nshapes with known groups: {len(scored)}; mean ARI {scored.ari.mean():.3f} "
              f"(k-means {scored.kmeans_ari.mean():.3f}); min ARI {scored.ari.min():.3f} "
              f"(k-means {scored.kmeans_ari.min():.3f}); below k-means: "
              f"{int((scored.ari < scored.kmeans_ari).sum())}; segments within one of the "
              f"truth: {int(within.sum())}/{len(scored)}")
        print(f"k-means at the true k in the run's space: mean "
              f"{scored.true_k_ari.mean():.3f}; segmentation steps {table.selection_s.sum():.1f} s")
        told = (scored.told_k - scored.groups).abs() <= 1
        print(f"told the defining facets: mean ARI {scored.told_ari.mean():.3f}, min "
              f"{scored.told_ari.min():.3f}; segments within one of the truth: "
              f"{int(told.sum())}/{len(scored)}")
        if scored.ceiling.notna().all():
            print(f"supervised ceiling: mean {scored.ceiling.mean():.3f}, below 0.90 on "
                  f"{int((scored.ceiling < 0.9).sum())}/{len(scored)} shapes; the run reaches "
                  f"{scored.ari.sum() / scored.ceiling.sum():.0%} of it in total")
    print(f"invariants broken: {int(table.invariants.sum())} (every run, CDNOW included)")


def main(argv: list[str] | None = None) -> None:
    shapes = [*_shapes(), "demo"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--shapes", nargs="*", default=shapes, choices=shapes)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cdnow", default=_default_cdnow(),
                        help="CDNOW master_transactions.csv ('' to skip)")
    parser.add_argument("--no-ceiling", action="store_true",
                        help="skip the supervised ceiling (faster)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the data folders, outputs and truths in this folder")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        for name in args.shapes:
            rows.append(score_shape(name, args.customers, args.seed, root,
                                    not args.no_ceiling))
            print(f"  {name}: ARI {rows[-1]['ari']:.3f}", file=sys.stderr, flush=True)
        if args.cdnow and Path(args.cdnow).is_file():
            rows.append(cdnow_stability(Path(args.cdnow), args.customers, args.seed, root))
    _print(rows)


if __name__ == "__main__":
    main()
