"""Names, rules and RFM labels are true of the customers they describe (issue #35, item 3).

The invariant is checked by :func:`check_segmentation` on several data sets unlike each
other: the planted fixtures, real CDNOW customers, a generated demo folder and a
synthetic shape written here (mostly one-time buyers, tied recencies, heavy-tailed spend).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu

from shopperlens import schema as s
from shopperlens.features import numeric_features
from shopperlens.segmentation import (
    NO_PURCHASE_ID,
    NO_PURCHASE_NAME,
    RFMGrid,
    SegmentModel,
    check_names,
    check_segmentation,
    has_purchases,
    segment_profiles,
    totals_for,
)
from shopperlens.segmentation.claims import effect_size, name_words, rule_contradicts, vocabulary


def segment_like_a_run(features: pd.DataFrame) -> tuple[SegmentModel, pd.DataFrame]:
    """Fit and assign as ``shopperlens run`` does: buyers segmented, the rest apart."""
    buyers = has_purchases(features)
    columns = numeric_features(features[buyers])
    model = SegmentModel(random_state=0).fit(features.loc[buyers, columns])
    ids = np.full(len(features), NO_PURCHASE_ID)
    ids[buyers] = model.labels_
    names = {**model.names_, NO_PURCHASE_ID: NO_PURCHASE_NAME}
    segments = pd.DataFrame({
        s.CUSTOMER_ID: features.index, s.SEGMENT_ID: ids,
        s.SEGMENT_NAME: [names[i] for i in ids],
        s.RFM_SEGMENT: RFMGrid().fit(features[buyers]).predict(features),
    })
    return model, segments


@pytest.fixture(scope="module")
def runs(planted, cdnow_features, demo_features, shape_features):
    frames = {"planted": planted[0], "cdnow": cdnow_features, "demo": demo_features,
              "one-time heavy": shape_features}
    return {name: (frame, *segment_like_a_run(frame)) for name, frame in frames.items()}


@pytest.mark.parametrize("data", ["planted", "cdnow", "demo", "one-time heavy"])
def test_names_rules_and_labels_are_true_of_their_members(runs, data):
    features, model, segments = runs[data]
    assert check_segmentation(features, segments, model.rule_ranges_) == []


def test_the_check_finds_a_name_its_members_contradict(runs):
    features, model, segments = runs["cdnow"]
    lying = segments.assign(**{s.SEGMENT_NAME: segments[s.SEGMENT_NAME].where(
        segments[s.SEGMENT_ID] != 0, "Recent big spenders")})
    found = check_segmentation(features, lying, model.rule_ranges_)
    assert {v.claim for v in found} >= {"recent"}
    shuffled = segments.assign(rfm_segment=segments["rfm_segment"].sample(frac=1, random_state=0)
                               .to_numpy())
    assert any(v.segment == "Champions" for v in check_segmentation(features, shuffled))


def test_cdnow_recent_segment_has_no_rule_saying_otherwise(runs):
    # e3d3a36 named a CDNOW segment "Recent high-value loyalists" with the rule "days since
    # last order above 248 and total spend at most 130 and orders above 4.5".
    _, model, _ = runs["cdnow"]
    for segment, name in model.names_.items():
        if "recent" in name.lower():
            assert not any("days since last order above" in r for r in model.rules_[segment])
        if "high-value" in name.lower():
            assert not any("total spend at most" in r and "total spend between" not in r
                           for r in model.rules_[segment])


def test_cdnow_champions_ordered_recently_and_more_than_once(runs):
    # e3d3a36: a third of CDNOW were Champions, hundreds with no order for over a year.
    features, _, segments = runs["cdnow"]
    champions = features.loc[segments.loc[segments["rfm_segment"] == "Champions",
                                          s.CUSTOMER_ID]]
    buyers = features[has_purchases(features)]
    assert len(champions) > 0
    assert (champions["recency_days"] <= buyers["recency_days"].quantile(0.2)).all()
    assert (champions["frequency"] >= 2).all()


def test_cdnow_rules_do_not_split_a_segment_on_a_useless_clause(runs):
    # e3d3a36 gave one segment both "... spend trend above -0.73" and "... at most -0.73".
    for _, model, _ in runs.values():
        for rules in model.rules_.values():
            heads = [r.rsplit(" and ", 1)[0] for r in rules if " and " in r]
            tails = {r.rsplit(" and ", 1)[1].replace(" at most ", " above ") for r in rules
                     if " and " in r}
            assert len(set(heads)) == len(heads) or len(tails) == len(heads)


def test_no_purchases_yet_is_a_segment_of_the_profiles(runs):
    features, model, segments = runs["cdnow"]
    buyers = has_purchases(features)
    columns = list(model.feature_names_in_)
    totals = totals_for(model, columns)
    totals.add(features[columns].to_numpy(dtype=float), segments[s.SEGMENT_ID].to_numpy())
    profiles = segment_profiles(model, totals.table())
    row = profiles.loc[NO_PURCHASE_ID]
    assert row[s.SEGMENT_NAME] == NO_PURCHASE_NAME
    assert row["size"] == (~buyers).sum() > 0
    assert profiles["size"].sum() == len(features)
    assert profiles["share"].sum() == pytest.approx(1.0)
    assert profiles.index.name == s.SEGMENT_ID
    assert list(profiles.columns[:5]) == [s.SEGMENT_NAME, "size", "share", "revenue_share",
                                          "rules"]
    assert profiles["rules"].str.len().gt(0).all()


def test_profiles_without_totals_still_list_no_purchases(planted_model):
    profiles = segment_profiles(planted_model)
    assert profiles.index.tolist() == [*planted_model.profiles_.index, NO_PURCHASE_ID]
    assert profiles["size"].tolist()[-1] == 0


def test_rule_contradictions_read_the_direction_and_the_median():
    assert rule_contradicts((240.0, None), -1, 472.0)  # "recent" but "above 240"
    assert rule_contradicts((500.0, 540.0), -1, 472.0)  # wholly above the median
    assert not rule_contradicts((100.0, 300.0), -1, 472.0)
    assert rule_contradicts((None, 3.5), +1, 1.0)  # "loyalists" but "orders at most 3.5"
    assert not rule_contradicts((2.5, None), +1, 1.0)


def test_effect_size_counts_ties_half():
    values = np.array([1.0, 1, 1, 1, 2])
    members = np.array([True, True, False, False, False])
    assert effect_size(values, members, -1) == pytest.approx(0.5 * 4 / 6 + 2 / 6)


def test_a_word_is_read_from_a_name_with_its_noun():
    vocab = vocabulary(["recency_days", "frequency", "monetary"])
    assert name_words("Lapsed high-value loyalists 2", vocab) == [
        "lapsed", "high-value", "loyalists"]
    assert name_words("Mainstream shoppers", vocab) == []


def test_check_names_needs_the_median_on_the_claimed_side():
    # a segment of four around the middle is not "recent" though a few members are
    X = pd.DataFrame({"recency_days": np.arange(20.0)})
    labels = np.r_[np.zeros(8, int), [1, 1, 1, 1], np.zeros(8, int)]
    found = check_names(X, labels, {1: "Recent shoppers"})
    assert [v.claim for v in found] == ["recent"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.integers(0, 6).map(float), st.just(np.nan)),
                          st.booleans()), min_size=2, max_size=40))
def test_effect_size_is_the_mann_whitney_statistic(rows):
    values = np.array([v for v, _ in rows])
    members = np.array([m for _, m in rows])
    ok = ~np.isnan(values)
    mine, others = values[members & ok], values[~members & ok]
    if len(mine) == 0 or len(others) == 0:
        assert effect_size(values, members, +1) == 0.5
        return
    expected = mannwhitneyu(mine, others).statistic / (len(mine) * len(others))
    assert effect_size(values, members, +1) == pytest.approx(expected)
    assert effect_size(values, members, -1) == pytest.approx(1 - expected)
