"""Data folders the engine was not written for, built small and in memory.

Each builder returns ``{table: frame}``; :func:`write_folder` writes it as the CSV files
of a data folder. Ids are text with leading zeros, amounts have cents, timestamps are
ISO dates or date-times: what a retailer's export looks like, not the demo's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
CDNOW = REPO / "tests" / "data" / "cdnow" / "master_transactions.csv"
Tables = dict[str, pd.DataFrame]


def write_folder(tables: Tables, folder: Path) -> Path:
    """``<folder>/<table>.csv`` for each table; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def cdnow(customers: int | None = None) -> Tables:
    """The CDNOW master file (transactions only), or its first ``customers`` customers."""
    frame = pd.read_csv(CDNOW, dtype={"customer_id": str, "order_id": str})
    if customers is not None:
        keep = frame["customer_id"].drop_duplicates().iloc[:customers]
        frame = frame[frame["customer_id"].isin(keep)]
    return {"transactions": frame}


def _orders(rng: np.random.Generator, customer: str, dates: list[pd.Timestamp],
            currency: str | None = None) -> list[dict[str, object]]:
    rows = []
    for n, when in enumerate(dates):
        row: dict[str, object] = {
            "customer_id": customer,
            "order_id": f"{customer}-{n:03d}",
            "timestamp": when.isoformat(),
            "amount": round(float(rng.gamma(2.0, 30.0)) + 0.99, 2),
            "quantity": int(rng.integers(1, 4)),
        }
        if currency is not None:
            row["currency"] = currency
        rows.append(row)
    return rows


def shop(customers: int, *, seed: int = 0, start: str = "2023-01-01", days: int = 540,
         max_orders: int = 8, currency: str | None = None) -> Tables:
    """A small shop's transactions: each customer's orders at random dates in a window."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(start)
    rows = []
    for i in range(customers):
        n = int(rng.integers(1, max_orders + 1))
        offsets = np.sort(rng.integers(0, days, size=n))
        dates = [first + pd.Timedelta(days=int(d), hours=int(rng.integers(8, 22)))
                 for d in offsets]
        rows += _orders(rng, f"{i + 1:05d}", dates, currency)
    return {"transactions": pd.DataFrame(rows)}


def online_retail(customers: int = 60, *, seed: int = 1) -> Tables:
    """Order lines with products, categories, channels, discounts and a few returns,
    as an online shop's export has them (transactions only)."""
    rng = np.random.default_rng(seed)
    lines = shop(customers, seed=seed, max_orders=6)["transactions"]
    lines = lines.loc[lines.index.repeat(rng.integers(1, 4, size=len(lines)))].copy()
    lines["product_id"] = [f"SKU{x:04d}" for x in rng.integers(1, 40, size=len(lines))]
    lines["category"] = rng.choice(["Home", "Garden", "Kitchen", "Toys"], size=len(lines))
    lines["channel"] = rng.choice(["online", "store", "app"], size=len(lines))
    lines["unit_price"] = (lines["amount"] / lines["quantity"]).round(2)
    lines["discount"] = np.where(rng.random(len(lines)) < 0.2, 2.5, 0.0)
    lines["amount"] = (lines["amount"] - lines["discount"]).round(2)
    returned = rng.random(len(lines)) < 0.05
    lines.loc[returned, "amount"] = -lines.loc[returned, "amount"]
    return {"transactions": lines.reset_index(drop=True)}


def one_time_buyers(customers: int = 40, *, seed: int = 2) -> Tables:
    """Every customer ordered exactly once."""
    return shop(customers, seed=seed, max_orders=1)


def one_day(customers: int = 30, *, seed: int = 3) -> Tables:
    """All the data falls on one day (several orders per customer that day)."""
    rng = np.random.default_rng(seed)
    day = pd.Timestamp("2024-11-29")
    rows = []
    for i in range(customers):
        hours = np.sort(rng.integers(0, 24, size=int(rng.integers(1, 4))))
        rows += _orders(rng, f"BF{i:04d}", [day + pd.Timedelta(hours=int(h)) for h in hours])
    return {"transactions": pd.DataFrame(rows)}


def tiny(customers: int, *, seed: int = 4) -> Tables:
    """1, 2 or 10 customers, several orders each over a year."""
    return shop(customers, seed=seed, days=365, max_orders=5)


def euro_shop(customers: int = 50, *, seed: int = 5) -> Tables:
    """A shop that sells in euros: a ``currency`` column, EUR on every row."""
    return shop(customers, seed=seed, currency="EUR")


def two_currencies(customers: int = 50, *, seed: int = 6) -> Tables:
    """Half the customers pay in EUR, half in GBP."""
    tables = shop(customers, seed=seed)
    frame = tables["transactions"]
    frame["currency"] = np.where(frame["customer_id"].astype(int) % 2 == 0, "EUR", "GBP")
    return tables
