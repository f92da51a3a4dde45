"""``shopperlens watch``: a run at every interval, each knowing the last good one.

Each run is written to its own folder, ``OUT/runs/<UTC start, YYYYMMDDTHHMMSSZ>``, with
``--previous`` set to the last run that finished (so segment ids carry over; see
docs/learning.md). ``OUT/latest`` (a symbolic link) names that run, and a watch started
again on the same ``OUT`` carries on from it. A run that fails is logged in one line
and leaves ``latest`` where it was; the next tick tries again. A first stop request
(Ctrl-C, SIGTERM) lets the current run finish and stops; a second aborts it.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any

from shopperlens.errors import InputError

RUNS = "runs"
LATEST = "latest"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")

__all__ = ["WatchSummary", "parse_interval", "watch"]


def parse_interval(text: str) -> float:
    """Seconds in an interval such as ``1d``, ``12h``, ``1h30m`` or ``0.5s``.

    >>> parse_interval("1d"), parse_interval("1h30m"), parse_interval("0.5s")
    (86400.0, 5400.0, 0.5)
    """
    spec = text.strip().lower()
    parts = _PART.findall(spec)
    if not spec or "".join(n + u for n, u in parts) != spec:
        raise InputError(f"--every {text!r}: not an interval; write a number and a unit "
                         "(s, m, h, d or w), e.g. 1d, 12h, 1h30m or 30s.")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise InputError(f"--every {text!r}: the interval must be longer than zero.")
    return seconds


@dataclass
class WatchSummary:
    """What a watch did: the runs that finished, those that failed (with the error)."""

    good: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    stopped_by: str = ""  # "max_runs", or the signal's name

    @property
    def latest(self) -> Path | None:
        return self.good[-1] if self.good else None


def watch(data: str | Path, out: str | Path, *, every: str | float,
          max_runs: int | None = None, log: Callable[[str], None] | None = None,
          run: Callable[..., Any] | None = None, clock: Callable[[], float] = time.monotonic,
          **options: Any) -> WatchSummary:
    """Run ``data`` into a new folder under ``out`` every ``every`` (``"1d"``, or
    seconds), each run with the last good one as ``previous``, until ``max_runs`` runs
    (failed ones included) or a stop signal.

    ``options`` go to :func:`shopperlens.run` (``report``, ``settings``, ``engine``...);
    ``log`` is told one line per run (default: nothing); ``run`` replaces
    :func:`shopperlens.run` (tests). User errors (a bad interval, no data folder, a bad
    ``max_runs``) raise :class:`~shopperlens.errors.InputError` before any run.
    """
    seconds = every if isinstance(every, (int, float)) else parse_interval(every)
    if seconds <= 0:
        raise InputError("--every: the interval must be longer than zero.")
    if max_runs is not None and max_runs < 1:
        raise InputError(f"--max-runs {max_runs}: give at least 1.")
    if not Path(data).is_dir():
        raise InputError(f"{data}: no such data folder.")
    if run is None:
        from shopperlens.batch.runner import run as run_batch

        run = run_batch
    out = Path(out)
    say = log or (lambda _line: None)
    summary = WatchSummary()
    with _stop_signals(say) as stop:
        for count in _ticks(seconds, max_runs, stop, clock):
            _one(data, out, run, options, summary, say, count)
        summary.stopped_by = stop.reason or "max_runs"
    return summary


@dataclass
class _Stop:
    event: threading.Event = field(default_factory=threading.Event)
    reason: str = ""


def _ticks(seconds: float, max_runs: int | None, stop: _Stop,
           clock: Callable[[], float]) -> Iterator[int]:
    """1, 2, ... a tick every ``seconds`` from one start to the next (at once when a run
    took longer), until ``max_runs`` or a stop request."""
    count = 0
    while not stop.event.is_set():
        count, started = count + 1, clock()
        yield count
        if max_runs is not None and count >= max_runs:
            return
        stop.event.wait(max(0.0, seconds - (clock() - started)))


def _one(data: str | Path, out: Path, run: Callable[..., Any], options: dict[str, Any],
         summary: WatchSummary, say: Callable[[str], None], count: int) -> None:
    previous = summary.latest or _latest(out)
    folder = _new_folder(out)
    try:
        run(data, folder, previous=previous, **options)
    except KeyboardInterrupt:  # the second stop request: abort, keep the last good run
        say(f"run {count} ({folder.name}) aborted; latest is still {_name(previous)}")
        raise
    except Exception as exc:  # survive it: the next tick tries again
        line = " ".join(str(exc).split()) or type(exc).__name__
        summary.failed.append((folder, line))
        say(f"run {count} ({folder.name}) failed: {line}; latest is still {_name(previous)}")
        return
    summary.good.append(folder)
    _point_latest(out, folder)
    say(f"run {count} ({folder.name}) done" + (f", after {previous.name}" if previous else ""))


def _name(folder: Path | None) -> str:
    return folder.name if folder is not None else "none"


def _latest(out: Path) -> Path | None:
    """The last good run of an earlier watch on ``out``."""
    link = out / LATEST
    return link.resolve() if link.is_dir() else None


def _new_folder(out: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")  # noqa: UP017
    folder, n = out / RUNS / stamp, 1
    while folder.exists():  # two runs in one second (tiny intervals)
        n += 1
        folder = out / RUNS / f"{stamp}-{n}"
    return folder


def _point_latest(out: Path, folder: Path) -> None:
    """``out/latest`` -> ``folder``, replaced atomically (a reader never sees none)."""
    temporary = out / f".{LATEST}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(folder.relative_to(out), target_is_directory=True)
    os.replace(temporary, out / LATEST)


@contextmanager
def _stop_signals(say: Callable[[str], None]) -> Iterator[_Stop]:
    """SIGINT and SIGTERM: the first stops after the current run, the second aborts it.
    Outside the main thread (no signal handlers there) nothing is installed."""
    stop = _Stop()

    def handler(number: int, _frame: FrameType | None) -> None:
        if stop.event.is_set():
            raise KeyboardInterrupt
        stop.reason = signal.Signals(number).name
        stop.event.set()
        say(f"{stop.reason}: stopping after the current run (again to abort it)")

    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    before = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for number, old in before.items():
            signal.signal(number, old)
