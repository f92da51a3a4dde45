"""The report reads cleanly: titles outside the SVG, no mode bar, map labels apart,
money in the data's currency, rules simplified."""

from __future__ import annotations

import dataclasses
import json
import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.batch.result import RunResult
from shopperlens.report import charts as c
from shopperlens.report import render_report
from shopperlens.report._format import money
from shopperlens.report._rules import clauses, simplify


def test_complementary_last_clauses_merge_into_their_common_part() -> None:
    rules = ["discount above 0.2 and first order above 148 and variety above 1.2",
             "discount above 0.2 and first order above 148 and variety at most 1.2",
             "app share above 0.69 and trend at most -0.94"]
    assert simplify(rules) == ["discount above 0.2 and first order above 148",
                               "app share above 0.69 and trend at most -0.94"]


def test_merges_cascade_and_specific_rules_under_a_general_one_go() -> None:
    rules = ["a above 1 and b above 2", "a above 1 and b at most 2", "a at most 1"]
    assert simplify(rules) == ["all customers"]
    assert simplify(["x above 1", "x above 1 and y at most 3"]) == ["x above 1"]


def test_different_thresholds_or_features_are_not_merged() -> None:
    rules = ["a above 1 and b above 2", "a above 1 and b at most 3",
             "a above 1 and c at most 2"]
    assert simplify(rules) == rules


def test_between_clauses_stay_whole() -> None:
    assert clauses("spend between 10 and 20 and orders above 2") == [
        "spend between 10 and 20", "orders above 2"]
    rules = ["spend between 10 and 20 and orders above 2",
             "spend between 10 and 20 and orders at most 2"]
    assert simplify(rules) == ["spend between 10 and 20"]


def test_money_shows_the_currency() -> None:
    assert money(2_664_449.99, "EUR") == "€2,664,449.99"
    assert money(2_664_449.99, "sek") == "2,664,449.99 SEK"
    assert money(-12.5, "GBP") == "-£12.50" and money(3.0) == "3.00"


def test_report_money_carries_the_runs_currency(result: RunResult) -> None:
    priced = dataclasses.replace(result, record={**result.record, "currency": "EUR"})
    html = render_report(priced)
    assert re.search(r'<div class="value">€[\d,]+\.\d\d</div><div class="label">revenue',
                     html)
    assert "in the data’s currency" not in html
    typical = re.search(r"<h4>A typical customer</h4>.*?</table>", html, re.S).group(0)
    assert re.search(r'<td class="num">€[\d,]+\.\d\d</td>', typical)  # total spend
    assert "in the data’s currency" in render_report(result)  # unknown: said so


def test_titles_are_html_headings_and_no_mode_bar() -> None:
    long = "What sets “Discount-driven email-engaged occasional weekend shoppers” apart"
    div = c.to_div(c.profile_bars(pd.Series([1.0, -0.5], index=["a", "b"]), "#123456",
                                  title=long), "x")
    assert div.startswith('<div class="chart-title">What sets “Discount-driven')
    spec = json.loads(re.search(r"Plotly\.newPlot\(\s*\"chart-x\",\s*(\[.*?\]),\s*(\{.*?\}),"
                                r"\s*(\{.*?\})\s*\)", div, re.S).group(3))
    assert spec["displayModeBar"] is False


def _boxes(labels, x_range, y_range, frame, offsets):  # noqa: ANN001, ANN202
    width, height = frame
    out = []
    for (text, x, y), (dx, dy) in zip(labels, offsets, strict=True):
        w = len(text) * c.LABEL_FONT_PX[0] + 10
        h = c.LABEL_FONT_PX[1] + 4
        px = (x - x_range[0]) / (x_range[1] - x_range[0]) * width + dx
        py = (y_range[1] - y) / (y_range[1] - y_range[0]) * height + dy
        out.append((px - w / 2, py - h / 2, px + w / 2, py + h / 2))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(3, 45), st.floats(0, 1), st.floats(0, 1)),
                min_size=1, max_size=10))
def test_map_labels_never_overlap_and_stay_inside(spec: list[tuple[int, float, float]]) -> None:
    labels = [("x" * n, x, y) for n, x, y in spec]
    frame = (620.0, 436.0)
    offsets = c.place_labels(labels, (0, 1), (0, 1), frame)
    boxes = _boxes(labels, (0, 1), (0, 1), frame, offsets)
    for i, a in enumerate(boxes):
        assert a[0] >= -1 and a[2] <= frame[0] + 1  # never cut at the plot's edge
        for b in boxes[i + 1:]:
            assert not c._overlap(a, b)


def test_segments_found_counts_no_purchases_yet(result: RunResult) -> None:
    html = render_report(result)
    found = re.search(r'<div class="value">(\d+)</div><div class="label">segments found', html)
    model_segments = len(result.model.segment_model.names_)
    assert (result.segments["segment_id"] < 0).any()  # the fixture has customers who never bought
    assert int(found.group(1)) == model_segments + 1
