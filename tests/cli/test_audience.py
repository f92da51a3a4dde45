from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from shopperlens.campaigns import held_out
from shopperlens.cli import app

IDS = [f"C{i:03d}" for i in range(60)]


def folders(tmp_path: Path) -> tuple[Path, Path]:
    run, data = tmp_path / "out", tmp_path / "data"
    run.mkdir()
    data.mkdir()
    pd.DataFrame({"customer_id": IDS, "segment_id": [i % 2 for i in range(60)],
                  "segment_name": ["Loyal", "Lapsed"] * 30}).to_parquet(run / "segments.parquet")
    consent = ["false" if i % 7 == 0 else ("true" if i % 3 else "") for i in range(60)]
    pd.DataFrame({"customer_id": IDS, "consent_marketing": consent}).to_csv(
        data / "customers.csv", index=False)
    return run, data


def test_the_audience_leaves_out_the_hold_out_and_the_refusals(tmp_path: Path) -> None:
    run, data = folders(tmp_path)
    out = tmp_path / "audience.csv"
    result = CliRunner().invoke(app, ["audience", "Lapsed", "--run", str(run), "--data",
                                      str(data), "--out", str(out), "--campaign", "spring",
                                      "--control-share", "0.3"])
    assert result.exit_code == 0, result.output
    members = [c for i, c in enumerate(IDS) if i % 2 == 1 and i % 7]
    hold = held_out(members, 0.3, "spring")
    expected = [c for c, h in zip(members, hold, strict=False) if not h]
    assert pd.read_csv(out)["customer_id"].tolist() == expected
    assert 0 < len(expected) < len(members)  # both rules took someone out


def test_an_unknown_segment_is_a_one_line_error(tmp_path: Path) -> None:
    run, data = folders(tmp_path)
    result = CliRunner().invoke(app, ["audience", "Nope", "--run", str(run), "--data",
                                      str(data), "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 2
    assert "No segment 'Nope'" in result.output and "0 = loyal" in result.output
