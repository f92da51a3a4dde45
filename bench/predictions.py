"""What the prediction stage's sampling and smaller churn model save, against the old way.

    shopperlens demo DATA --customers 1000000 --format parquet
    python bench/predictions.py DATA [--explain 250000]

1. Buy-till-you-die fits: BG/NBD and Gamma-Gamma on every customer of DATA's
   transactions (the baseline) against the seeded sample of ``predict.BTYD_FIT_MAX`` the
   pipeline fits on. (The fits group customers with identical summaries, so only real
   or demo data, not a resampled small set, shows what the sample saves.) Prints the
   times, their ratio, the parameters side by side and how far P(alive) moves.
2. Churn drivers: TreeSHAP of ``--explain`` customers with the old default (100 trees
   at learning rate 0.1) against today's default, both fitted on the same 50k rows of a
   synthetic churn problem; prints the times, their ratio and both test AUCs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score

from shopperlens import schema as s
from shopperlens.batch import predict
from shopperlens.ingest.readers import discover
from shopperlens.models import BetaGeoModel, ChurnModel, GammaGammaModel, summary_data


def _timed(fn):  # noqa: ANN001, ANN202 - any callable, its result
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _btyd(summary: pd.DataFrame) -> tuple[BetaGeoModel, GammaGammaModel]:
    return BetaGeoModel().fit(summary), GammaGammaModel().fit(predict._repeaters(summary))


def btyd(data: Path) -> None:
    path = discover(data)[s.TRANSACTIONS.name]
    columns = [s.CUSTOMER_ID, s.TIMESTAMP, s.AMOUNT]
    tx = (pd.read_parquet(path, columns=columns) if path.suffix == ".parquet"
          else pd.read_csv(path, usecols=columns, dtype={s.CUSTOMER_ID: str}))
    tx[s.TIMESTAMP] = pd.to_datetime(tx[s.TIMESTAMP], utc=True, format="ISO8601")
    summary = summary_data(tx, calibration_end=tx[s.TIMESTAMP].max().tz_localize(None),
                           time_unit_days=predict.WEEK)
    customers = len(summary)
    (bg_all, gg_all), t_all = _timed(lambda: _btyd(summary))
    (bg_s, gg_s), t_sample = _timed(lambda: _btyd(predict._fit_rows(summary, predict.BTYD_FIT_MAX)))
    moved = np.abs(bg_all.probability_alive(summary) - bg_s.probability_alive(summary))
    print(f"BG/NBD + Gamma-Gamma, {customers:,} customers: all {t_all:.1f} s, "
          f"sample of {predict.BTYD_FIT_MAX:,} {t_sample:.1f} s, "
          f"ratio {t_all / t_sample:.1f}x")
    for name, a, b in (("bgnbd", bg_all, bg_s), ("gamma_gamma", gg_all, gg_s)):
        pairs = ", ".join(f"{k} {a.params_[k]:.4g} / {b.params_[k]:.4g}" for k in a.params_)
        print(f"  {name} params (all / sample): {pairs}")
    print(f"  P(alive) moved by {moved.mean():.5f} on average, {moved.max():.5f} at most")


def churn(explain: int) -> None:
    X, y = make_classification(n_samples=50_000 + explain, n_features=30, n_informative=12,
                               flip_y=0.05, random_state=0)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    train, rest = slice(0, 50_000), slice(50_000, None)
    rows = {}
    for label, model in (("old (100 trees, rate 0.1)",
                          ChurnModel(n_estimators=100, learning_rate=0.1)),
                         ("new (default)", ChurnModel())):
        model.fit(X.iloc[train], y[train])
        auc = roc_auc_score(y[rest], model.predict_proba(X.iloc[rest])[:, 1])
        _, seconds = _timed(lambda m=model: m.explain(X.iloc[rest]))
        rows[label] = seconds
        print(f"churn drivers of {explain:,} customers, {label}: {seconds:.1f} s, "
              f"test AUC {auc:.4f}")
    old, new = rows.values()
    print(f"  ratio {old / new:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a data folder with a transactions table")
    parser.add_argument("--explain", type=int, default=250_000)
    args = parser.parse_args()
    btyd(args.data)
    churn(args.explain)


if __name__ == "__main__":
    main()
