"""A run's progress: events with counts from the library, shown as Rich bars or lines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from shopperlens import demo
from shopperlens.batch import runner
from shopperlens.batch.progress import (
    LineProgress,
    ProgressEvent,
    RichProgress,
    Timer,
    duration,
)
from shopperlens.config import Settings


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> list[ProgressEvent]:
    """The events of a run of 150 customers scored in blocks of 50 (weekly forecasts
    only: the demand step's events are the same with or without the daily ones)."""
    root = tmp_path_factory.mktemp("progress")
    demo.write(demo.generate(150, seed=4), root / "data", fmt="parquet")
    seen: list[ProgressEvent] = []
    runner.run(root / "data", root / "out", report=False, progress=seen.append,
               settings=Settings(block_customers=50, forecast_days=0))
    return seen


def test_every_step_starts_and_ends_once_with_its_counts(events: list[ProgressEvent]) -> None:
    starts = [e.step for e in events if e.kind == "start"]
    ends = {e.step: e for e in events if e.kind == "end"}
    assert starts == ["ingest", "features", "segmentation", "text", "predictions", "scoring",
                      "outputs", "recommendations", "journeys", "demand"]
    assert list(ends) == starts
    assert ends["ingest"].counts["rows read"] > 150 and ends["ingest"].counts["tables"] == 7
    assert ends["features"].counts == {"customers": 150}
    assert ends["segmentation"].counts["segments"] >= 2
    assert ends["text"].counts["texts scored"] > 0
    assert 1 <= ends["predictions"].counts["models fitted"] <= 3
    assert ends["journeys"].counts["sessions"] > 0
    assert ends["recommendations"].counts["customers"] == 150
    assert all(e.seconds >= 0 for e in ends.values())


def test_scoring_counts_customers_block_by_block(events: list[ProgressEvent]) -> None:
    steps = [e for e in events if e.step == "scoring" and e.kind == "advance"]
    assert [e.done for e in steps] == [50, 100, 150]
    assert {e.total for e in steps} == {150} and {e.unit for e in steps} == {"customers"}
    assert all(a.seconds <= b.seconds for a, b in zip(steps, steps[1:], strict=False))


COUNTED = {"ingest": "bytes", "features": "queries", "segmentation": "models",
           "text": "texts", "predictions": "models", "scoring": "customers"}


@pytest.mark.parametrize("step", COUNTED)
def test_each_long_step_counts_up_to_its_total_as_it_goes(events: list[ProgressEvent],
                                                          step: str) -> None:
    ticks = [e for e in events if e.step == step and e.kind == "advance"]
    assert ticks and {e.unit for e in ticks} == {COUNTED[step]}
    assert all(a.done < b.done and a.total <= b.total and a.seconds <= b.seconds  # type: ignore[operator]
               for a, b in zip(ticks, ticks[1:], strict=False))
    assert ticks[-1].done == ticks[-1].total and all(0 <= e.done <= e.total for e in ticks)  # type: ignore[operator]
    if step == "predictions":  # transactions, spend, baseline, churn
        assert [(e.done, e.total) for e in ticks] == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_lines_say_start_end_counts_and_seconds() -> None:
    stream = io.StringIO()
    show = LineProgress(stream, clock=lambda: 0.0)
    show(ProgressEvent("ingest", "start"))
    show(ProgressEvent("ingest", "end", seconds=3.25, counts={"rows read": 1_234_567}))
    show(ProgressEvent("scoring", "advance", 250_000, 1_000_000, "customers", seconds=20))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith(" ingest started")
    assert lines[1].endswith(" ingest done in 3.2 s: 1,234,567 rows read")
    assert lines[2].endswith(" scoring: 250,000 of 1,000,000 customers (25%), "
                             "12,500 customers/s, about 1 min 0 s left")
    assert "\x1b" not in stream.getvalue()  # no terminal codes in a log


def test_lines_count_at_most_once_every_few_seconds_of_a_step() -> None:
    stream = io.StringIO()
    show = LineProgress(stream, clock=lambda: 0.0, every=5)
    show(ProgressEvent("ingest", "start"))
    for second in range(13):  # a tick a second: said at 0 s, 5 s and 10 s
        show(ProgressEvent("ingest", "advance", second + 1, 20, "tables", seconds=second))
        show(ProgressEvent("text", "advance", second + 1, 20, "texts", seconds=second / 10))
    show(ProgressEvent("ingest", "end", seconds=13))
    lines = stream.getvalue().splitlines()
    assert [x.split(" ", 1)[1] for x in lines if " ingest" in x] == [
        "ingest started",
        "ingest: 1 of 20 tables (5%)",
        "ingest: 6 of 20 tables (30%), 1.2 tables/s, about 12 s left",
        "ingest: 11 of 20 tables (55%), 1.1 tables/s, about 8 s left",
        "ingest done in 13.0 s",
    ]
    assert sum(" text: " in x for x in lines) == 1  # each step on its own clock


def test_bytes_read_as_megabytes() -> None:
    event = ProgressEvent("ingest", "advance", 30_000_000, 120_000_000, "bytes", seconds=3)
    assert event.line() == "ingest: 30.0 of 120.0 MB (25%), 10.0 MB/s, about 9 s left"


def test_a_ticker_tells_its_step_advancing_timed_from_its_making() -> None:
    seen: list[ProgressEvent] = []
    tick = Timer(seen.append).ticker("features", "queries")
    tick(1, 3)
    tick(3, 3)
    assert [(e.step, e.kind, e.done, e.total, e.unit) for e in seen] == [
        ("features", "advance", 1, 3, "queries"), ("features", "advance", 3, 3, "queries")]
    assert 0 <= seen[0].seconds <= seen[1].seconds


def test_rich_bars_show_count_rate_and_time_left() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80, color_system=None)
    with RichProgress(console) as show:
        show(ProgressEvent("features", "start"))
        show(ProgressEvent("features", "end", seconds=1.5, counts={"customers": 5000}))
        show(ProgressEvent("scoring", "start", 0, 4000, "customers"))
        show(ProgressEvent("scoring", "advance", 1000, 4000, "customers", seconds=2.0))
        # work beside a step (the texts, scored while the features are) may advance first
        show(ProgressEvent("text", "advance", 50, 200, "texts", seconds=5.0))
        show.bars.refresh()
        shown = out.getvalue()
    assert "1,000/4,000 customers, 500 customers/s" in shown
    assert "6 s left" in shown and "15 s left" in shown  # at the pace so far
    assert "50/200 texts" in shown
    assert "5,000 customers" in shown  # what the finished step did
    assert "0:00:0" in shown  # elapsed


def test_timer_adds_up_a_stage_met_again_and_announces_only_when_asked() -> None:
    seen: list[ProgressEvent] = []
    timer = Timer(seen.append)
    with timer.stage("features"):
        timer.count("features", customers=10)
    with timer.stage("features", announce=False):
        pass
    assert [(e.step, e.kind) for e in seen] == [("features", "start"), ("features", "end")]
    assert seen[1].counts == {"customers": 10}
    assert set(timer.timings) == {"features"}


def test_duration_reads_at_a_glance() -> None:
    assert duration(0.4) == "0 s" and duration(59.6) == "1 min 0 s"
    assert duration(3 * 3600 + 61) == "3 h 1 min"


def test_a_run_without_progress_is_silent(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    timer = Timer(None)
    with timer.stage("ingest"):
        pass
    assert capsys.readouterr() == ("", "")


def test_an_old_callback_taking_a_str_still_gets_step_names_with_a_warning() -> None:
    names: list[str] = []

    def old(stage: str) -> None:  # the callback type before events
        names.append(stage.capitalize())

    with pytest.warns(DeprecationWarning, match="ProgressEvent"):
        timer = Timer(old)
    with timer.stage("ingest"):
        timer.count("ingest", rows_read=3)
    timer.tell(ProgressEvent("scoring", "advance", 1, 2, "customers"))
    assert names == ["Ingest"]
