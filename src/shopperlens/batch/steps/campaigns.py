"""Step ``campaigns``: what each campaign of the optional ``campaigns`` table did.

Outcomes are read from the transactions (an order) and events (a visit) in the
:data:`~shopperlens.campaigns.WINDOW_DAYS` after each customer's ``sent_at``. Segments
are those as of the campaign's first send: the run's segment model applied to the
features computed at that moment (a segment measured after the send would be changed by
the treatment itself). Writes ``campaign_results.parquet`` and ``uplift.parquet``; the
figures and curves go into ``run.json`` under ``metrics.campaigns``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from shopperlens import schema as s
from shopperlens.batch.fitset import profiled, with_texts
from shopperlens.batch.segments import assign_segments
from shopperlens.batch.state import RunState
from shopperlens.campaigns import WINDOW_DAYS
from shopperlens.campaigns.evaluate import OUTCOME, PROFIT, UPLIFT, campaign_uplift
from shopperlens.campaigns.measure import CONVERTED, REVENUE, VISITED, measure
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import feature_table, fetch_features

_AT_SEND = "campaign_features"


def wanted(state: RunState) -> bool:
    """Only when a ``campaigns`` table was given and kept rows."""
    q = state.quality.get(s.CAMPAIGNS.name)
    return q is not None and q.rows_kept > 0


def measure_campaigns(state: RunState) -> None:
    """Fills ``result.record['metrics']['campaigns']`` and writes the two files."""
    engine, result = state.engine, state.result
    assert engine is not None and result is not None and state.model is not None
    sends = campaign_outcomes(engine, WINDOW_DAYS)
    results, uplifts, metrics = [], [], {}
    for campaign, rows in sends.groupby(s.CAMPAIGN_ID, sort=True):
        sent_at = pd.Timestamp(rows[s.SENT_AT].min()).to_pydatetime()
        features = features_at(engine, sent_at)
        segments = assign_segments(state.model, features)[0][[s.CUSTOMER_ID, s.SEGMENT_ID]]
        frame = rows.merge(segments, on=s.CUSTOMER_ID, how="inner")
        measured = measure(frame)
        results.append(measured)
        scores, figures = campaign_uplift(frame, features, seed=state.settings.seed)
        uplifts.append(scores.assign(**{s.CAMPAIGN_ID: str(campaign)})
                       .merge(segments, on=s.CUSTOMER_ID, how="left"))
        metrics[str(campaign)] = {
            "sent_at": sent_at.isoformat(), "customers": len(rows),
            "customers_segmented": len(frame), "window_days": WINDOW_DAYS, **figures,
            "results": _records(measured)}
    result.record["metrics"]["campaigns"] = metrics
    state.timer.count("campaigns", campaigns=len(metrics))
    if state.out_dir is not None:
        _write(pd.concat(results, ignore_index=True), state.out_dir / s.CAMPAIGN_RESULTS_FILE)
        uplift = pd.concat(uplifts, ignore_index=True)
        _write(uplift[[s.CUSTOMER_ID, s.CAMPAIGN_ID, s.SEGMENT_ID, s.VARIANT, OUTCOME, UPLIFT,
                       PROFIT]], state.out_dir / s.UPLIFT_FILE)


def campaign_outcomes(engine: DuckDBEngine, window_days: int) -> pd.DataFrame:
    """One row per campaign and customer: variant, send time, cost and what the customer
    did in the window after it (ordered, revenue, visited)."""
    has_events = engine.has_table(s.EVENTS.name)
    visits = (
        f"EXISTS (SELECT 1 FROM {s.EVENTS.name} e WHERE e.{s.CUSTOMER_ID} = c.{s.CUSTOMER_ID}"
        f" AND e.{s.TIMESTAMP} > c.{s.SENT_AT} AND e.{s.TIMESTAMP} <= c.{s.SENT_AT} + "
        f"INTERVAL {window_days} DAY)" if has_events else "FALSE")
    cost = f"coalesce(c.{s.COST}, 0)" if s.COST in engine.columns(s.CAMPAIGNS.name) else "0"
    frame = engine.fetch_df(f"""
        WITH c AS (SELECT {s.CAMPAIGN_ID}, {s.CUSTOMER_ID}, any_value({s.VARIANT}) AS
                   {s.VARIANT}, min({s.SENT_AT}) AS {s.SENT_AT}, sum({cost}) AS {s.COST}
                   FROM {s.CAMPAIGNS.name} c GROUP BY ALL)
        SELECT c.*, count(t.{s.ORDER_ID}) > 0 AS {CONVERTED},
               coalesce(sum(t.{s.AMOUNT}), 0) AS {REVENUE}, {visits} AS {VISITED}
        FROM c LEFT JOIN {s.TRANSACTIONS.name} t ON t.{s.CUSTOMER_ID} = c.{s.CUSTOMER_ID}
             AND t.{s.TIMESTAMP} > c.{s.SENT_AT}
             AND t.{s.TIMESTAMP} <= c.{s.SENT_AT} + INTERVAL {window_days} DAY
        GROUP BY ALL ORDER BY c.{s.CAMPAIGN_ID}, c.{s.CUSTOMER_ID}""")
    frame[VISITED] = frame[VISITED] | frame[CONVERTED]  # an order is a visit too
    frame[s.COST] = frame[s.COST].astype(float)
    frame[REVENUE] = frame[REVENUE].astype(float)
    return frame


def features_at(engine: DuckDBEngine, at: datetime) -> pd.DataFrame:
    """The profiled customers' features (texts included) as of ``at``."""
    feature_table(engine, as_of=at, table=_AT_SEND)
    features = with_texts(engine, fetch_features(engine, table=_AT_SEND), "TRUE", at)
    return profiled(engine, features)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in clean.to_dict("records")]


def _write(frame: pd.DataFrame, path: Any) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
