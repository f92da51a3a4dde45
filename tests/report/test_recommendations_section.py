"""The report's recommendations section: per segment, its top products and its offers."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from shopperlens.report import _sections as sections


def test_each_segment_gets_its_own_top_products_and_offers() -> None:
    recs = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "c"],
        "rank": [1, 2, 1, 1, 4],
        "product_id": ["tea", "cup", "tea", "ball", "tea"],
        "category": ["kitchen", "kitchen", "kitchen", "sport", "kitchen"],
        "score": [1.0, 0.5, 1.0, 1.0, 0.1],
        "reason": ["x"] * 5,
    })
    offers = pd.DataFrame({"customer_id": ["a", "c"], "offer_id": ["ten", "ship"],
                           "expected_value": [4.0, 2.0], "reason": ["y", "y"]})
    frame = pd.DataFrame({"segment_id": [0, 0, 1]}, index=["a", "b", "c"])
    ctx = SimpleNamespace(result=SimpleNamespace(recommendations=recs, offers=offers),
                          frame=frame, names={0: "Cooks", 1: "Players"})
    rows = {r["name"]: r for r in sections.recommendations(ctx)}  # type: ignore[arg-type]
    assert rows["Cooks"]["products"][0] == {"product": "tea", "category": "kitchen",
                                            "customers": 2}
    assert [p["product"] for p in rows["Players"]["products"]] == ["ball"]  # rank 4 left out
    assert rows["Players"]["offers"] == [{"offer": "ship", "customers": 1, "mean_value": 2.0}]


def test_no_recommendations_no_section() -> None:
    ctx = SimpleNamespace(result=SimpleNamespace(recommendations=None, offers=None),
                          frame=pd.DataFrame(), names={})
    assert sections.recommendations(ctx) is None  # type: ignore[arg-type]
