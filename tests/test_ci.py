"""The test setup itself: CI runs the README's full command, and never passes by skipping."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    """The one-line ``bash`` blocks of the README that install the dev extras and test."""
    blocks = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text("utf-8"), re.S)
    return [b for b in blocks if "\n" not in b and "pytest" in b]


def test_ci_runs_the_readmes_full_command_verbatim() -> None:
    commands = _readme_commands()
    assert len(commands) == 2, f"expected the quick and the full test command: {commands}"
    quick, full = sorted(commands, key=len)
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    assert script.rstrip().splitlines()[-1] == full, ".ci/run must end with the README's line"
    assert quick not in script.replace(full, ""), ".ci/run runs the quick command"
    assert re.search(r"^export CI=true$", script, re.M), ".ci/run must set CI=true"
    args = shlex.split(full)
    pytest_args = args[args.index("pytest") + 1:]
    pytest_args = pytest_args[: pytest_args.index("&&")]
    assert pytest_args == ["-m", ""], "the full run must select every marker"
    assert args[-3:] == ["python", "-m", "mypy"], "the full run must end with the type check"


def test_the_default_run_leaves_out_every_long_marker(request: pytest.FixtureRequest) -> None:
    addopts = request.config.getini("addopts")
    expression = addopts[addopts.index("-m") + 1]
    declared = {m.split(":")[0] for m in request.config.getini("markers")
                if m.endswith("(deselected by default)")}
    assert declared == {"slow", "spark", "e2e"}
    for marker in declared:
        assert f"not {marker}" in expression, marker


def test_a_missing_service_skips_outside_ci(
    monkeypatch: pytest.MonkeyPatch, service_absent: Callable[[str], NoReturn]
) -> None:
    for value in (None, "", "false", "0"):
        if value is None:
            monkeypatch.delenv("CI", raising=False)
        else:
            monkeypatch.setenv("CI", value)
        with pytest.raises(pytest.skip.Exception, match="no server"):
            service_absent("no server")


def test_a_missing_service_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, service_absent: Callable[[str], NoReturn]
) -> None:
    for value in ("true", "TRUE", " true "):
        monkeypatch.setenv("CI", value)
        with pytest.raises(pytest.fail.Exception, match="no server .*must run in CI"):
            service_absent("no server")
