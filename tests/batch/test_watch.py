"""The watch loop: intervals, failed runs, the last good run, stop signals."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopperlens.batch.watch import LATEST, parse_interval, watch
from shopperlens.errors import InputError


class _Runs:
    """A stand-in for ``shopperlens.run``: records its calls, fails on some."""

    def __init__(self, failing: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.calls: list[tuple[Path, Path | None]] = []
        self.failing = failing

    def __call__(self, data: Path, out: Path, *, previous: Path | None = None,
                 **_: Any) -> None:
        self.calls.append((out, previous))
        if len(self.calls) in self.failing:
            raise RuntimeError("the database\nwent away")
        out.mkdir(parents=True)


@given(st.lists(st.tuples(st.integers(1, 500), st.sampled_from("smhdw")), min_size=1,
                max_size=3))
def test_an_interval_is_the_sum_of_its_parts(parts: list[tuple[int, str]]) -> None:
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
    text = "".join(f"{n}{u}" for n, u in parts)
    assert parse_interval(text) == sum(n * unit[u] for n, u in parts)


@pytest.mark.parametrize("text", ["", "1", "d", "1x", "-1d", "0s", "1d 2", "daily"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="--every"):
        parse_interval(text)


def test_a_failed_run_leaves_the_last_good_one_as_previous(tmp_path: Path) -> None:
    runs, lines = _Runs(failing={2}), []
    summary = watch(tmp_path, tmp_path / "out", every=0.01, max_runs=3, run=runs,
                    log=lines.append)
    (first, before), (second, _), (third, after) = runs.calls
    assert before is None and after == first  # the failed second run is skipped over
    assert summary.good == [first, third] and summary.failed[0][0] == second
    assert "failed: the database went away; latest is still" in lines[1]  # one line
    assert (tmp_path / "out" / LATEST).resolve() == third.resolve()
    assert summary.stopped_by == "max_runs"


def test_a_new_watch_carries_on_from_the_last_good_run(tmp_path: Path) -> None:
    first = watch(tmp_path, tmp_path / "out", every=0.01, max_runs=1, run=_Runs()).latest
    runs = _Runs()
    watch(tmp_path, tmp_path / "out", every=0.01, max_runs=1, run=runs)
    assert first is not None and runs.calls[0][1] == first.resolve()


def test_sigterm_stops_after_the_current_run(tmp_path: Path) -> None:
    runs = _Runs()
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    summary = watch(tmp_path, tmp_path / "out", every=60, run=runs)  # would wait a minute
    timer.join()
    assert summary.stopped_by == "SIGTERM" and len(runs.calls) == 1
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers put back


@pytest.mark.parametrize(("options", "message"), [
    ({"every": "1d", "max_runs": 0}, "--max-runs 0"),
    ({"every": -1}, "longer than zero"),
])
def test_user_errors_come_before_any_run(tmp_path: Path, options: dict, message: str) -> None:
    runs = _Runs()
    with pytest.raises(InputError, match=message):
        watch(tmp_path, tmp_path / "out", run=runs, **options)
    assert runs.calls == [] and not (tmp_path / "out").exists()
