"""The live page (GET /live): segment sizes now, events per second, the latest moves and
a customer lookup, self-contained; checked in the API and in headless Chromium (issue #34).

The browser test uses Debian's ``chromium`` driven by Playwright (as the report's test:
``executable_path``, no ``playwright install``); without it the test skips locally and
fails in CI.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pandas as pd
import pytest
from service_support import KEY, TestClient, live_server, order

from shopperlens import demo
from shopperlens import schema as s
from shopperlens.batch.runner import run
from shopperlens.config import Settings
from shopperlens.service import ServiceSettings, create_app, hash_key
from shopperlens.service.store import SQLiteStore

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("live")
    demo.write(demo.generate(300, seed=3), base / "data")
    # the live page reads no demand forecasts: the run leaves that step out
    run(base / "data", base / "out", report=False,
        settings=Settings(max_segments=4, forecast_weeks=0))
    return base / "out"


def _app(run_out: Path, tmp_path: Path) -> Any:
    settings = ServiceSettings(model_dir=run_out, write_key_hashes=[hash_key(KEY)])
    return create_app(settings, store=SQLiteStore(tmp_path / "live.sqlite3"))


def test_the_page_is_self_contained_and_holds_no_data(run_out: Path, tmp_path: Path) -> None:
    with TestClient(_app(run_out, tmp_path)) as client:
        answer = client.get("/live")  # no key: the page itself holds no customer data
        assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert re.findall(r"(?:src|href)=[\"']?(?:https?:)?//", answer.text) == []
        assert "http://" not in answer.text and "https://" not in answer.text
        assert client.get("/v1/live").status_code == 401
        snap = client.get("/v1/live", headers={"Authorization": f"Bearer {KEY}"}).json()
    segments = pd.read_parquet(run_out / f"{s.SEGMENTS_FILE}.parquet")
    sizes = {x["segment_name"]: x["size"] for x in snap["segments"] if x["size"]}
    assert sizes == segments[s.SEGMENT_NAME].value_counts().to_dict()
    assert snap["seeded"] == len(pd.read_parquet(run_out / s.FEATURES_FILE))


def test_moves_name_both_segments(run_out: Path, tmp_path: Path) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    with TestClient(_app(run_out, tmp_path)) as client:
        client.post("/v1/batch", json={"batch": [order(f"n{i}", user=f"NEW{i}")
                                                 for i in range(3)]}, headers=auth)
        moves = client.get("/v1/live", headers=auth).json()["moves"]
    assert {m["customer_id"] for m in moves} == {"NEW0", "NEW1", "NEW2"}
    assert all(m["from_segment"] is None and m["to_name"] for m in moves)


@pytest.fixture(scope="module")
def chromium(service_absent: Callable[[str], NoReturn]) -> str:
    path = shutil.which("chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        service_absent("needs Debian's chromium and the playwright package")
    return path  # type: ignore[return-value]


@pytest.fixture
def browser_page(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.errors, page.requests = [], []  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and "401" not in m.text
                and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("request", lambda r: page.requests.append(r.url))
        yield page
        browser.close()


@pytest.mark.e2e
def test_the_live_page_in_chromium(browser_page: Any, run_out: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    segments = pd.read_parquet(run_out / f"{s.SEGMENTS_FILE}.parquet").set_index(s.CUSTOMER_ID)
    customer = str(segments.index[0])
    with live_server(_app(run_out, tmp_path)) as url:
        page.goto(f"{url}/live", wait_until="load")
        page.wait_for_selector("#keybox.shown")  # the API wants the write key
        page.fill("#key", KEY)
        page.click("#keyform button")
        page.wait_for_selector("#segments tr")
        shown = page.locator("#segments tr td:first-child").all_inner_texts()
        assert set(segments[s.SEGMENT_NAME]) <= set(shown)
        # traffic: new buyers move into segments; the rate and the moves show it
        with httpx.Client(base_url=url, auth=(KEY, "")) as api:
            for k in range(5):
                batch = [order(f"b{k}-{i}", user=f"LIVE{k}{i}") for i in range(20)]
                assert api.post("/v1/batch", json={"batch": batch}).json()["stored"] == 20
                page.wait_for_timeout(300)
        # (locator waits: the page's CSP forbids the eval behind wait_for_function)
        page.locator("#moves li b").nth(9).wait_for(timeout=10_000)
        expect(page.locator("#received")).to_have_text("100", timeout=10_000)
        moves = page.locator("#moves li").all_inner_texts()
        assert any("LIVE" in m and "→" in m for m in moves)
        rates = page.locator("#rate").inner_text()
        assert rates.replace(",", "").isdigit()
        # lookup: a batch customer, known before any event, with the batch's name, why,
        # and the run's predictions
        page.fill("#customer", customer)
        page.click("#lookup button")
        page.wait_for_selector("#profile .name")
        profile = page.locator("#profile").inner_text()
        assert segments.loc[customer, s.SEGMENT_NAME] in profile
        assert "Why:" in profile and "churn risk" in profile
        page.set_viewport_size({"width": 700, "height": 900})  # narrow: nothing sticks out
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow
    assert page.errors == []
    assert all(r.startswith(url) for r in page.requests), [r for r in page.requests
                                                          if not r.startswith(url)]
