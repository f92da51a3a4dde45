"""Grafting: the previous model grown by born segments, less dead ones."""

from __future__ import annotations

import io

import joblib
import numpy as np
import pandas as pd
import pytest

from shopperlens.errors import ModelError
from shopperlens.segmentation import SegmentModel
from shopperlens.segmentation.graft import MAX_GRAFTS, graft


def _blobs(centres: list[tuple[float, float]], n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(np.vstack([rng.normal(c, 0.3, (n, 2)) for c in centres]),
                        columns=["monetary", "frequency"])


@pytest.fixture(scope="module")
def fitted() -> tuple[SegmentModel, SegmentModel, pd.DataFrame, pd.DataFrame]:
    before = _blobs([(0.0, 0.0), (5.0, 0.0), (0.0, 5.0)], 60, 0)
    base = SegmentModel(k_range=(3, 3), n_resamples=1, random_state=0).fit(before)
    today = pd.concat([before, _blobs([(5.0, 5.0)], 60, 1)], ignore_index=True)
    donor = SegmentModel(k_range=(4, 4), n_resamples=1, random_state=0).fit(today)
    return base, donor, before, today


def test_only_the_born_segment_takes_customers_from_the_previous_ones(fitted: tuple) -> None:
    base, donor, before, today = fitted
    newcomer = int(donor.predict(today.tail(1))[0])
    heirs = {int(d): int(base.segment_ids_[0]) for d in donor.segment_ids_}
    model = graft(base, donor, today, born={newcomer: 7}, dead=set(), heirs=heirs,
                  names={7: "Newcomers"})
    assert (model.predict(before) == base.predict(before)).all()  # nobody else moves
    assert set(model.predict(today.tail(60))) == {7} and model.names_[7] == "Newcomers"
    assert {i: model.names_[i] for i in base.names_} == base.names_
    assert sorted(model.profiles_.index) == sorted([*base.names_, 7])
    labels, _ = model.predict_explain(today)
    assert (labels == model.predict(today)).all() and (model.labels_ == labels).all()
    again = joblib.load(_dumped(model))
    assert (again.predict(today) == labels).all()


def test_a_dead_segment_hands_its_customers_to_their_heirs(fitted: tuple) -> None:
    base, donor, before, today = fitted
    old = base.predict(before)
    dead = int(old[0])
    heirs = {int(d): int(next(i for i in base.segment_ids_ if i != dead))
             for d in donor.segment_ids_}
    model = graft(base, donor, before, born={}, dead={dead}, heirs=heirs, names={})
    now = model.predict(before)
    assert dead not in set(now) and dead not in model.names_
    assert (now[old != dead] == old[old != dead]).all()
    # a graft onto a grafted model chains: the first one still applies
    newcomer = int(donor.predict(today.tail(1))[0])
    twice = graft(model, donor, today, born={newcomer: 9}, dead=set(),
                  heirs={d: int(now[0]) for d in heirs}, names={9: "New"})
    assert (twice.predict(before) == now).all() and set(twice.predict(today.tail(60))) == {9}


def test_a_donor_with_features_the_model_lacks_cannot_be_grafted(fitted: tuple) -> None:
    base, _, before, _ = fitted
    wider = before.assign(tenure_days=np.arange(len(before), dtype=float))
    donor = SegmentModel(k_range=(2, 2), n_resamples=1).fit(wider)
    with pytest.raises(ModelError, match="tenure_days"):
        graft(base, donor, before, born={}, dead=set(), heirs={0: 0, 1: 0}, names={})


def test_grafts_stop_chaining_at_the_cap(fitted: tuple) -> None:
    base, donor, _, today = fitted
    newcomer = int(donor.predict(today.tail(1))[0])
    model, dead = base, set()
    for shown in range(10, 10 + MAX_GRAFTS + 1):  # the newcomers reborn under a new id
        heirs = {int(d): int(base.segment_ids_[0]) for d in donor.segment_ids_}
        heirs[newcomer] = shown
        if shown == 10 + MAX_GRAFTS:
            with pytest.raises(ModelError, match=f"already carries {MAX_GRAFTS} grafts"):
                graft(model, donor, today, born={newcomer: shown}, dead=dead, heirs=heirs,
                      names={shown: "New"})
            break
        model = graft(model, donor, today, born={newcomer: shown}, dead=dead, heirs=heirs,
                      names={shown: "New"})
        dead = {shown}
    assert len(model.grafts_) == MAX_GRAFTS
    assert set(model.predict(today.tail(60))) == {10 + MAX_GRAFTS - 1}


def _dumped(model: SegmentModel) -> io.BytesIO:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    return buffer


def test_a_born_segment_takes_only_from_its_sources(fitted: tuple) -> None:
    base, donor, _, today = fitted
    newcomers = today.tail(60)
    newcomer = int(donor.predict(newcomers.tail(1))[0])
    was = base.predict(newcomers)
    inside = int(pd.Series(was).mode()[0])  # where the previous model puts most of them
    heirs = {int(d): inside for d in donor.segment_ids_}
    everywhere = {int(i) for i in base.segment_ids_}
    model = graft(base, donor, today, born={newcomer: 7}, dead=set(), heirs=heirs,
                  names={7: "Newcomers"}, sources={newcomer: everywhere - {inside}})
    now = model.predict(newcomers)
    assert (now[was == inside] == inside).all()  # not taken from ``inside``
    assert (model.predict(today.head(180)) == base.predict(today.head(180))).all()
    with pytest.raises(ModelError, match="no customer"):  # taking from nowhere: empty
        graft(base, donor, today, born={newcomer: 7}, dead=set(), heirs=heirs,
              names={7: "Newcomers"}, sources={newcomer: set()})
