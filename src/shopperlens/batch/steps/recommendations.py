"""Step ``recommendations``: top products and the next best offer of each profiled
customer, from the order lines up to the cutoff, the segments and the predictions.

Runs when the transactions name products. Writes ``recommendations`` and ``offers``
(CSV and Parquet) and the fitted recommender (``recommender.joblib``, for the service),
and records counts in ``run.json`` (``metrics.recommendations``).
"""

from __future__ import annotations

import joblib
import pandas as pd

from shopperlens import schema as s
from shopperlens.batch.outputs import write_frame
from shopperlens.batch.state import RunState
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.privacy.consent import marketing_allowed
from shopperlens.recommend import ItemKNNRecommender
from shopperlens.recommend.live import LiveRecommender
from shopperlens.recommend.model import T
from shopperlens.recommend.offers import (
    DEFAULT_MAX_PER_CUSTOMER,
    DEFAULT_WINDOW_DAYS,
    choose_offers,
    default_offers,
)
from shopperlens.timewindow import epoch_days, sql_before

TOP_N = 10
CLV_PREFIX = "expected_clv_"


def wanted(state: RunState) -> bool:
    """Only when the transactions say which product each line is."""
    engine = state.engine
    return engine is not None and s.PRODUCT_ID in engine.columns(s.TRANSACTIONS.name)


def recommend(state: RunState) -> None:
    """Fills ``result.recommendations`` and ``result.offers``; writes their files."""
    engine, result = state.engine, state.result
    assert engine is not None and result is not None and state.as_of is not None
    if not wanted(state):
        return
    segments = result.segment_columns(s.SEGMENT_ID, s.SEGMENT_NAME)
    labels = dict(zip(segments[s.CUSTOMER_ID].astype(str), segments[s.SEGMENT_ID], strict=True))
    names = dict(zip(segments[s.SEGMENT_ID], segments[s.SEGMENT_NAME], strict=False))
    as_of = epoch_days(state.as_of)
    model = ItemKNNRecommender().fit(order_lines(engine, state), as_of=as_of, segments=labels)
    recs = model.recommend(list(labels), n=TOP_N, segments=labels, segment_names=names)
    table = offer_table(engine, names)
    offers = choose_offers(offer_inputs(engine, result, labels), table,
                           product_value=recs[recs["rank"] == 1].set_index(s.CUSTOMER_ID)[
                               "score"])
    result.recommendations, result.offers = recs, offers
    state.timer.count("recommendations", customers=recs[s.CUSTOMER_ID].nunique(),
                      products=len(model.items_), offers=len(offers))
    result.record["metrics"]["recommendations"] = {
        "customers": int(recs[s.CUSTOMER_ID].nunique()), "products": len(model.items_),
        "catalogue_coverage": round(recs[s.PRODUCT_ID].nunique() / max(len(model.items_), 1), 4),
        "offers": int(len(offers)), "contact_cap": {"max_per_customer": DEFAULT_MAX_PER_CUSTOMER,
                                                    "window_days": DEFAULT_WINDOW_DAYS},
        "offers_table": engine.has_table(s.OFFERS.name),
    }
    if state.out_dir is not None:
        write_frame(recs, state.out_dir / s.RECOMMENDATIONS_FILE)
        write_frame(offers, state.out_dir / s.OFFERS_FILE)
        joblib.dump(LiveRecommender(model, as_of, names, table),
                    state.out_dir / s.RECOMMENDER_FILE)


def order_lines(engine: DuckDBEngine, state: RunState) -> pd.DataFrame:
    """The bought lines up to the cutoff (returns left out): who, what, when, which order."""
    assert state.as_of is not None
    columns = engine.columns(s.TRANSACTIONS.name)
    category = s.CATEGORY if s.CATEGORY in columns else f"NULL AS {s.CATEGORY}"
    return engine.fetch_df(
        f"SELECT CAST({s.CUSTOMER_ID} AS VARCHAR) AS {s.CUSTOMER_ID}, {s.ORDER_ID}, "
        f"{s.PRODUCT_ID}, {category}, epoch({s.TIMESTAMP}) / 86400.0 AS {T} "
        f"FROM {s.TRANSACTIONS.name} WHERE {s.AMOUNT} > 0 AND {s.PRODUCT_ID} IS NOT NULL "
        f"AND {sql_before(state.as_of)}"
    )


def offer_inputs(engine: DuckDBEngine, result: object, labels: dict) -> pd.DataFrame:
    """Per profiled customer: segment, expected value, churn risk, e-mail clicks and
    whether they may be marketed to."""
    frame = pd.DataFrame({s.CUSTOMER_ID: list(labels), s.SEGMENT_ID: list(labels.values())})
    predictions = getattr(result, "predictions", None)
    if predictions is not None:
        clv = [c for c in predictions.columns if c.startswith(CLV_PREFIX)]
        keep = predictions[[s.CUSTOMER_ID, *clv[:1], "churn_risk"]].rename(
            columns={clv[0]: "expected_clv"} if clv else {})
        frame = frame.merge(keep.assign(**{s.CUSTOMER_ID: keep[s.CUSTOMER_ID].astype(str)}),
                            on=s.CUSTOMER_ID, how="left")
    features = getattr(result, "features", None)
    if features is not None and "email_clicks" in features:
        clicks = features["email_clicks"]
        frame["email_clicks"] = frame[s.CUSTOMER_ID].map(clicks.set_axis(
            clicks.index.astype(str)))
    if engine.has_table(s.CUSTOMERS.name):
        people = engine.fetch_df(f"SELECT * FROM {s.CUSTOMERS.name}")
        people[s.CUSTOMER_ID] = people[s.CUSTOMER_ID].astype(str)
        allowed = marketing_allowed(people)
        # nullable first: filling an object column of bools warns on pandas 2
        frame[s.CONSENT_MARKETING] = frame[s.CUSTOMER_ID].map(allowed).astype(
            "boolean").fillna(True).astype(bool)
    return frame


def offer_table(engine: DuckDBEngine, names: dict) -> pd.DataFrame:
    """The run's offers table, or one typed default offer per segment."""
    if engine.has_table(s.OFFERS.name):
        return engine.fetch_df(f"SELECT * FROM {s.OFFERS.name}")
    return default_offers(names)
