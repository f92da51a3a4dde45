"""The invariants themselves: each holds on a coherent hand-made output and is broken by
the one defect it is there to catch."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from . import invariants as inv


def features(recency: list[float], frequency: list[float]) -> pd.DataFrame:
    ids = [f"c{i}" for i in range(len(recency))]
    return pd.DataFrame({"customer_id": ids, "recency_days": recency, "frequency": frequency})


def segments(names: list[str], rfm: list[str] | None = None,
             ids: list[int] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(len(names))],
        "segment_id": ids if ids is not None else [hash(n) % 7 for n in names],
        "segment_name": names,
    })
    if rfm is not None:
        frame["rfm_segment"] = rfm
    return frame


def predictions(p_alive: list[float], churn: list[float],
                dates: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(p_alive))],
                          "p_alive": p_alive, "churn_risk": churn})
    if dates is not None:
        frame["next_order_date"] = dates
    return frame


def test_exit_code_accepts_success_and_input_errors_only() -> None:
    assert inv.exit_code(0, "") == [] and inv.exit_code(2, "Error: bad date") == []
    assert inv.exit_code(1, "Internal error: ValueError") != []
    assert inv.exit_code(3, "") != []


def test_every_customer_once_and_the_same_everywhere() -> None:
    seg, pred = segments(["A", "B"]), predictions([0.5, 0.5], [0.5, 0.5])
    feats = features([1, 2], [1, 1])
    assert inv.one_row_per_customer({"s": seg, "p": pred}, feats) == []
    doubled = pd.concat([pred, pred.iloc[[0]]])
    assert "repeated" in inv.one_row_per_customer({"s": seg, "p": doubled}, feats)[0]
    missing = inv.one_row_per_customer({"s": seg, "p": pred.iloc[:1]}, feats)
    assert "cover different customers" in missing[0]


def test_features_may_hold_customers_excluded_from_profiling_only() -> None:
    seg, pred = segments(["A"]), predictions([0.5], [0.5])
    feats = features([1, 2], [1, 1])
    assert inv.one_row_per_customer({"s": seg, "p": pred}, feats, excluded=["c1"]) == []
    assert inv.one_row_per_customer({"s": seg, "p": pred}, feats) != []


def test_probabilities_outside_zero_one_are_caught_by_their_names() -> None:
    good = predictions([0.0, 1.0], [0.2, 1.0]).assign(purchase_probability=[0.1, 0.9])
    assert inv.probabilities_in_range({"p": good}) == []
    for column in ("p_alive", "churn_risk", "purchase_probability"):
        bad = good.copy()
        bad.loc[1, column] = 1.02
        (problem,) = inv.probabilities_in_range({"p": bad})
        assert column in problem and "'c1'" in problem


def test_a_customer_alive_and_churning_at_once_is_caught() -> None:
    assert inv.alive_and_churn_agree(predictions([0.96, 0.3], [0.2, 0.95])) == []
    (problem,) = inv.alive_and_churn_agree(predictions([0.96, 1.0], [0.2, 0.97]))
    assert "1 customers" in problem and "'c1'" in problem and "churn_risk=0.97" in problem


def test_next_order_dates_beyond_the_horizon_are_caught() -> None:
    as_of = pd.Timestamp("1998-06-30")
    fine = predictions([0.5] * 3, [0.5] * 3, ["1998-07-15", "", None])
    assert inv.next_order_within_horizon(fine, as_of, 90) == []
    late = predictions([1.0, 0.5], [0.97, 0.5], ["2018-05-30", "1998-07-01"])
    (problem,) = inv.next_order_within_horizon(late, as_of, 365)
    assert "'c0'" in problem and "2018-05-30" in problem
    absurd = predictions([0.5], [0.5], ["21535-11-08"])
    assert "not dates" in inv.next_order_within_horizon(absurd, as_of, 365)[0]


def test_the_horizon_is_the_stated_one_else_the_value_horizon() -> None:
    record = {"parameters": {"as_of": "1998-07-01", "settings": {"value_horizon_days": 365}}}
    assert inv.horizon_days(record) == 365
    assert inv.as_of(record) == pd.Timestamp("1998-07-01")
    record["predictions"] = {"next_order_horizon_days": 180}
    assert inv.horizon_days(record) == 180
    assert inv.horizon_days({}) == inv.DEFAULT_HORIZON_DAYS


@pytest.mark.parametrize("name", ["Recent high-value loyalists", "New buyers", "Active fans"])
def test_a_recent_name_on_lapsed_members_is_caught(name: str) -> None:
    feats = features([500, 520, 10, 20], [1, 1, 3, 4])
    honest = segments([name, name, "Others", "Others"], ids=[0, 0, 1, 1])
    lying = segments(["Others", "Others", name, name], ids=[1, 1, 0, 0])
    assert inv.names_match_members(lying, feats) == []
    (problem,) = inv.names_match_members(honest, feats)
    assert "says recent" in problem


@pytest.mark.parametrize("name", ["Lapsed occasionals", "Lost one-offs", "Inactive browsers"])
def test_a_lapsed_name_on_recent_members_is_caught(name: str) -> None:
    feats = features([500, 520, 10, 20], [1, 1, 3, 4])
    honest = segments([name, name, "Others", "Others"], ids=[0, 0, 1, 1])
    lying = segments(["Others", "Others", name, name], ids=[1, 1, 0, 0])
    assert inv.names_match_members(honest, feats) == []
    (problem,) = inv.names_match_members(lying, feats)
    assert "says lapsed" in problem


def test_champions_must_be_recent_and_frequent() -> None:
    feats = features([5, 8, 300, 400, 500], [9, 7, 1, 1, 2])
    rfm = ["Champions", "Champions", "Lost", "Lost", "At risk"]
    assert inv.names_match_members(segments(["A"] * 5, rfm, [0] * 5), feats) == []
    stale = ["Loyal", "Loyal", "Champions", "Champions", "At risk"]
    (problem,) = inv.names_match_members(segments(["A"] * 5, stale, [0] * 5), feats)
    assert "Champions" in problem


def test_a_member_plainly_against_its_segment_name_is_caught() -> None:
    feats = features([5, 10, 20, 200, 300, 400, 500, 600], [3, 3, 2, 2, 1, 1, 1, 1])
    names = ["Recent fans"] * 3 + ["Others"] * 2 + ["Lapsed one-offs"] * 3
    rfm = ["Champions"] * 3 + ["Loyal", "At risk", "Lost", "Lost", "Lost"]
    assert inv.names_fit_every_member(segments(names, rfm, [0] * 8), feats) == []
    names[3], names[7] = "Lapsed one-offs", "Recent fans"  # 200 days: fine; 600: not recent
    rfm[6] = "Champions"  # 500 days
    problems = inv.names_fit_every_member(segments(names, rfm, [0] * 8), feats)
    assert len(problems) == 2, problems
    assert "'Recent fans': 1 of 4" in problems[0] and "'c7'" in problems[0]
    assert "'Champions': 1 of 4" in problems[1] and "'c6'" in problems[1]
    names[0] = "Lapsed one-offs"  # 5 days
    problems = inv.names_fit_every_member(segments(names, rfm, [0] * 8), feats)
    assert any("'Lapsed one-offs': 1 of 4" in p and "'c0'" in p for p in problems)


def test_no_purchases_members_must_not_have_bought() -> None:
    feats = features([float("nan"), 30.0], [0, 2])
    honest = segments(["No purchases yet", "Buyers"], ["No purchases", "Loyal"], [-1, 0])
    assert inv.no_purchase_members(honest, feats) == []
    lying = segments(["Buyers", "No purchases yet"], ["Loyal", "No purchases"], [0, -1])
    assert len(inv.no_purchase_members(lying, feats)) == 2


def test_every_segment_has_a_profile_of_its_size_and_name() -> None:
    seg = segments(["A", "A", "B", "No purchases yet"], ids=[0, 0, 1, -1])
    profiles = pd.DataFrame({"segment_id": [0, 1, -1], "segment_name": ["A", "B",
                             "No purchases yet"], "size": [2, 1, 1]})
    assert inv.profiles_match_segments(seg, profiles) == []
    (missing,) = inv.profiles_match_segments(seg, profiles.iloc[:2])
    assert "no row in segment_profiles" in missing and "No purchases yet" in missing
    wrong = profiles.assign(size=[3, 1, 1], segment_name=["A", "C", "No purchases yet"])
    problems = inv.profiles_match_segments(seg, wrong)
    assert len(problems) == 2 and "size 3" in problems[0] and "'C'" in problems[1]


def test_a_rule_contradicting_the_name_is_caught() -> None:
    feats = features([10, 20, 300, 400], [1, 1, 1, 1])  # median 160
    profiles = pd.DataFrame({
        "segment_id": [0, 1], "segment_name": ["Recent loyalists", "Lapsed one-offs"],
        "rules": ["days since last order at most 50; total spend above 1,200",
                  "days since last order above 200"]})
    assert inv.rules_match_names(profiles, feats) == []
    profiles["rules"] = ["days since last order above 240 and orders above 3",
                         "days since last order between 5 and 60"]
    problems = inv.rules_match_names(profiles, feats)
    assert len(problems) == 2 and "above 240" in problems[0] and "at most 60" in problems[1]


def test_every_segment_is_shown_in_the_terminal_and_the_report() -> None:
    seg = segments(["Can't lose them", "No purchases yet", "No purchases yet"])
    texts = {"terminal": "Can't lose them 1\nNo purchases yet 2",
             "report": "<td>Can&#x27;t lose them</td><td>No purchases yet</td>"}
    assert inv.segments_shown(seg, texts) == []
    (problem,) = inv.segments_shown(seg, {**texts, "terminal": "Can't lose them 1"})
    assert "'No purchases yet' (2 customers) is not shown in terminal" in problem


def test_check_outputs_reads_a_run_folder(tmp_path: Path) -> None:
    seg = segments(["A", "B"], ["Champions", "Lost"], [0, 1])
    pred = predictions([0.9, 1.0], [0.1, 0.95], ["1998-07-15", "2018-05-30"])
    feats = features([5, 400], [4, 1])
    for name, frame in (("segments", seg), ("predictions", pred)):
        frame.to_parquet(tmp_path / f"{name}.parquet")
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    feats.to_parquet(tmp_path / "features.parquet")
    pd.DataFrame({"segment_id": [0, 1], "segment_name": ["A", "B"], "size": [1, 1]}).to_parquet(
        tmp_path / "segment_profiles.parquet")
    (tmp_path / "run.json").write_text(json.dumps({"parameters": {"as_of": "1998-07-01"}}))
    problems = inv.check_outputs(tmp_path, terminal="Segments: A 1")
    assert len(problems) == 3, problems
    assert "p_alive >= 0.95" in problems[0] and "2018-05-30" in problems[1]
    assert "'B' (1 customers) is not shown in the terminal's summary" in problems[2]
    assert inv.check_run(1, "Internal error", tmp_path) == [
        "exit code 1 (0 or 2 expected): Internal error"]
