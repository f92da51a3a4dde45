from __future__ import annotations

import pandas as pd
import pytest

from shopperlens.errors import InputError
from shopperlens.privacy import (
    consent_summary,
    filter_audience,
    filter_profiling,
    marketing_allowed,
    profiling_allowed,
)

CUSTOMERS = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d"],
    "consent_profiling": pd.array([True, False, None, True], dtype="boolean"),
    "consent_marketing": pd.array([True, True, False, None], dtype="boolean"),
})


def test_missing_answers_follow_the_default() -> None:
    assert profiling_allowed(CUSTOMERS).tolist() == [True, False, True, True]
    assert marketing_allowed(CUSTOMERS, default=False).tolist() == [True, True, False, False]
    no_columns = CUSTOMERS[["customer_id"]]
    assert profiling_allowed(no_columns).all()
    assert not marketing_allowed(no_columns, default=False).any()


def test_refusal_wins_over_a_duplicate_row() -> None:
    dup = pd.DataFrame({"customer_id": ["a", "a"], "consent_profiling": [True, False]})
    assert profiling_allowed(dup).to_dict() == {"a": False}


def test_profiling_filter_on_index_or_column() -> None:
    features = pd.DataFrame({"x": [1, 2, 3, 4, 5]},
                            index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"))
    assert filter_profiling(features, CUSTOMERS).index.tolist() == ["a", "c", "d", "e"]
    segments = features.reset_index()
    assert filter_profiling(segments, CUSTOMERS).customer_id.tolist() == ["a", "c", "d", "e"]
    assert filter_profiling(features, None).index.tolist() == list("abcde")


def test_audience_drops_marketing_and_profiling_refusals() -> None:
    audience = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"]})
    assert filter_audience(audience, CUSTOMERS).customer_id.tolist() == ["a", "d", "e"]
    anyone = filter_audience(audience, CUSTOMERS, profiled=False)
    assert anyone.customer_id.tolist() == ["a", "b", "d", "e"]
    assert filter_audience(audience, CUSTOMERS, default=False).customer_id.tolist() == ["a"]


def test_summary_and_bad_values() -> None:
    assert consent_summary(CUSTOMERS) == {
        "customers": 4, "profiling_refused": 1, "marketing_refused": 1}
    with pytest.raises(InputError, match="not true or false"):
        profiling_allowed(pd.DataFrame({"customer_id": ["a"], "consent_profiling": ["maybe"]}))
    with pytest.raises(InputError, match="missing required column 'customer_id'"):
        profiling_allowed(pd.DataFrame({"id": ["a"]}))
