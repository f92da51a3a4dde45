"""ItemKNNRecommender: invariants on small frames made here (no demo, no engine)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shopperlens.errors import ConfigError, NotFittedError
from shopperlens.recommend import COLUMNS, ItemKNNRecommender
from shopperlens.recommend.model import top_n


def baskets(seed: int = 0, n: int = 120) -> pd.DataFrame:
    """Two taste groups; 'milk' re-bought by most, a 'sofa' bought once by a few."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        group = ["tea", "cup", "pot"] if c % 2 else ["ball", "bat", "net"]
        for k in range(rng.integers(1, 4)):
            order = f"o{c}-{k}"
            t = 100.0 + 10 * k + rng.random()
            for product in rng.choice(group, 2, replace=False):
                rows.append((f"c{c}", product, order, t, "kitchen" if c % 2 else "sport"))
            rows.append((f"c{c}", "milk", order, t, "grocery"))
        if c % 10 == 0:
            rows.append((f"c{c}", "sofa", f"s{c}", 101.0, "home"))
    return pd.DataFrame(rows, columns=["customer_id", "product_id", "order_id", "t",
                                       "category"])


@pytest.fixture(scope="module")
def fitted() -> tuple[ItemKNNRecommender, pd.DataFrame]:
    lines = baskets()
    segments = {f"c{c}": c % 2 for c in range(120)}
    return ItemKNNRecommender().fit(lines, as_of=140.0, segments=segments), lines


def test_every_recommendation_has_a_reason_and_ranks_from_one(fitted) -> None:
    model, lines = fitted
    recs = model.recommend(["c1", "c2", "new"], n=5, segments={"c1": 1, "c2": 0})
    assert list(recs.columns) == COLUMNS
    assert recs["reason"].str.len().gt(0).all()
    for _, one in recs.groupby("customer_id"):
        assert one["rank"].tolist() == list(range(1, len(one) + 1))
        assert one["score"].is_monotonic_decreasing
        assert one["product_id"].is_unique


def test_repeat_items_follow_their_learned_repeat_rate(fitted) -> None:
    model, _ = fitted
    rate = dict(zip(model.items_, model.repeat_rate_, strict=True))
    assert rate["milk"] > 0.3 > rate["sofa"]
    recs = model.recommend(["c10"], n=7)  # bought the sofa and milk
    products = recs["product_id"].tolist()
    assert "milk" in products and "sofa" not in products
    assert recs.set_index("product_id").loc["milk", "reason"].startswith("bought again by")


def test_neighbours_come_from_the_customers_own_taste(fitted) -> None:
    model, _ = fitted
    top = model.recommend(["c1"], n=2)  # a kitchen customer
    assert set(top["category"]) <= {"kitchen", "grocery"}
    near = top[top["reason"].str.startswith("often bought with")]
    assert all(r.split()[-1] in {"tea", "cup", "pot", "milk"} for r in near["reason"])


def test_a_new_customer_gets_the_popular_products_of_their_segment(fitted) -> None:
    model, _ = fitted
    recs = model.recommend(["stranger"], n=3, segments={"stranger": 0},
                           segment_names={0: "Sporty"})
    assert recs["reason"].eq("popular in your segment (Sporty)").all()
    assert set(recs["category"]) <= {"sport", "grocery"}
    anonymous = model.recommend(["stranger"], n=3)
    assert anonymous["reason"].eq("popular with customers lately").all()


def test_the_live_path_ranks_as_the_batch_does(fitted) -> None:
    model, _ = fitted
    batch = model.recommend(["c3"], n=5, segments={"c3": 1})
    row = model.customer_row("c3")
    start, end = model.history_.indptr[row], model.history_.indptr[row + 1]
    history = {str(model.items_[i]): float(w) for i, w in
               zip(model.history_.indices[start:end], model.history_.data[start:end],
                   strict=True)}
    bought = [str(model.items_[i]) for i in
              model.bought_.indices[model.bought_.indptr[row]:model.bought_.indptr[row + 1]]]
    live = model.recommend_one(history, bought, segment=1, n=5)
    assert [r["product_id"] for r in live] == batch["product_id"].tolist()
    assert [r["reason"] for r in live] == batch["reason"].tolist()
    assert np.allclose([r["score"] for r in live], batch["score"])


def test_a_view_moves_the_list(fitted) -> None:
    model, _ = fitted
    before = [r["product_id"] for r in model.recommend_one({"tea": 1.0}, n=3)]
    after = [r["product_id"] for r in model.recommend_one({"tea": 1.0, "bat": 5.0}, n=3)]
    assert before != after and {"ball", "net"} & set(after)


def test_same_input_same_output() -> None:
    a = ItemKNNRecommender().fit(baskets(1), as_of=140.0).recommend(["c1", "c4"])
    b = ItemKNNRecommender().fit(baskets(1), as_of=140.0).recommend(["c1", "c4"])
    pd.testing.assert_frame_equal(a, b)


def test_unfitted_and_bad_parameters_say_so() -> None:
    with pytest.raises(NotFittedError):
        ItemKNNRecommender().recommend(["a"])
    with pytest.raises(ConfigError, match="n_neighbors"):
        ItemKNNRecommender(n_neighbors=0).fit(baskets(), as_of=140.0)


@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 40)),
              elements=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5])),
       st.integers(0, 45))
def test_top_n_is_a_stable_sort_cut_short(score: np.ndarray, n: int) -> None:
    expected = np.argsort(-score, axis=1, kind="stable")[:, :n]
    assert np.array_equal(top_n(score, n), expected)


def test_forget_erases_one_customer_and_leaves_the_others_lists() -> None:
    model = ItemKNNRecommender().fit(baskets(1), as_of=140.0)
    before = model.recommend(["c2", "c4"])
    assert model.forget("c1") == 1 and model.forget("c1") == 0
    assert model.customer_row("c1") == -1 and "c1" not in set(model.customers_)
    assert model.history_.shape[0] == len(model.customers_) == model.bought_.shape[0]
    pd.testing.assert_frame_equal(model.recommend(["c2", "c4"]), before)
