from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from shopperlens.batch.result import RunResult
from shopperlens.report import _data as d
from shopperlens.report import render_report, write_report
from shopperlens.report._sections import text_columns


class Collector(HTMLParser):
    """Tags with their attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = Collector()
    collector.feed(html)
    return collector.tags


@pytest.fixture(scope="module")
def html(result: RunResult) -> str:
    return render_report(result)


@pytest.fixture(scope="module")
def full_html(full_result: RunResult) -> str:
    return render_report(full_result)


def ids(html: str) -> set[str]:
    return {a["id"] for _, a in parse(html) if a.get("id")}


def test_core_sections_present_and_optional_ones_absent(html: str) -> None:
    found = ids(html)
    assert {"summary", "segment-map", "segments", "rfm", "method"} <= found
    assert "predictions" not in found and "text" not in found


def test_optional_sections_present_when_data_is(full_html: str) -> None:
    assert {"predictions", "text"} <= ids(full_html)
    assert "Holdout evaluation" in full_html


def test_one_card_per_segment(result: RunResult, html: str) -> None:
    cards = [a for tag, a in parse(html) if tag == "article" and "card" in (a.get("class") or "")]
    n_segments = result.model.segment_model.n_segments_
    assert len(cards) == n_segments == 3
    names = result.model.segment_model.names_
    assert [int(a["data-segment-id"] or -1) for a in cards] == sorted(names)
    for name in names.values():
        assert name in html


def test_table_of_contents_links_resolve(html: str) -> None:
    found = ids(html)
    links = [a["href"] for tag, a in parse(html) if tag == "a" and a.get("href")]
    assert len(links) >= 8
    assert all(link.startswith("#") and link[1:] in found for link in links)


def test_no_external_resources(full_html: str) -> None:
    for tag, attrs in parse(full_html):
        for key in ("src", "href", "srcset", "data", "action"):
            value = (attrs.get(key) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, key, value)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", full_html.split("<script>")[0])
    assert "<link" not in full_html


def test_plotly_inlined_once_and_every_chart_drawn_by_it(full_html: str) -> None:
    assert full_html.count("Plotly.newPlot") == full_html.count('class="plotly-graph-div"')
    # the bundle's licence banner appears once: the library is inlined a single time
    assert full_html.count("plotly.js v") == 1
    scripts = [a for tag, a in parse(full_html) if tag == "script"]
    assert all("src" not in a for a in scripts)


def test_size_stays_small(full_html: str) -> None:
    # ~4.8 MB of it is Plotly.js; the data of a small run adds well under 1 MB
    assert len(full_html.encode()) < 6_000_000


def test_map_says_how_points_were_sampled(html: str) -> None:
    assert "How the points were sampled" in html


def test_typical_customer_shows_no_identifiers(result: RunResult, html: str) -> None:
    assert not any(cid in html for cid in result.features.index[:400])


def test_print_styles_keep_charts_whole(html: str) -> None:
    assert "@media print" in html and "break-inside: avoid" in html


def test_write_report(result: RunResult, tmp_path: Path) -> None:
    path = write_report(result, tmp_path / "sub" / "report.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_stratified_sample_keeps_small_segments_and_is_seeded() -> None:
    labels = np.repeat([0, 1, 2], [9_000, 900, 100])
    rows = d.stratified_sample(labels, 1_000, seed=3, floor=30)
    counts = np.bincount(labels[rows])
    assert counts.tolist() == [900, 90, 30]
    assert np.array_equal(rows, d.stratified_sample(labels, 1_000, seed=3, floor=30))


def test_text_columns(full_result: RunResult, result: RunResult) -> None:
    assert text_columns(full_result.features) == ["sentiment_mean", "dominant_emotion"]
    assert text_columns(result.features) == []


def audited(result: RunResult) -> RunResult:
    """The run with a fairness audit in which offers skip the oldest customers."""
    import dataclasses

    import pandas as pd

    from shopperlens.privacy import fairness_audit

    rng = np.random.default_rng(4)
    ids = result.segments["customer_id"]
    groups = pd.DataFrame({"age_band": rng.choice(["18-24", "35-44", "65+"], len(ids)),
                           "gender": rng.choice(["female", "male"], len(ids))}, index=ids)
    outcomes = result.segments.set_index("customer_id")[["segment_name"]].assign(
        offer=(groups["age_band"] != "65+") & (rng.uniform(size=len(ids)) < 0.6))
    audit = fairness_audit(outcomes, groups, alpha=0.01).to_dict()
    return dataclasses.replace(result, audit=audit)


def test_fairness_section_only_after_an_audit(result: RunResult, html: str) -> None:
    assert "fairness" not in ids(html)
    page = render_report(audited(result))
    assert "fairness" in ids(page) and 'href="#fairness"' in page
    section = page[page.index('id="fairness"'):page.index('id="method"')]
    assert "Flagged:</strong> offer: demographic-parity difference by age_band" in section
    assert section.count('class="plotly-graph-div') == 2  # by age band, by gender
    assert "Segments by age band" in section and "Segments by gender" in section
