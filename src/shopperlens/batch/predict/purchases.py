"""Purchases as buy-till-you-die models take them, summarised in the engine.

A purchase is a customer's day of net non-negative spend (a day of returns only is not
one); the summary counts them as Fader, Hardie & Lee do (``frequency`` = repeat purchase
days, ``recency`` and ``T`` in weeks).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from shopperlens import schema as s
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import DECIMALS
from shopperlens.models.btyd._data import (
    DURATION_HOLDOUT,
    FREQUENCY,
    FREQUENCY_HOLDOUT,
    MONETARY_VALUE,
    RECENCY,
    T_AGE,
    _day_number,
)

WEEK = 7.0  # the summaries' time unit, in days
DAILY_TABLE = "daily_purchases"
# Pareto/NBD's gradient is numerical: its fit costs ~3 s on CDNOW's 23,570 customers and
# grows with the distinct summaries, so it is fitted on a seeded sample of this many.
PARETO_SAMPLE = 50_000


def _daily_sql() -> str:
    # Buy-till-you-die models count purchase days; a day whose net spend is negative
    # (returns only) is not a purchase.
    return (
        f"SELECT {s.CUSTOMER_ID}, "
        f"CAST(CAST({s.TIMESTAMP} AS DATE) AS TIMESTAMP) AS {s.TIMESTAMP}, "
        f"sum({s.AMOUNT}) AS {s.AMOUNT} FROM {s.TRANSACTIONS.name} "
        f"GROUP BY 1, 2 HAVING sum({s.AMOUNT}) >= 0"
    )


def btyd_summary(engine: DuckDBEngine, where: str, as_of: datetime,
                 end: datetime | None = None) -> pd.DataFrame:
    """The ``(frequency, recency, T, monetary_value)`` summary of
    :func:`~shopperlens.models.summary_data` (and its holdout columns up to ``end``),
    computed in the engine from the daily purchases of the customers SQL ``where``
    selects: in pandas, factorising the string ids of 12M daily purchases cost more
    than the models at 1M customers. Spend is rounded to
    :data:`~shopperlens.features.DECIMALS` places: a parallel float sum depends on the
    order rows meet.
    """
    cal = _day_number(as_of, "as_of") - 1  # as_of is exclusive
    last = cal if end is None else _day_number(end, "end") - 1
    in_cal = f"FILTER (WHERE day <= {cal})"
    purchases = f"count(*) {in_cal}"
    holdout = ("" if end is None else
               f", count(*) FILTER (WHERE day > {cal}) AS {FREQUENCY_HOLDOUT}, "
               f"{float(last - cal) / WEEK} AS {DURATION_HOLDOUT}")
    summary = engine.fetch_df(
        f"SELECT {s.CUSTOMER_ID}, {purchases} - 1 AS {FREQUENCY}, "
        f"(max(day) {in_cal} - min(day)) / {WEEK} AS {RECENCY}, "
        f"({cal} - min(day)) / {WEEK} AS {T_AGE}, "
        f"CASE WHEN {purchases} > 1 THEN round((sum({s.AMOUNT}) {in_cal} - "
        f"arg_min({s.AMOUNT}, day)) / ({purchases} - 1), {DECIMALS}) ELSE 0.0 END "
        f"AS {MONETARY_VALUE}{holdout} "
        f"FROM (SELECT {s.CUSTOMER_ID}, CAST({s.TIMESTAMP} AS DATE) - DATE '1970-01-01' "
        f"AS day, coalesce({s.AMOUNT}, 0) AS {s.AMOUNT} FROM {DAILY_TABLE} WHERE {where}) "
        f"WHERE day <= {last} GROUP BY {s.CUSTOMER_ID} HAVING min(day) <= {cal}"
    )
    return summary.set_index(s.CUSTOMER_ID).sort_index()


def _fit_rows(summary: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``summary``, or a seeded random sample of ``rows`` of it."""
    return summary if len(summary) <= rows else summary.sample(rows, random_state=0)
