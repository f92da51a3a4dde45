from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from shopperlens import schema as s
from shopperlens.batch.steps.campaigns import campaign_outcomes
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest import load_folder

TRANSACTIONS = """
customer_id,order_id,timestamp,amount
a,o1,2025-01-01,10
a,o2,2025-03-01 00:00:00,99
a,o3,2025-03-05,20
a,o4,2025-03-05,-5
b,o5,2025-03-20,30
c,o6,2025-01-02,15
"""
EVENTS = """
message_id,customer_id,timestamp,event
m1,c,2025-03-02,Page Viewed
m2,b,2025-02-27,Page Viewed
"""
CAMPAIGNS = """
campaign_id,customer_id,variant,sent_at,cost
spring,a,discount,2025-03-01,1.5
spring,b,control,2025-03-01,
spring,c,discount,2025-03-01,1.5
"""


def test_outcomes_count_what_happened_in_the_window_after_the_send(
        write_folder: Callable[..., Path], engine: DuckDBEngine) -> None:
    folder = write_folder(transactions=TRANSACTIONS, events=EVENTS, campaigns=CAMPAIGNS)
    load_folder(engine, folder)
    out = campaign_outcomes(engine, 14).set_index(s.CUSTOMER_ID)
    # a: the order at the send itself does not count, the later one and its return do
    assert out.loc["a", "converted"] and out.loc["a", "revenue"] == 15.0
    assert not out.loc["b", "converted"] and out.loc["b", "revenue"] == 0.0  # 19 days on
    assert out.loc["c", "visited"] and not out.loc["c", "converted"]  # a visit, no order
    assert not out.loc["b", "visited"]  # its visit came before the send
    assert out[s.COST].tolist() == [1.5, 0.0, 1.5]


@pytest.mark.slow
def test_a_run_with_campaigns_measures_them_by_segment_at_the_send(tmp_path: Path) -> None:
    from shopperlens.batch.runner import run
    from shopperlens.demo import generate, write
    from shopperlens.demo._campaigns import plant_campaign

    write(plant_campaign(generate(400, seed=3), seed=3), tmp_path / "data")
    result = run(tmp_path / "data", tmp_path / "out", report=False)
    results = pd.read_parquet(tmp_path / "out" / s.CAMPAIGN_RESULTS_FILE)
    uplift = pd.read_parquet(tmp_path / "out" / s.UPLIFT_FILE)
    sent = pd.read_csv(tmp_path / "data" / "campaigns.csv")
    assert results["customers"].sum() <= len(sent)
    assert set(results["variant"]) == {"control", "discount", "free_delivery"}
    # every customer with features at the send, for each offer and outcome
    per_customer = uplift.groupby(s.CUSTOMER_ID).size()
    assert (per_customer == 4).all() and len(per_customer) >= results["customers"].sum()
    assert uplift.loc[uplift["outcome"] == "visit", "expected_incremental_profit"].isna().all()
    figures = result.record["metrics"]["campaigns"]["spring-offers"]
    assert {"qini", "qini_s_learner"} <= set(figures["uplift"]["discount"]["order"])
    # the segments are those at the send: the same customers per segment in both files
    at_send = uplift.drop_duplicates(s.CUSTOMER_ID)[[s.CUSTOMER_ID, s.SEGMENT_ID]]
    counted = at_send.merge(sent[[s.CUSTOMER_ID, s.VARIANT]]).groupby(
        [s.SEGMENT_ID, s.VARIANT]).size()
    measured = results.set_index([s.SEGMENT_ID, s.VARIANT])["customers"]
    assert counted.sort_index().to_dict() == measured.sort_index().to_dict()
