from __future__ import annotations

from shopperlens.report._campaigns import campaigns


def row(segment: int, variant: str, incremental: float | None) -> dict:
    low = None if incremental is None else incremental - 1
    high = None if incremental is None else incremental + 1
    return {"campaign_id": "c", "segment_id": segment, "variant": variant, "customers": 50,
            "conversion_rate": 0.1, "revenue_per_customer": 5.0,
            "incremental_revenue_per_customer": incremental,
            "incremental_revenue_per_customer_low": low,
            "incremental_revenue_per_customer_high": high, "roi": None,
            "underpowered": variant != "control"}


RECORD = {"metrics": {"campaigns": {"spring": {
    "sent_at": "2025-03-01T00:00:00", "window_days": 14,
    "results": [row(0, "control", None), row(0, "a", 2.0), row(1, "control", None),
                row(1, "a", -1.0)],
    "uplift": {"a": {"order": {"qini": 0.01, "qini_s_learner": 0.005,
                               "qini_curve": {"share": [0, 0.5, 1], "incremental": [0, 4, 5]}},
                     "visit": {"qini": 0.02, "qini_s_learner": 0.03}}},
}}}}


def test_the_section_shows_each_campaign_with_its_charts_and_warnings() -> None:
    (camp,) = campaigns(RECORD, {0: "Loyal", 1: "Lapsed"})
    assert camp["id"] == "spring" and camp["underpowered"] == 2
    assert [r["segment_name"] for r in camp["rows"]] == ["Loyal", "Loyal", "Lapsed", "Lapsed"]
    assert {(q["variant"], q["outcome"]) for q in camp["qini"]} == {("a", "order"), ("a", "visit")}
    assert "campaign-0-effects" in camp["effects_chart"]
    assert "campaign-0-qini" in camp["qini_chart"]


def test_no_campaigns_no_section() -> None:
    assert campaigns({"metrics": {}}, {}) is None
