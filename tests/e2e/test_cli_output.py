"""What a person sees in the terminal: progress on stderr (lines when piped, none when
quiet), tables within 80 columns, summaries in words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from shopperlens.cli import app

pytestmark = pytest.mark.e2e
runner = CliRunner()
STEPS = ("ingest", "features", "segmentation", "text", "predictions", "scoring", "outputs",
         "recommendations", "demand")


def invoke(*args: object):  # noqa: ANN201 - click's Result
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False,
                         env={"COLUMNS": "80"})


@pytest.fixture(scope="module")
def piped(demo_folder: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    out = tmp_path_factory.mktemp("piped") / "out"
    result = invoke("run", demo_folder, "--out", out, "--no-report", "--currency", "eur")
    assert result.exit_code == 0, result.output
    return result, out


def test_piped_progress_is_plain_lines_per_step_start_count_and_end(piped) -> None:  # noqa: ANN001
    result, _ = piped
    lines = result.stderr.splitlines()
    assert "\x1b" not in result.stderr  # no terminal codes in a log
    stamp = r"\d\d:\d\d:\d\d "
    for step in STEPS:
        assert sum(bool(re.fullmatch(f"{stamp}{step} started.*", x)) for x in lines) == 1
        assert sum(bool(re.fullmatch(rf"{stamp}{step} done in \d+\.\d s.*", x))
                   for x in lines) == 1
    # the long steps' counts as they go: done of total, share (and pace, time left)
    for step, unit in (("ingest", "MB"), ("features", "queries"), ("segmentation", "models"),
                       ("text", "texts"), ("predictions", "models"), ("scoring", "customers")):
        assert any(re.fullmatch(rf"{stamp}{step}: [\d,.]+ of [\d,.]+ {unit} \(\d+%\).*", x)
                   for x in lines), step
    assert any(re.search(r"ingest done in .* s: [\d,]+ rows read, 7 tables", x) for x in lines)
    assert any(re.search(r"features done .*: 800 customers$", x) for x in lines)
    assert any(re.search(r"scoring: 800 of 800 customers \(100%\)", x) for x in lines)
    assert "Segments as of" not in result.stderr  # results go to stdout, progress to stderr


def test_stdout_fits_80_columns_and_says_what_was_found(piped) -> None:  # noqa: ANN001
    result, out = piped
    # every line but the output folder's path, which is never broken (to copy it)
    lines = [x for x in result.stdout.splitlines() if not x.startswith("Outputs in")]
    assert max(len(line) for line in lines) <= 80
    assert not any("…" in line for line in lines)
    assert any(re.fullmatch(r"\d+ segments found among 800 customers, as of \d{4}-\d\d-\d\d\.",
                            line) for line in lines)
    sizes = json.loads((out / "run.json").read_text())["metrics"]["segmentation"]
    for name in sizes["segment_sizes"]:
        assert name.split()[0] in result.stdout
    found = int(re.search(r"(\d+) segments found", result.stdout).group(1))
    assert found == len(sizes["segment_sizes"])
    assert re.search(r"\d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d", result.stdout)  # dates, one line
    assert json.loads((out / "run.json").read_text())["currency"] == "EUR"


def test_quiet_prints_no_progress_and_only_the_last_line(demo_folder: Path,
                                                         tmp_path: Path) -> None:
    result = invoke("run", demo_folder, "--out", tmp_path / "out", "--no-report", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.strip() == f"Outputs in {tmp_path / 'out'} (run record: run.json)."


def test_score_text_keeps_every_column_and_speaks_in_words(tmp_path: Path) -> None:
    source = tmp_path / "texts.csv"
    pd.DataFrame({
        "customer_id": ["a", "b", "c"],
        "text": ["Love it! Call me on +44 20 7946 0958", "Arrived late and broken",
                 "mail jo@example.com please"],
        "rating": [5, 1, 3],
        "channel": ["web", "app", "email"],
    }).to_csv(source, index=False)
    result = invoke("score-text", source, "--out", tmp_path / "scored.csv")
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert list(scored.columns[:4]) == ["customer_id", "text", "rating", "channel"]
    assert scored["rating"].tolist() == [5, 1, 3] and {"sentiment", "topics"} <= set(scored)
    assert "0958" not in scored["text"].iloc[0] and "<EMAIL>" in scored["text"].iloc[2]
    assert "ScrubReport" not in result.stdout and "Counter" not in result.stdout
    assert ("removed 2 pieces of personal data from 2 texts: 1 phone number, "
            "1 e-mail address") in " ".join(result.stdout.split())
    assert re.search(r"Sentiment: \d positive, \d negative", result.stdout)


def test_a_terminal_gets_rich_bars_a_pipe_gets_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    from shopperlens.batch.progress import LineProgress, RichProgress
    from shopperlens.cli import _output as cli

    with cli.run_progress(quiet=False) as shown:  # under pytest stderr is no terminal
        assert isinstance(shown, LineProgress)
    with cli.run_progress(quiet=True) as shown:
        assert shown is None
    monkeypatch.setattr(type(cli.err_console), "is_terminal", property(lambda self: True))
    monkeypatch.setattr(type(cli.err_console), "is_dumb_terminal",
                        property(lambda self: False))
    with cli.run_progress(quiet=False) as shown:
        assert isinstance(shown, RichProgress)


def test_report_renders_money_in_the_currency_asked(piped) -> None:  # noqa: ANN001
    _, out = piped
    result = invoke("report", out, "--currency", "usd")
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert re.search(r'<div class="value">\$[\d,.]+( M)?</div><div class="label">revenue', html)
