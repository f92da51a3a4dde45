"""The demo report in real headless Chromium: offline, error-free, every chart drawn.

Uses Debian's ``chromium`` (``apt-get install chromium``) driven by Playwright for Python
with ``executable_path``; ``playwright install`` cannot download browsers here. Without
Chromium the test skips locally but fails in CI (``CI=true``), so CI cannot pass by
silently skipping it. Screenshots go to a temporary folder, or to
``SHOPPERLENS_SCREENSHOTS`` when set (``SHOPPERLENS_SCREENSHOTS=docs/img`` refreshes the
README's pictures; a plain test run never changes tracked files).

The report is rendered from a fresh demo run; set ``SHOPPERLENS_E2E_RUN`` to the output
folder of an earlier run to re-render that one instead (quicker while iterating).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

import shopperlens
from shopperlens import demo
from shopperlens.batch.audit import audit
from shopperlens.batch.result import RunResult
from shopperlens.config import Settings
from shopperlens.report import result_from_outputs, write_report
from shopperlens.report.load import read_audit

pytestmark = pytest.mark.e2e

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DEMO_CUSTOMERS = 1500


@pytest.fixture(scope="module")
def chromium(service_absent: Callable[[str], NoReturn]) -> str:
    """Chromium's path; checked before the report is made, so a skip costs nothing."""
    path = shutil.which("chromium")
    missing = path is None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        service_absent("needs Debian's chromium and the playwright package")
    return path  # type: ignore[return-value]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunResult]:
    """The demo's report: a fresh pipeline run, or SHOPPERLENS_E2E_RUN's finished run
    re-rendered from its files (as ``shopperlens report OUT`` does)."""
    root = tmp_path_factory.mktemp("demo")
    earlier = os.environ.get("SHOPPERLENS_E2E_RUN")
    if earlier:
        result = result_from_outputs(earlier)
    else:
        demo.write(demo.generate(DEMO_CUSTOMERS, seed=0), root / "data")
        result = shopperlens.run(root / "data", root / "out", settings=Settings(max_segments=6))
        audit(root / "data", root / "out")  # the report's fairness section
        result.audit = read_audit(root / "out")
    return write_report(result, root / "report.html"), result


@pytest.fixture(scope="module")
def page(chromium: str, report: tuple[Path, RunResult]) -> Iterator[Any]:
    executable = chromium
    from playwright.sync_api import sync_playwright

    path, _ = report
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.console_errors = []  # type: ignore[attr-defined]
        page.requests = []  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("document.querySelectorAll('.plotly-graph-div').length > 0 && "
                               "[...document.querySelectorAll('.plotly-graph-div')]"
                               ".every(d => d.querySelector('.main-svg'))", timeout=30_000)
        yield page
        browser.close()


def test_no_console_errors_and_no_network(page: Any, report: tuple[Path, Any]) -> None:
    assert page.console_errors == []
    assert page.requests == [report[0].as_uri()]


def test_every_chart_drew(page: Any) -> None:
    charts = page.locator(".plotly-graph-div")
    assert charts.count() >= 8
    drawn = page.evaluate("[...document.querySelectorAll('.plotly-graph-div')]"
                          ".map(d => d.querySelectorAll('.main-svg').length > 0 "
                          "&& d.getBoundingClientRect().height > 100)")
    assert all(drawn), drawn


def test_each_segment_card_present(page: Any, report: tuple[Path, Any]) -> None:
    names = report[1].model.segment_model.names_
    cards = page.locator("article.card")
    assert cards.count() == len(names)
    for seg, name in names.items():
        card = page.locator(f"#segment-{seg}")
        assert card.is_visible()
        assert name in card.locator("h3").inner_text()
        assert card.locator(".main-svg").count() > 0


def test_fairness_section_after_an_audit(page: Any, report: tuple[Path, Any]) -> None:
    if report[1].audit is None:
        pytest.skip("the run was not audited")
    section = page.locator("#fairness")
    assert section.is_visible() and "Nothing flagged" in section.inner_text()
    assert section.locator(".main-svg").count() >= 2  # segments by age band, by gender


def test_screenshots(page: Any, tmp_path: Path) -> None:
    folder = Path(os.environ.get("SHOPPERLENS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shots = {"report-summary.png": "#summary", "report-segment-map.png": "#segment-map",
             "report-segment-card.png": "article.card >> nth=0"}
    for name, selector in shots.items():
        page.locator(selector).screenshot(path=str(folder / name))
        assert (folder / name).stat().st_size > 10_000
