"""Progress of a run, as events a caller can show: :class:`ProgressEvent`.

``shopperlens.run(..., progress=callback)`` calls ``callback(event)`` when a step starts,
as it advances (bytes loaded, queries run, models fitted, texts and customers scored: the
core functions take a ``progress(done, total)`` callback, made by :meth:`Timer.ticker`)
and when it ends, with the counts the step knows (rows read, customers featured, models
fitted, texts scored) and its seconds.

Two displays are here for the CLI (and any caller): :class:`RichProgress`, bars with
counts, rates and time left for a terminal, and :class:`LineProgress`, plain lines for
logs (CI, cron), where a bar would be noise: each step's start and end, and its count at
most once every few seconds.
"""

from __future__ import annotations

import inspect
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, Literal

Kind = Literal["start", "advance", "end"]


@dataclass(frozen=True)
class ProgressEvent:
    """A step started, advanced or ended.

    ``done`` of ``total`` ``unit`` so far (``None``: the step has no count);
    ``seconds`` since the step started; ``counts``: what the step did, at its end.
    """

    step: str
    kind: Kind
    done: int | None = None
    total: int | None = None
    unit: str = ""
    seconds: float = 0.0
    counts: Mapping[str, int] = field(default_factory=dict)

    def line(self) -> str:
        """The event in words, as a log line.

        >>> ProgressEvent("ingest", "end", seconds=2.0, counts={"rows read": 12000}).line()
        'ingest done in 2.0 s: 12,000 rows read'
        >>> ProgressEvent("scoring", "advance", 50, 200, "customers", seconds=10).line()
        'scoring: 50 of 200 customers (25%), 5.0 customers/s, about 30 s left'
        """
        if self.kind == "start":
            size = f" ({self.total:,} {self.unit})" if self.total else ""
            return f"{self.step} started{size}"
        if self.kind == "end":
            counts = describe_counts(self.counts)
            return f"{self.step} done in {self.seconds:.1f} s" + (f": {counts}" if counts else "")
        return f"{self.step}: {self._so_far()}"

    def _so_far(self) -> str:
        done, total = self.done or 0, self.total
        text = amount(done, self.unit, total)
        if total:
            text += f" ({done / total:.0%})"
        if done and self.seconds > 0:
            text += f", {self.rate()}"
            if total and total > done:
                text += f", about {duration(self.seconds_left())} left"
        return text

    def rate(self) -> str:
        """``done`` per second in words, per minute when under one a second.

        >>> ProgressEvent("features", "advance", 2, 5, "queries", seconds=40).rate()
        '3.0 queries/min'
        """
        per_second = (self.done or 0) / self.seconds
        if self.unit == "bytes" or per_second >= 10:
            return amount(round(per_second), self.unit) + "/s"
        if per_second >= 1:
            return f"{per_second:.1f} {self.unit}/s"
        return f"{per_second * 60:.1f} {self.unit}/min"

    def seconds_left(self) -> float:
        """The seconds to ``total`` at the pace so far (``done`` is not 0)."""
        done = self.done or 0
        return ((self.total or done) - done) * self.seconds / done


Progress = Callable[[ProgressEvent], None]


def describe_counts(counts: Mapping[str, int]) -> str:
    """``{"rows read": 1200, "tables": 3}`` as ``"1,200 rows read, 3 tables"``; one of a
    kind in the singular.

    >>> describe_counts({"rows read": 1200, "tables": 1})
    '1,200 rows read, 1 table'
    """
    return ", ".join(f"{n:,} {_singular(what) if n == 1 else what}"
                     for what, n in counts.items())


def _singular(what: str) -> str:
    first, _, rest = what.partition(" ")
    first = first[:-1] if first.endswith("s") else first
    return f"{first} {rest}" if rest else first


def amount(n: int, unit: str, total: int | None = None) -> str:
    """``n`` (of ``total``) ``unit`` in words; bytes as megabytes.

    >>> amount(1200, "rows", 5000), amount(2_500_000, "bytes", 10_000_000)
    ('1,200 of 5,000 rows', '2.5 of 10.0 MB')
    """
    if unit == "bytes":
        n_text, unit = f"{n / 1e6:,.1f}", "MB"
        total_text = None if total is None else f"{total / 1e6:,.1f}"
    else:
        n_text, total_text = f"{n:,}", None if total is None else f"{total:,}"
    return f"{n_text} of {total_text} {unit}" if total else f"{n_text} {unit}"


def duration(seconds: float) -> str:
    """Seconds in words a person reads at a glance.

    >>> duration(42.4), duration(125), duration(7300)
    ('42 s', '2 min 5 s', '2 h 1 min')
    """
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


class LineProgress:
    """One line per step start and end on ``stream``, and between them the step's count
    so far: its first, then at most one every ``every`` seconds of the step; each line
    stamped with the time of day. Progress for logs, where a redrawn bar is noise."""

    def __init__(self, stream: IO[str], clock: Callable[[], float] = time.time,
                 every: float = 5.0) -> None:
        self.stream, self.clock, self.every = stream, clock, every
        self._said: dict[str, float] = {}  # per step: its seconds at its last count line

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind == "advance":
            said = self._said.get(event.step)
            if said is not None and event.seconds - said < self.every:
                return
            self._said[event.step] = event.seconds
        stamp = time.strftime("%H:%M:%S", time.localtime(self.clock()))
        self.stream.write(f"{stamp} {event.line()}\n")
        self.stream.flush()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class RichProgress:
    """Rich bars on ``console`` (a terminal): a bar per step with its count, rate, time
    elapsed and time left; a step without a count shows its elapsed time; at its end
    the bar says what the step did."""

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            ProgressColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bars = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description:<12}"),
            BarColumn(bar_width=16),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            _countdown(ProgressColumn),
            console=console,
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def __call__(self, event: ProgressEvent) -> None:
        task = self.tasks.get(event.step)
        if task is None:  # a step's first event; work beside a step may advance first
            task = self.tasks[event.step] = self.bars.add_task(
                event.step, total=event.total, count=_count(event), due=None)
        if event.kind == "advance":
            self.bars.update(task, completed=event.done, total=event.total,
                             count=_count(event), due=_due(event))
        elif event.kind == "end":
            total = event.total or 1
            self.bars.update(task, completed=total, total=total, due=None,
                             count=describe_counts(event.counts))
            self.bars.stop_task(task)


def _count(event: ProgressEvent) -> str:
    """``done/total unit, rate`` for a bar (empty for a step without a count)."""
    if event.done is None:
        return ""
    text = amount(event.done, event.unit, event.total).replace(" of ", "/", 1)
    if event.done and event.seconds > 0:
        text += f", {event.rate()}"
    return text


def _due(event: ProgressEvent) -> float | None:
    """When the step should end at the pace so far (by ``time.monotonic``); None until
    there is a pace, and once the count is complete."""
    if not event.done or not event.total or event.done >= event.total or event.seconds <= 0:
        return None
    return time.monotonic() + event.seconds_left()


def _countdown(base: Any) -> Any:
    """A column of the time left, counting down between a step's counts (``base``:
    Rich's column class, imported only when bars are drawn)."""
    from rich.text import Text

    class Countdown(base):  # type: ignore[misc, valid-type]
        def render(self, task: Any) -> Text:
            due = task.fields.get("due")
            if due is None or task.finished:
                return Text("")
            return Text(f"{duration(max(0.0, due - time.monotonic()))} left")

    return Countdown()


def _adapt(progress: Any) -> Progress | None:
    """The callback as one taking events. A callback declared to take a ``str`` (the
    step's name, before events) still gets the names of the steps as they start, with a
    deprecation warning, for one release."""
    if progress is None:
        return None
    try:
        params = list(inspect.signature(progress).parameters.values())
    except (TypeError, ValueError):  # a builtin such as list.append: takes anything
        return progress  # type: ignore[no-any-return]
    if params and params[0].annotation in (str, "str"):
        warnings.warn("a progress callback taking a str is deprecated: it now gets a "
                      "shopperlens.batch.progress.ProgressEvent (its .step is the name)",
                      DeprecationWarning, stacklevel=3)

        def names(event: ProgressEvent) -> None:
            if event.kind == "start":
                progress(event.step)

        return names
    return progress  # type: ignore[no-any-return]


class Timer:
    """Seconds per stage of a run (``run.json``'s ``timings_s``), each stage announced to
    the run's ``progress`` callback as it starts and ends."""

    def __init__(self, progress: Progress | Callable[[str], None] | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = _adapt(progress)
        self._counts: dict[str, dict[str, int]] = {}

    @contextmanager
    def stage(self, name: str, *, announce: bool = True) -> Iterator[None]:
        """Time a stage; a stage met again (once per block of customers) adds up.
        ``announce=False``: timed, but part of a step that announces itself."""
        start = time.perf_counter()
        if announce:
            self.tell(ProgressEvent(name, "start"))
        yield
        elapsed = time.perf_counter() - start
        self.timings[name] = round(self.timings.get(name, 0.0) + elapsed, 3)
        if announce:
            self.tell(ProgressEvent(name, "end", seconds=elapsed,
                                    counts=self._counts.pop(name, {})))

    def count(self, stage: str, **counts: int) -> None:
        """What ``stage`` did (``rows_read=...``), said when it ends."""
        self._counts.setdefault(stage, {}).update(
            {what.replace("_", " "): int(n) for what, n in counts.items()})

    def ticker(self, step: str, unit: str) -> Callable[[int, int | None], None]:
        """A callback ``tick(done, total)`` for the core: each call tells that ``step``
        has done ``done`` of ``total`` ``unit``, timed from the ticker's making."""
        start = time.perf_counter()

        def tick(done: int, total: int | None) -> None:
            self.tell(ProgressEvent(step, "advance", int(done), total, unit,
                                    time.perf_counter() - start))

        return tick

    def tell(self, event: ProgressEvent) -> None:
        if self.progress is not None:
            self.progress(event)
