"""Consent is one rule: the batch (DuckDB after ingestion), the frame functions and the
service (one profile's traits) give the same answer on the same records (issue #26)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.errors import InputError
from shopperlens.ingest import load_folder
from shopperlens.privacy import (
    consent_answer,
    filter_profiling,
    may_market,
    may_profile,
    profiling_allowed,
    profiling_refused_sql,
    without,
)
from shopperlens.realtime import CustomerState
from shopperlens.service.spec import MalformedEvent, kept_traits
from shopperlens.service.store.base import marketing_allowed
from shopperlens.service.store.base import profiling_allowed as state_allows

# every spelling a customers.csv may hold; "" is no answer
ANSWERS = ["true", "false", "TRUE", "False", "t", "f", "yes", "no", "Y", "N", "1", "0", ""]


def batch_refusals(folder: Path, answers: list[str]) -> set[str]:
    """The batch path: write customers.csv, ingest it, ask DuckDB with the shared SQL."""
    ids = [f"C{i:03d}" for i in range(len(answers))]
    pd.DataFrame({"customer_id": ids, "consent_profiling": answers}).to_csv(
        folder / "customers.csv", index=False
    )
    pd.DataFrame({"customer_id": ids, "order_id": [f"O{c}" for c in ids],
                  "timestamp": "2024-01-02", "amount": 10.0}).to_csv(
        folder / "transactions.csv", index=False
    )
    with DuckDBEngine(threads=1) as engine:
        load_folder(engine, folder)
        return set(engine.fetch_df(profiling_refused_sql())["customer_id"])


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ANSWERS), min_size=1, max_size=12))
def test_batch_frame_and_service_agree_on_profiling(tmp_path_factory, answers) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("consent")
    ids = [f"C{i:03d}" for i in range(len(answers))]
    refused_in_batch = batch_refusals(folder, answers)

    frame = pd.DataFrame({"customer_id": ids, "consent_profiling": answers})
    allowed = profiling_allowed(frame)
    refused_in_frames = set(allowed.index[~allowed])

    refused_in_service = set()
    for cid, answer in zip(ids, answers, strict=True):
        state = CustomerState()
        state.update({"type": "traits", "t": 0.0,
                      "traits": kept_traits({"consent_profiling": answer})})
        if not state_allows(state):
            refused_in_service.add(cid)
        assert may_profile({"consent_profiling": answer}) == (cid not in refused_in_service)

    assert refused_in_batch == refused_in_frames == refused_in_service
    features = pd.DataFrame({"x": range(len(ids))}, index=pd.Index(ids, name="customer_id"))
    kept = without(features, refused_in_batch)
    assert kept.index.tolist() == filter_profiling(features, frame).index.tolist()


@given(st.sampled_from([True, False, None, *ANSWERS]))
def test_marketing_rule_is_the_same_for_frames_and_profiles(answer) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"customer_id": ["a"], "consent_marketing": [answer]})
    from shopperlens.privacy import marketing_allowed as frame_allows

    state = CustomerState()
    state.traits.update(kept_traits({"consent_marketing": answer}))
    assert frame_allows(frame)["a"] == may_market({"consent_marketing": answer}) \
        == marketing_allowed(state)


def test_an_unreadable_answer_is_refused_everywhere() -> None:
    with pytest.raises(InputError, match="not true or false"):
        consent_answer("maybe")
    with pytest.raises(MalformedEvent) as caught:
        kept_traits({"consent_profiling": "maybe"})
    assert caught.value.reason == "invalid_field:traits.consent_profiling"
    # the batch rejects the row, so the customer is unanswered (allowed by default)
    assert consent_answer(None) is None and may_profile({}) is True


def test_without_does_not_copy_when_nobody_refused() -> None:
    features = pd.DataFrame({"x": [1, 2]}, index=pd.Index(["a", "b"], name="customer_id"))
    assert without(features, ["zz"]) is features
    assert without(features, ["a"]).index.tolist() == ["b"]
