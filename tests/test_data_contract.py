"""docs/data-contract.md against real outputs, both ways: every column a run writes is
documented there, and every column it calls required is written.

Two small runs: the demo's every table (so every optional column appears), and a
transactions-only slice of the real CDNOW file at an early cutoff with a few bad rows
(the customers the engine was not written for, and a ``rejected/`` folder).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from shopperlens.cli import app

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "docs" / "data-contract.md"
CDNOW = REPO / "tests" / "data" / "cdnow" / "master_transactions.csv"
TYPES = {"string", "integer", "number", "date", "category", "object", "array", "boolean"}
# placeholders of column names; <feature> is bound to the run's features.parquet
PLACEHOLDERS = {"<days>": r"\d+", "<column>": r".+"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool

    def pattern(self, features: list[str]) -> re.Pattern[str]:
        text = re.escape(self.name)
        alternatives = "|".join(map(re.escape, features)) or "(?!)"
        text = text.replace(re.escape("<feature>"), f"(?:{alternatives})")
        for placeholder, regex in PLACEHOLDERS.items():
            text = text.replace(re.escape(placeholder), regex)
        return re.compile(text)


def parse_outputs(text: str) -> dict[str, list[Column]]:
    """``{file name: columns}`` of the ``### `file` `` sections under ``## Outputs``."""
    section = text.split("\n## Outputs", 1)[1].split("\n## ", 1)[0]
    files: dict[str, list[Column]] = {}
    for block in section.split("\n### ")[1:]:
        heading, _, body = block.partition("\n")
        names = re.findall(r"`([^`]+)`", heading)
        rows = [line for line in body.splitlines() if line.startswith("|")][2:]
        columns = []
        for row in rows:
            cells = [c.strip() for c in row.strip("|").split("|")]
            columns.append(Column(cells[0].strip("`"), cells[1], cells[2] == "yes"))
        for name in names:
            files[name] = columns
    return files


CONTRACT_FILES = parse_outputs(CONTRACT.read_text(encoding="utf-8"))


def invoke(*args: object) -> None:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("contract-demo")
    invoke("demo", root / "data", "--customers", "200", "--seed", "1")
    invoke("run", root / "data", "--out", root / "out", "--seed", "0", "--no-report")
    invoke("assign", root / "out", root / "data", "--out", root / "assigned")
    return root / "out"


@pytest.fixture(scope="module")
def campaign_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with its planted campaign: the campaign outputs too."""
    from shopperlens.demo import generate, write
    from shopperlens.demo._campaigns import plant_campaign

    root = tmp_path_factory.mktemp("contract-campaign")
    write(plant_campaign(generate(300, seed=2), seed=2), root / "data")
    invoke("run", root / "data", "--out", root / "out", "--seed", "0", "--no-report")
    return root / "out"


RUNS = ["demo_run", "cdnow_run", pytest.param("campaign_run", marks=pytest.mark.slow)]


@pytest.fixture(scope="module")
def cdnow_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("contract-cdnow")
    frame = pd.read_csv(CDNOW, dtype=str)
    frame = frame[frame["customer_id"].isin(frame["customer_id"].unique()[:300])]
    bad = pd.DataFrame([["", "x1", "1997-03-03", "3.5", "1"],
                        ["00077", "x2", "1997-03-03", "abc", "1"]], columns=frame.columns)
    (root / "data").mkdir()
    pd.concat([frame, bad]).to_csv(root / "data" / "transactions.csv", index=False)
    invoke("run", root / "data", "--out", root / "out", "--cutoff", "1997-03-31",
           "--no-report")
    return root / "out"


def read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def written(out: Path) -> dict[str, list[str]]:
    """``{contract file name: columns written}`` for the tables of a run folder."""
    found: dict[str, list[str]] = {}
    for path in sorted(out.glob("*.parquet")) + sorted(out.glob("*.csv")):
        found[path.name] = list(read(path).columns)
    for path in sorted((out / "rejected").glob("*.csv")):
        found[f"rejected/{path.name}"] = list(read(path).columns)
    if (out / "run.json").is_file():
        found["run.json"] = list(json.loads((out / "run.json").read_text()))
    return found


def documented(name: str) -> list[Column]:
    key = "rejected/<table>.csv" if name.startswith("rejected/") else name
    assert key in CONTRACT_FILES, f"{name} is written but has no section in {CONTRACT.name}"
    return CONTRACT_FILES[key]


def feature_names(out: Path) -> list[str]:
    return [c for c in pd.read_parquet(out / "features.parquet").columns if c != "customer_id"]


def test_the_contract_documents_every_output_table() -> None:
    expected = {"segments.csv", "segments.parquet", "segment_profiles.csv",
                "segment_profiles.parquet", "predictions.csv", "predictions.parquet",
                "features.parquet", "rejected/<table>.csv", "run.json"}
    assert expected <= set(CONTRACT_FILES)
    for name, columns in CONTRACT_FILES.items():
        assert columns and any(c.required for c in columns), name
        assert {c.type for c in columns} <= TYPES, (name, {c.type for c in columns})
    contract = CONTRACT_FILES["segment_profiles.parquet"]
    required = {c.name for c in contract if c.required}
    assert {"segment_id", "segment_name", "rules"} <= required  # what the README promises


@pytest.mark.parametrize("run", RUNS)
def test_every_written_column_is_documented(run: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(run)
    features = feature_names(out)
    undocumented = {
        name: [col for col in columns
               if not any(c.pattern(features).fullmatch(col) for c in documented(name))]
        for name, columns in written(out).items()
    }
    assert not {k: v for k, v in undocumented.items() if v}, undocumented


@pytest.mark.parametrize("run", RUNS)
def test_every_required_column_is_written(run: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(run)
    features = feature_names(out)
    tables = written(out)
    missing = {
        name: [c.name for c in documented(name) if c.required
               and not any(c.pattern(features).fullmatch(col) for col in columns)]
        for name, columns in tables.items()
    }
    assert not {k: v for k, v in missing.items() if v}, missing
    assert {"segments.csv", "segment_profiles.csv", "predictions.csv",
            "features.parquet", "run.json"} <= set(tables)


def test_rejected_rows_keep_the_input_columns(cdnow_run: Path) -> None:
    rejected = read(cdnow_run / "rejected" / "transactions.csv")
    inputs = ["customer_id", "order_id", "timestamp", "amount", "quantity"]
    assert set(inputs) <= set(rejected.columns) and len(rejected) == 2
    assert set(rejected.columns) - set(inputs) == {"row", "raw_line", "reason"}


def _has_type(series: pd.Series, kind: str) -> bool:
    values = series.dropna()
    if kind == "integer":
        return pd.api.types.is_integer_dtype(series)
    if kind == "boolean":
        return pd.api.types.is_bool_dtype(series)
    if kind == "number":
        return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if kind == "date":
        text = values.astype(str)
        return bool(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all())
    if series.dtype == object:  # pandas 2 reads strings with gaps as objects
        return bool(values.map(lambda v: isinstance(v, str)).all())
    return pd.api.types.is_string_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype)


@pytest.mark.parametrize("run", RUNS)
def test_parquet_columns_have_the_documented_types(run: str,
                                                   request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(run)
    features = feature_names(out)
    wrong = []
    for path in sorted(out.glob("*.parquet")):
        frame = read(path)
        for column in frame.columns:
            for c in documented(path.name):
                series = frame[column]
                if c.pattern(features).fullmatch(column) and not _has_type(series, c.type):
                    wrong.append(f"{path.name}.{column}: {series.dtype}, documented {c.type}")
    assert not wrong, wrong


def test_assign_writes_the_columns_of_segments(demo_run: Path) -> None:
    assigned = demo_run.parent / "assigned"
    contract = documented("segments.parquet")
    for name in ("segments.csv", "segments.parquet"):
        columns = list(read(assigned / name).columns)
        assert all(any(c.pattern([]).fullmatch(col) for c in contract) for col in columns)
        assert {c.name for c in contract if c.required} <= set(columns)


def test_a_pattern_matches_only_real_features() -> None:
    diff = Column("diff_<feature>", "number", True)
    assert diff.pattern(["frequency"]).fullmatch("diff_frequency")
    assert not diff.pattern(["frequency"]).fullmatch("diff_whatever")
    days = Column("expected_orders_<days>d", "number", True)
    assert days.pattern([]).fullmatch("expected_orders_273d")
    assert not days.pattern([]).fullmatch("expected_orders_d")


def test_the_parser_reads_sections_tables_and_required_flags() -> None:
    text = """# x
## Inputs
### `ignored.csv`
| column | type | required | notes |
|---|---|---|---|
| `a` | string | yes | |
## Outputs
### `one.csv`, `one.parquet`
Some words.

| column | type | required | notes |
|---|---|---|---|
| `id` | string | yes | the id |
| `mean_<feature>` | number | with `events` | |
## After
"""
    parsed = parse_outputs(text)
    assert set(parsed) == {"one.csv", "one.parquet"}
    assert parsed["one.csv"] == [Column("id", "string", True),
                                 Column("mean_<feature>", "number", False)]
