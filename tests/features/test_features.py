from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import compute_features, numeric_features
from shopperlens.ingest import load_folder

TX = """
customer_id,order_id,timestamp,amount,quantity,discount,category,channel
c1,o1,2024-01-02,10.5,1,0,shoes,store
c1,o9,2024-04-01,4,1,1,shoes,online
c1,o9,2024-04-01,3,1,0,home,online
c1,r1,2024-04-10,-3,1,0,home,online
c2,o2,2024-05-01,20,2,0,toys,app
c2,o3,2024-07-01,99,1,0,toys,app
"""
EVENTS = """
message_id,customer_id,anonymous_id,timestamp,event,session_id
e1,c1,,2024-01-01,Product Viewed,s1
e2,c1,,2024-01-01,Product Added,s1
e3,c1,,2024-01-01,Order Completed,s1
e4,c1,,2024-02-01,Product Viewed,s2
e5,c1,,2024-02-01,Product Added,s2
e6,c1,,2024-02-01,Email Clicked,
"""
AS_OF = datetime(2024, 6, 1)


@pytest.fixture
def features(engine: DuckDBEngine, write_folder: Callable[..., Path]) -> pd.DataFrame:
    load_folder(engine, write_folder(transactions=TX, events=EVENTS))
    return compute_features(engine, as_of=AS_OF)


def test_order_features_match_hand_computation(features: pd.DataFrame) -> None:
    c1 = features.loc["c1"]
    assert c1["frequency"] == 2  # the return order is not a purchase
    assert c1["monetary"] == pytest.approx(14.5)
    assert c1["recency_days"] == pytest.approx(61.0)  # 2024-04-01 to 2024-06-01
    assert c1["tenure_days"] == pytest.approx(151.0)
    assert c1["avg_order_value"] == pytest.approx((10.5 + 7) / 2)
    assert c1["ipt_mean_days"] == pytest.approx(90.0)
    assert c1["discount_share"] == pytest.approx(1 / (10.5 + 4 + 1 + 3))
    assert c1["return_rate"] == pytest.approx(3 / 17.5)
    assert c1["basket_size"] == pytest.approx(1.5)
    assert c1["store_share"] == pytest.approx(0.5)
    assert c1["online_share"] == pytest.approx(0.5)
    assert c1["top_category"] == "shoes"
    p = np.array([14.5, 3]) / 17.5
    assert c1["category_entropy"] == pytest.approx(-(p * np.log2(p)).sum())


def test_everything_after_as_of_is_ignored(features: pd.DataFrame) -> None:
    c2 = features.loc["c2"]
    assert c2["frequency"] == 1 and c2["monetary"] == pytest.approx(20.0)
    assert c2["app_share"] == 1.0


def test_browsing_features(features: pd.DataFrame) -> None:
    c1, c2 = features.loc["c1"], features.loc["c2"]
    assert c1["sessions"] == 2 and c1["product_views"] == 2 and c1["email_clicks"] == 1
    assert c1["cart_abandonment"] == pytest.approx(0.5)  # s2 added to cart, never completed
    assert c1["add_to_cart_rate"] == pytest.approx(1.0)
    # a customer without events has real zero counts but no invented rates
    assert c2["sessions"] == 0 and np.isnan(c2["cart_abandonment"])


SESSION_EVENTS = """
message_id,customer_id,anonymous_id,timestamp,event,session_id
m1,c1,,2024-01-01,Product Added,s1
m2,c1,,2024-01-01,Order Completed,s1
m3,c1,,2024-01-02,Product Added,s2
m4,c1,,2024-01-02,Product Viewed,s2
m5,c1,,2024-01-03,Checkout Started,s3
m6,c1,,2024-01-04,Product Added,
m7,c1,,2024-01-04,Email Opened,
m8,c3,,2024-01-05,Product Added,
m9,c3,,2024-01-05,Email Opened,
m10,c4,,2024-01-06,Page Viewed,s9
m11,c4,,2024-01-06,Order Completed,
"""


def test_on_site_events_without_a_session_form_inactivity_sessions(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    load_folder(engine, write_folder(
        transactions="customer_id,order_id,timestamp,amount\nc1,o1,2024-01-01,5\n"
        "c6,r1,2024-01-02,-5",  # c6 only returned something
        events=SESSION_EVENTS,
        interactions="customer_id,timestamp,source,text\nc5,2024-01-07,review,fine",
    ))
    features = compute_features(engine, as_of=AS_OF)
    # customers with only events, only interactions or only a return have features too
    assert list(features.index) == ["c1", "c3", "c4", "c5", "c6"]
    c1, c3, c4 = features.loc["c1"], features.loc["c3"], features.loc["c4"]
    # s1 added and completed, s2 added only, s3 added nothing, and the cart addition
    # without a session id is an inactivity session of its own (issue #34), abandoned;
    # the e-mail open happens off the site: no session
    assert c1["sessions"] == 4 and c1["cart_abandonment"] == pytest.approx(2 / 3)
    # every event counts towards the counts and funnel rates, with a session or without
    assert c1["add_to_cart_rate"] == pytest.approx(3.0) and c1["email_opens"] == 1
    assert c1["checkout_conversion"] == pytest.approx(1.0)
    # only events without a session id: the cart addition is a session, abandoned
    assert c3["sessions"] == 1 and c3["cart_abandonment"] == pytest.approx(1.0)
    assert c3["email_opens"] == 1 and c3["product_views"] == 0
    assert np.isnan(c3["add_to_cart_rate"])  # nothing viewed: no rate
    # a session without cart additions has no abandonment rate; the completion without a
    # session id is a session too, and has no checkout to divide by
    assert c4["sessions"] == 2 and np.isnan(c4["cart_abandonment"])
    assert np.isnan(c4["checkout_conversion"])
    for quiet in ("c5", "c6"):
        assert features.loc[quiet, "sessions"] == 0 and features.loc[quiet, "email_opens"] == 0
    assert features.loc["c5", "review_count"] == 1 and features.loc["c6", "frequency"] == 0


def test_absent_sources_yield_no_feature(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    load_folder(
        engine,
        write_folder(transactions="customer_id,order_id,timestamp,amount\nc1,o1,2024-01-01,5"),
    )
    frame = compute_features(engine, as_of=AS_OF)
    for absent in (
        "sessions",
        "discount_share",
        "store_share",
        "top_category",
        "review_count",
        "region",
    ):
        assert absent not in frame.columns
    assert numeric_features(frame) == [
        "recency_days",
        "frequency",
        "monetary",
        "tenure_days",
        "avg_order_value",
        "spend_trend",
        "return_rate",
    ]


orders = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.integers(0, 300),
        st.floats(-50, 500).filter(lambda x: abs(x) > 0.01),
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.slow  # 25 feature computations
@settings(max_examples=25, deadline=None)
@given(rows=orders, seed=st.integers(0, 1000))
def test_features_are_row_order_invariant_and_bounded(rows: list, seed: int) -> None:
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    frame["order_id"] = [f"o{i}" for i in range(len(frame))]
    frame["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["day"], unit="D")
    frame = frame.drop(columns="day")
    results = []
    for order in (frame, frame.sample(frac=1, random_state=seed)):
        with DuckDBEngine(threads=1) as eng:
            eng.register("transactions", order.assign(row=range(1, len(order) + 1)))
            results.append(compute_features(eng, as_of=datetime(2024, 11, 1)))
    pd.testing.assert_frame_equal(results[0], results[1])
    feats = results[0]
    bought = feats[feats["frequency"] > 0]
    assert (bought["recency_days"] >= 0).all() and (
        bought["recency_days"] <= bought["tenure_days"]
    ).all()
    assert (feats["frequency"] >= 0).all()


def test_features_of_some_customers_are_theirs_among_all(
    engine: DuckDBEngine, write_folder: Callable[..., Path], features: pd.DataFrame
) -> None:
    some = compute_features(engine, as_of=AS_OF, customers=pd.Index(["c2", "nobody"]))
    assert list(some.index) == ["c2"]
    pd.testing.assert_frame_equal(some, features.loc[["c2"]])
    # the whole population again: nothing of the sample's stored windows lingers
    pd.testing.assert_frame_equal(compute_features(engine, as_of=AS_OF), features)


def test_features_joined_a_block_of_customers_at_a_time_equal_one_join(
    tmp_path: Path,
) -> None:
    from shopperlens import demo
    from shopperlens.features import FEATURES_TABLE, feature_table, fetch_features

    folder = tmp_path / "demo"
    demo.write(demo.generate(300, seed=3), folder, fmt="parquet")
    ticks: list[tuple[int, int]] = []
    with DuckDBEngine(threads=2) as engine:
        load_folder(engine, folder)
        as_of = datetime(2025, 12, 1)
        whole = fetch_features(engine, feature_table(engine, as_of=as_of))
        blocked = fetch_features(engine, feature_table(
            engine, as_of=as_of, block_customers=70,
            progress=lambda done, total: ticks.append((done, total))))
        assert engine.scalar(f"SELECT count(*) FROM {FEATURES_TABLE}") == len(whole)
    assert len(whole) >= 300 and "region" in whole
    pd.testing.assert_frame_equal(blocked, whole)
    # progress: one query per family (orders, browsing, texts), the customers' list, then
    # one per block; the total grows to the blocks' once they are known
    blocks = -(-len(whole) // 70)
    assert ticks == [(1, 5), (2, 5), (3, 5), (4, 4 + blocks)] + [
        (4 + b, 4 + blocks) for b in range(1, blocks + 1)]


def test_text_scoring_counts_the_texts_up_to_those_before_as_of(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    from shopperlens.features import TEXT_SCORES_TABLE, score_texts_table

    texts = ("customer_id,timestamp,source,text\n"
             "c1,2024-01-02,review,Love it\nc1,2024-02-02,review,Broken on arrival\n"
             "c2,2024-03-01,chat,Where is my parcel?\nc3,2024-07-01,review,Too late\n")
    load_folder(engine, write_folder(transactions=TX, interactions=texts))
    ticks: list[tuple[int, int]] = []
    assert score_texts_table(engine, AS_OF, 1, n_jobs=1,  # a block per writer
                             progress=lambda done, total: ticks.append((done, total)))
    assert engine.scalar(f"SELECT count(*) FROM {TEXT_SCORES_TABLE}") == 3  # c3's: after
    assert ticks == [(0, 3), (2, 3), (3, 3)]
