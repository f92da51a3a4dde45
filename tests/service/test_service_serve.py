"""`serve` from the README's own install, its start-up banner and its JSON access logs
(issue #34)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from service_support import KEY, Fitted, TestClient
from typer.testing import CliRunner

from shopperlens import service
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.cli import app as cli
from shopperlens.schema import MODEL_FILE
from shopperlens.service import ServiceSettings, hash_key
from shopperlens.service.server import _safe_url, banner, build, configure_access_log

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = {"fastapi": "fastapi", "uvicorn": "uvicorn", "httpx": "httpx"}


def _first_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"```bash\n(.*?)\n```", readme, re.S).group(1)  # type: ignore[union-attr]


def test_the_readmes_first_command_installs_what_serve_imports() -> None:
    command = _first_command()
    assert "pip install" in command and "quickstart" in command
    extras = re.findall(r"\.\[([\w,]+)\]", command)
    # pyproject's dependency lists, one per line (tomllib is Python 3.11+)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    lists = dict(re.findall(r"^([\w-]+) = \[(.*?)\]", text, re.S | re.M))
    installed = re.findall(r'"([^"]+)"', lists["dependencies"])
    for extra in ",".join(extras).split(","):
        installed += re.findall(r'"([^"]+)"', lists.get(extra, ""))
    names = {re.split(r"[<>=\[ ]", spec)[0].lower() for spec in installed}
    assert set(service.ONLINE_MODULES) == set(DISTRIBUTIONS)
    assert {DISTRIBUTIONS[m] for m in service.ONLINE_MODULES} <= names, command


def test_serve_without_the_online_extra_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, fitted: Fitted
) -> None:
    monkeypatch.setattr(service, "ONLINE_MODULES", ("fastapi", "shopperlens_no_such_module"))
    result = CliRunner().invoke(cli, ["serve", "--model", str(fitted.out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "shopperlens[online]" in lines[0] and "shopperlens_no_such_module" in lines[0]
    assert "Traceback" not in result.output


def test_the_banner_names_address_model_segments_and_store(fitted: Fitted) -> None:
    settings = ServiceSettings(model_dir=fitted.out, store_url="memory://")
    rt = build(settings).state.runtime
    text = "\n".join(banner(rt, "http://127.0.0.1:8123"))
    saved = SavedSegmentModel.load(fitted.out / MODEL_FILE)
    assert "http://127.0.0.1:8123" in text and "/live" in text
    assert rt.model.version in text and saved.as_of in text
    for name in saved.segment_model.names_.values():
        assert str(name) in text
    assert "store: memory://" in text


def test_store_urls_in_the_banner_hide_passwords() -> None:
    assert _safe_url("postgresql://app:secret@db:5432/x") == "postgresql://app@db:5432/x"
    assert _safe_url("sqlite:////tmp/s.sqlite3") == "sqlite:////tmp/s.sqlite3"


def test_each_request_writes_one_json_access_line(
    fitted: Fitted, caplog: pytest.LogCaptureFixture
) -> None:
    configure_access_log()
    logging.getLogger("shopperlens.access").propagate = True  # so caplog sees it
    try:
        app = build(ServiceSettings(model_dir=fitted.out, write_key_hashes=[hash_key(KEY)],
                                    store_url="memory://"))
        with TestClient(app) as client, caplog.at_level(logging.INFO, "shopperlens.access"):
            client.get("/healthz")
            client.get("/v1/profiles/nobody")  # no key: 401
    finally:
        logging.getLogger("shopperlens.access").propagate = False
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "shopperlens.access"]
    assert [(x["method"], x["path"], x["status"]) for x in lines] == [
        ("GET", "/healthz", 200), ("GET", "/v1/profiles/nobody", 401)]
    assert all(isinstance(x["ms"], float) and x["ms"] >= 0 for x in lines)
