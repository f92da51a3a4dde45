"""The CLI on a new user's mistakes: dates, files nothing survives in, the --debug hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopperlens import cli
from shopperlens.cli import app

runner = CliRunner()
TX = "customer_id,order_id,timestamp,amount\nc1,o1,1997-01-02,10\nc1,o1,1997-01-02,10\n"


def invoke(*args: object):  # noqa: ANN201 - click's Result
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def folder(tmp_path: Path, transactions: str) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "transactions.csv").write_text(transactions)
    return data


@pytest.mark.parametrize("command", ["run", "assign"])
def test_a_non_iso_cutoff_is_refused_before_any_work(tmp_path: Path, command: str) -> None:
    data = folder(tmp_path, TX)
    args = [command, data, "--cutoff", "03/04/1997"]
    if command == "assign":
        args.insert(1, tmp_path / "no-model")
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: --cutoff '03/04/1997' is not a date: expected an ISO 8601 date YYYY-MM-DD "
        "or date-time YYYY-MM-DDTHH:MM:SS, e.g. 1997-09-30."
    )


def test_the_cutoff_help_says_iso_only() -> None:
    words = re.sub(r"[│╭╮╰╯─]", " ", invoke("run", "--help").output).split()
    assert "ISO 8601 only: YYYY-MM-DD" in " ".join(words)  # however Rich wraps the box


def test_validate_exits_2_when_no_transaction_survives(tmp_path: Path) -> None:
    data = folder(tmp_path, "customer_id,order_id,timestamp,amount\nc1,o1,03/04/1997,10\n")
    result = invoke("validate", data)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(
        "Error: transactions.csv: none of its 1 rows can be used; row 1: bad timestamp in "
        "timestamp: '03/04/1997' (expected an ISO 8601 date or date-time). Write dates as "
        "ISO 8601"
    )
    assert "Data quality" in result.output  # the summary is shown first


def test_validate_reports_and_can_keep_duplicates(tmp_path: Path) -> None:
    data = folder(tmp_path, TX)
    result = invoke("validate", data)
    assert result.exit_code == 0, result.output
    assert _row(result.output, "transactions")[1:5] == ["2", "1", "1", "1"]  # read, kept,
    kept = invoke("validate", data, "--keep-duplicates")  # rejected, duplicates
    assert _row(kept.output, "transactions")[1:5] == ["2", "2", "0", "1"]


def _row(output: str, table: str) -> list[str]:
    """The cells of ``table``'s line of the quality table."""
    return next(line.split() for line in output.splitlines() if line.startswith(table))


def test_an_empty_file_is_named_as_empty(tmp_path: Path) -> None:
    data = folder(tmp_path, "")
    result = invoke("validate", data)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: {data / 'transactions.csv'} is empty: transactions needs a header line "
        "(customer_id, order_id, timestamp, amount) and rows."
    )


def _crash(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


def test_the_internal_error_hint_names_the_real_syntax_and_it_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_run", _crash)
    monkeypatch.setitem(cli._state, "debug", False)
    data = folder(tmp_path, TX)
    result = invoke("run", data)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Internal error: RuntimeError: boom (re-run with shopperlens --debug run ... "
        "for details)."
    )
    # --debug is accepted after the command too, and shows the traceback
    again = invoke("run", data, "--debug")
    assert again.exit_code == 1
    assert "Traceback" in again.stderr and "RuntimeError: boom" in again.stderr


SHOP = "".join(f"c{i},o{i}{j},1997-0{j}-1{i},{10 + i}\n" for i in range(4) for j in (1, 3, 6))
HEADER = "customer_id,order_id,timestamp,amount\n"
RANGE = "the transactions run from 1997-01-10 to 1997-06-13"


@pytest.mark.parametrize(("options", "message"), [
    (["--cutoff", "1996-12-31"], f"--cutoff 1996-12-31 is before the first transaction: {RANGE}."),
    (["--cutoff", "1997-03-31", "--holdout", "90"],
     f"--holdout 90 reaches 16 days past the data's end ({RANGE}); use --holdout 74 or an "
     "earlier --cutoff."),
    (["--cutoff", "1999-01-01"], "--cutoff 1999-01-01 is 567 days after the last transaction"),
])
def test_a_window_outside_the_data_is_exit_2_with_its_range(
    tmp_path: Path, options: list[str], message: str
) -> None:
    result = invoke("run", folder(tmp_path, HEADER + SHOP), "--out", tmp_path / "out",
                    "--quiet", *options)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_cutoff_after_the_data_warns_with_the_gap(tmp_path: Path) -> None:
    result = invoke("run", folder(tmp_path, HEADER + SHOP), "--out", tmp_path / "out",
                    "--cutoff", "1997-06-23", "--no-report", "--quiet")
    assert result.exit_code == 0, result.output
    assert "Warning: --cutoff 1997-06-23 is 10 days after the last transaction" in result.stderr


def test_rejected_rows_are_written_even_when_the_run_stops(tmp_path: Path) -> None:
    data = folder(tmp_path, HEADER + "c1,o1,03/04/1997,10\nc2,o2,03/05/1997,12\n")
    result = invoke("run", data, "--out", tmp_path / "out")
    assert result.exit_code == 2
    rejected = (tmp_path / "out" / "rejected" / "transactions.csv").read_text()
    assert rejected.count("bad timestamp") == 2
