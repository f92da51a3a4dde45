"""What the terminal says: tables that fit 80 columns, summaries in words."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
from rich.console import Console

from shopperlens.batch.summary import (
    audit_summary,
    quality_table,
    rejection_lines,
    run_summary,
    scores_summary,
    scrub_summary,
    segment_rows,
    segments_table,
)
from shopperlens.ingest import TableQuality
from shopperlens.privacy import AuditResult
from shopperlens.text.scrub import ScrubReport

LONG = "Discount-driven email-engaged occasional weekend bargain hunters of the north"


def _result(predictions: pd.DataFrame | None = None) -> SimpleNamespace:
    """A run's result as the summary reads it: 3 segments and 68 customers who never bought."""
    sizes = {LONG: 9_000_000, "In-store high-value loyalists": 700_000,
             "Lapsed loyalists": 299_932, "No purchases yet": 68}
    profiles = pd.DataFrame({"segment": [0, 1, 2], "name": list(sizes)[:3],
                             "size": list(sizes.values())[:3],
                             "revenue_share": [0.2, 0.6, 0.2]})
    segments = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                             "segment_name": [LONG, "Lapsed loyalists", "Lapsed loyalists",
                                              "No purchases yet"]})
    return SimpleNamespace(
        record={"metrics": {"segmentation": {"segment_sizes": sizes}}, "currency": "EUR"},
        profiles=profiles, as_of=datetime(2025, 12, 31), segments=segments,
        predictions=predictions, is_stored=lambda: predictions is None,
    )


def _render(table: object) -> list[str]:
    console = Console(file=io.StringIO(), width=80, record=True, color_system=None)
    console.print(table)
    return console.export_text().splitlines()


def test_no_purchases_yet_is_a_segment_in_the_table_and_the_count() -> None:
    result = _result()
    names = [row.name for row in segment_rows(result)]
    assert "No purchases yet" in names and len(names) == 4
    assert run_summary(result)[0] == ("4 segments found among 10,000,000 customers, "
                                      "as of 2025-12-31.")
    assert any("68 customers" in line and "not bought" in line for line in run_summary(result))
    assert any("No purchases yet" in line for line in _render(segments_table(result)))


def test_segment_table_fits_80_columns_without_cutting_a_cell() -> None:
    lines = _render(segments_table(_result()))
    assert max(len(line) for line in lines) <= 80
    assert not any("…" in line for line in lines)
    text = " ".join(" ".join(line.split()) for line in lines)
    for word in LONG.split():  # the long name wraps, every word of it is shown
        assert word in text
    assert "9,000,000" in text and "90.0%" in text


def test_quality_table_fits_80_columns_with_dates_on_one_line() -> None:
    big = TableQuality("transactions", "t.csv", 12_345_678, 12_300_000, 45_678, 1_234_567,
                       {"amount is not a number": 45_000, "bad date": 678},
                       "2024-01-02T00:00:00", "2025-12-30T23:59:59")
    small = TableQuality("interactions", "i.csv", 5, 5)
    lines = _render(quality_table({"transactions": big, "interactions": small}))
    assert max(len(line) for line in lines) <= 80
    assert not any("…" in line for line in lines)
    assert any("2024-01-02..2025-12-30" in line for line in lines)
    header = next(line for line in lines if "table" in line)
    assert header.split() == ["table", "read", "kept", "rejected", "dupes", "dates"]
    assert rejection_lines({"transactions": big}) == [
        "transactions rejected: amount is not a number (45,000), bad date (678)"]


def test_summary_names_the_largest_the_most_valuable_and_the_opportunity() -> None:
    predictions = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                                "expected_clv_365d": [10.0, 500.0, 300.0, 0.0],
                                "churn_risk": [0.1, 0.9, 0.5, np.nan]})
    lines = run_summary(_result(predictions))
    assert lines[1] == f"The largest is {LONG}: 9,000,000 customers (90%)."
    assert lines[2] == "In-store high-value loyalists bring 60% of revenue with 7% of customers."
    assert lines[3].startswith("Biggest opportunity: keep Lapsed loyalists (2 customers, "
                               "mean churn risk 70%): 600 EUR of the value")
    assert "repr" not in " ".join(lines) and "{" not in " ".join(lines)


def test_scrub_summary_in_words() -> None:
    report = ScrubReport(Counter({"phone": 2, "email": 1, "address": 1}), texts_changed=3)
    assert scrub_summary(report) == ("removed 4 pieces of personal data from 3 texts: "
                                     "2 phone numbers, 1 e-mail address, 1 street address")


def test_scores_summary_counts_moods_emotions_topics() -> None:
    scored = pd.DataFrame({"sentiment": [0.5, -0.4, 0.0, np.nan],
                           "dominant_emotion": ["joy", "anger", "joy", ""],
                           "topics": ["delivery;price", "delivery", "", ""]})
    assert scores_summary(scored) == [
        "Sentiment: 1 positive, 1 negative, 1 neutral (mean +0.03).",
        "Dominant emotions: joy (2), anger (1).",
        "Commonest topics: delivery (2), price (1).",
    ]


def _audit(value: float, p_value: float, flagged: bool) -> AuditResult:
    metrics = pd.DataFrame([{"attribute": "gender", "outcome": "churn_risk >= 0.5",
                             "metric": "demographic_parity_difference", "value": value,
                             "p_value": p_value, "flagged": flagged,
                             "detail": "rate 0.41 for F vs 0.28 for M"}])
    return AuditResult(threshold=0.1, rates=pd.DataFrame(), composition=pd.DataFrame(),
                       metrics=metrics, alpha=0.01)


def test_audit_says_what_it_tested_and_the_gap_it_could_not_prove() -> None:
    lines = audit_summary(_audit(0.131, 0.04, flagged=False))
    assert lines[0] == ("Tested 1 differences: churn_risk >= 0.5 by gender; flagged: a "
                        "difference over 0.10 with a chi-square p-value below 0.01.")
    assert lines[1] == ("Large but not significant: churn_risk >= 0.5 by gender: 0.131 over "
                        "0.10, but p = 0.040 is not below 0.01: rate 0.41 for F vs 0.28 for M")
    assert lines[-1] == "Nothing flagged."


def test_audit_lists_a_flag_and_not_as_unproven() -> None:
    lines = audit_summary(_audit(0.2, 0.0001, flagged=True))
    assert any(line.startswith("Flagged: ") for line in lines)
    assert not any("not significant" in line for line in lines)
    assert "Nothing flagged." not in lines


def test_no_opportunity_sentence_without_numeric_churn_risk() -> None:
    predictions = pd.DataFrame({"customer_id": ["a", "b"], "expected_clv_365d": [1.0, 2.0],
                                "churn_risk": [None, None]}, dtype=object)
    assert not any(line.startswith("Biggest opportunity") for line in
                   run_summary(_result(predictions)))
