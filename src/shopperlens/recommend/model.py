"""Item-to-item recommendations from implicit feedback: :class:`ItemKNNRecommender`.

A customer's score for a product is the sum of its similarities (cosine of the
customer-product matrix, top ``n_neighbors`` per product) to the products they bought
or viewed, each weighted down with age (``half_life_days``). Beside it, the products
popular lately in the customer's segment (everyone's, for a customer with no history,
or no segment) are blended in with ``popularity_weight``. A product the customer
already bought is kept only as far as its buyers buy it again: its repeat rate, learned
from the data (a bread roll is re-bought, a sofa is not), shrunk to its category's rate
when few bought it.

>>> import pandas as pd
>>> lines = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"],
...                       "product_id": ["tea", "cup", "tea", "cup", "tea"],
...                       "order_id": ["1", "1", "2", "2", "3"], "t": [1.0] * 5})
>>> model = ItemKNNRecommender().fit(lines, as_of=2.0)
>>> recs = model.recommend(["c"], n=1)
>>> recs[["customer_id", "product_id", "reason"]].to_dict("records")
[{'customer_id': 'c', 'product_id': 'cup', 'reason': 'often bought with tea'}]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from shopperlens import schema as s
from shopperlens._params import Interval, check_params
from shopperlens.errors import NotFittedError
from shopperlens.recommend import reasons as r

T = "t"  # days since the epoch
WEIGHT = "weight"  # a row's strength: a purchase 1, a view less (``view_weight``)
RANK, SCORE = "rank", "score"
COLUMNS = [s.CUSTOMER_ID, RANK, s.PRODUCT_ID, s.CATEGORY, SCORE, s.REASON]
BLOCK = 2048  # customers scored at a time ...
CELLS = 5_000_000  # ... and at most this many scores (customers x products) at once


class ItemKNNRecommender(BaseEstimator):
    """Top-N products per customer: item-kNN, popularity in the segment, repeat rates.

    Parameters
    ----------
    n_neighbors
        Similar products kept per product.
    half_life_days
        Age at which an interaction (and a sale, in popularity) counts half.
    popularity_weight
        Weight of the segment's recent popularity beside the customer's own neighbours
        (both scaled to a maximum of 1 per customer).
    repeat_prior
        Buyers' worth of the category's repeat rate a product's own rate starts from.

    Attributes
    ----------
    items_ : ndarray of the product ids; ``categories_`` their categories (or None).
    similarity_ : sparse (items x items) top-``n_neighbors`` cosine similarities.
    history_ : sparse (customers x items) age-weighted interactions; ``bought_`` 0/1.
    popularity_ : recent popularity of each product; ``segment_popularity_`` per segment.
    repeat_rate_ : share of each product's buyers who bought it in two orders or more.
    """

    _params = {
        "n_neighbors": Interval(int, 1),
        "half_life_days": Interval(float, 0.0, low_open=True),
        "popularity_weight": Interval(float, 0.0),
        "repeat_prior": Interval(float, 0.0),
    }

    # Defaults measured on the demo, MovieLens 100K and a synthetic shape
    # (bench/recommend.py): few neighbours, a month's half-life.
    def __init__(self, n_neighbors: int = 5, half_life_days: float = 30.0,
                 popularity_weight: float = 1.0, repeat_prior: float = 5.0) -> None:
        self.n_neighbors = n_neighbors
        self.half_life_days = half_life_days
        self.popularity_weight = popularity_weight
        self.repeat_prior = repeat_prior

    # -- fitting ------------------------------------------------------------------------
    def fit(self, interactions: pd.DataFrame, *, as_of: float,
            segments: Mapping[str, Any] | None = None) -> ItemKNNRecommender:
        """Learn from ``interactions``: ``customer_id``, ``product_id``, ``t`` (days since
        the epoch, before ``as_of``), optional ``order_id`` (none: a view), ``weight``
        (default 1) and ``category``. ``segments`` maps customers to their segment."""
        check_params(self, self._params)
        frame = interactions[interactions[s.PRODUCT_ID].notna()]
        customers, users = np.unique(frame[s.CUSTOMER_ID].astype(str), return_inverse=True)
        self.items_, items = np.unique(frame[s.PRODUCT_ID].astype(str), return_inverse=True)
        self.customers_ = pd.Index(customers)
        self._position: dict[str, int] | None = None
        self._rows: dict[str, int] | None = None
        decay = 0.5 ** ((as_of - frame[T].to_numpy(float)) / self.half_life_days)
        weight = frame[WEIGHT].to_numpy(float) if WEIGHT in frame else np.ones(len(frame))
        shape = (len(customers), len(self.items_))
        self.history_ = sp.csr_matrix((weight * decay, (users, items)), shape=shape)
        bought = frame[s.ORDER_ID].notna().to_numpy() if s.ORDER_ID in frame else \
            np.ones(len(frame), bool)
        self.bought_ = sp.csr_matrix((np.ones(bought.sum()), (users[bought], items[bought])),
                                     shape=shape)
        self.bought_.data[:] = 1.0
        self.categories_ = _categories(frame, items, len(self.items_))
        self.similarity_ = _similarity(self.history_, self.n_neighbors)
        sales = sp.csr_matrix((decay[bought], (users[bought], items[bought])), shape=shape)
        self.popularity_ = _scaled(np.asarray(sales.sum(axis=0)).ravel())
        self.segment_popularity_ = _segment_popularity(sales, customers, segments)
        self.repeat_rate_ = _repeat_rates(frame[bought], items[bought], self.categories_,
                                          len(self.items_), self.repeat_prior)
        return self

    # -- recommending -------------------------------------------------------------------
    def recommend(self, customers: Sequence[str], n: int = 10, *,
                  segments: Mapping[str, Any] | None = None,
                  segment_names: Mapping[Any, str] | None = None) -> pd.DataFrame:
        """Top ``n`` products of each customer, best first, each with its reason
        (columns :data:`COLUMNS`); a customer without history gets the popular ones."""
        if not hasattr(self, "similarity_"):
            raise NotFittedError("Fit the recommender before asking for recommendations.")
        customers = [str(c) for c in customers]
        rows = self.customers_.get_indexer(customers)
        blank = sp.csr_matrix((1, len(self.items_)))
        padded = (sp.vstack([self.history_, blank]).tocsr(),
                  sp.vstack([self.bought_, blank]).tocsr())
        size = max(1, min(BLOCK, CELLS // max(len(self.items_), 1)))
        frames = []
        for start in range(0, len(customers), size):
            block = slice(start, start + size)
            labels = [None if segments is None else segments.get(c) for c in customers[block]]
            frames.append(self._block(padded, customers[block], rows[block], labels, n,
                                      segment_names or {}))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)

    def recommend_one(self, history: Mapping[str, float], bought: Sequence[str] = (), *,
                      segment: Any = None, segment_name: str | None = None,
                      n: int = 10) -> list[dict[str, Any]]:
        """Top ``n`` of one customer from ``history`` (product -> weight, unknown
        products ignored) and the products they ``bought``, as records of
        :data:`COLUMNS` without ``customer_id``: the service's live path, the same
        scores as :meth:`recommend` with plain numpy on the fitted arrays."""
        if not hasattr(self, "similarity_"):
            raise NotFittedError("Fit the recommender before asking for recommendations.")
        position = self._positions()
        seen = [(position[p], float(w)) for p, w in history.items() if p in position]
        sim = self.similarity_
        source, target, pull = [], [], []
        for i, w in seen:
            lo, hi = sim.indptr[i], sim.indptr[i + 1]
            source.append(np.full(hi - lo, i))
            target.append(sim.indices[lo:hi])
            pull.append(w * sim.data[lo:hi])
        src = np.concatenate(source) if source else np.array([], int)
        dst = np.concatenate(target) if target else np.array([], int)
        val = np.concatenate(pull) if pull else np.array([])
        knn = np.bincount(dst, val, minlength=len(self.items_))
        owned = np.zeros(len(self.items_), bool)
        owned[[position[p] for p in bought if p in position]] = True
        own = np.zeros(len(self.items_))
        for i, w in seen:
            own[i] += w
        popular = self.segment_popularity_.get(segment, self.popularity_)
        score, knn = self._combine(knn[None], own[None], owned[None], popular[None])
        top = np.argsort(-score[0], kind="stable")[:n]
        return self._records_one(top, score[0], knn[0], popular, owned, (src, dst, val),
                                 segment_name if segment in self.segment_popularity_ else None)

    def _positions(self) -> dict[str, int]:
        """Product id -> column (made once, for the one-customer path)."""
        if getattr(self, "_position", None) is None:
            self._position = {str(p): i for i, p in enumerate(self.items_)}
        assert self._position is not None
        return self._position

    def forget(self, customer_id: str) -> int:
        """Erase one customer's rows (history and purchases; the right to erasure):
        1 when they were in the fitted data, else 0. The item similarities and
        popularities are aggregates of everyone and stay."""
        row = self.customer_row(customer_id)
        if row < 0:
            return 0
        keep = np.flatnonzero(np.arange(len(self.customers_)) != row)
        self.history_, self.bought_ = self.history_[keep], self.bought_[keep]
        self.customers_ = self.customers_.delete(row)
        self._rows = None
        return 1

    def customer_row(self, customer_id: str) -> int:
        """The customer's row of ``history_`` (-1: not in the fitted data)."""
        if getattr(self, "_rows", None) is None:
            self._rows = {str(c): i for i, c in enumerate(self.customers_)}
        assert self._rows is not None
        return self._rows.get(customer_id, -1)

    def _combine(self, knn: np.ndarray, own: np.ndarray, owned: np.ndarray,
                 popular: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The final scores from the neighbour pull, the customer's own weights, what
        they bought and the popularity they see (all customers x items); and the
        neighbour part, scaled, that the reasons compare with popularity."""
        # A product bought before counts as far as its buyers buy it again: its
        # neighbours' pull and its popularity times its repeat rate, plus the customer's
        # own habit (their weight of it, as if it were its own neighbour at that rate).
        rate = np.where(owned, self.repeat_rate_, 1.0)
        knn = knn * rate + np.where(owned, own * self.repeat_rate_, 0.0)
        knn = knn / np.maximum(knn.max(axis=1, keepdims=True), 1e-12)
        return knn + self.popularity_weight * popular * rate, knn

    def _records_one(self, top: np.ndarray, score: np.ndarray, knn: np.ndarray,
                     popular: np.ndarray, owned: np.ndarray,
                     pulls: tuple[np.ndarray, np.ndarray, np.ndarray],
                     segment_name: str | None) -> list[dict[str, Any]]:
        src, dst, val = pulls
        out: list[dict[str, Any]] = []
        for j in top:
            if score[j] <= 0:
                break
            mine = dst == j
            because = int(src[mine][np.argmax(val[mine])]) if mine.any() else int(j)
            kind = r.AGAIN if owned[j] else (
                r.NEIGHBOUR if knn[j] >= self.popularity_weight * popular[j] and because != j
                else r.POPULAR)
            reason = r.sentence(kind, str(self.items_[because]), segment_name,
                                float(self.repeat_rate_[j]))
            out.append({RANK: len(out) + 1, s.PRODUCT_ID: str(self.items_[j]),
                        s.CATEGORY: None if self.categories_ is None else self.categories_[j],
                        SCORE: round(float(score[j]), 6), s.REASON: reason})
        return out

    def _block(self, padded: tuple[sp.csr_matrix, sp.csr_matrix], customers: list[str],
               rows: np.ndarray, labels: list[Any], n: int, names: Mapping[Any, str]
               ) -> pd.DataFrame:
        """The recommendations of one block of customers (``rows`` -1: unknown, whose
        row is the empty last one of the ``padded`` history and purchases)."""
        history, bought = padded
        at = np.where(rows >= 0, rows, history.shape[0] - 1)
        return self._score(customers, history[at], bought[at], labels, n, names)

    def _score(self, customers: list[str], history: sp.csr_matrix, bought: sp.csr_matrix,
               labels: list[Any], n: int, names: Mapping[Any, str]) -> pd.DataFrame:
        """Scores, the top ``n`` and their reasons for customers given as matrices."""
        knn = np.asarray((history @ self.similarity_).todense())
        popular = np.vstack([self.segment_popularity_.get(label, self.popularity_)
                             for label in labels])
        owned = bought.toarray() > 0
        score, knn = self._combine(knn, history.toarray(), owned, popular)
        top = top_n(score, n)
        top_scores = np.take_along_axis(score, top, axis=1)
        sources = r.explain(history, self.similarity_, top, knn, popular, owned,
                            self.popularity_weight)
        return self._frame(customers, top, top_scores, sources, labels, names)

    def _frame(self, customers: list[str], top: np.ndarray, scores: np.ndarray,
               sources: tuple[np.ndarray, np.ndarray], labels: list[Any],
               names: Mapping[Any, str]) -> pd.DataFrame:
        kind, because = sources
        keep = scores > 0
        count = keep.sum(axis=1)
        segment_word = np.array([names.get(label, "") if label in self.segment_popularity_
                                 else None for label in labels], dtype=object)
        reason = r.sentences(kind[keep], self.items_[because[keep]],
                             np.repeat(segment_word, count),
                             self.repeat_rate_[top[keep]])
        return pd.DataFrame({
            s.CUSTOMER_ID: np.repeat(customers, count),
            RANK: np.concatenate([np.arange(1, k + 1) for k in count]) if len(count)
            else np.array([], int),
            s.PRODUCT_ID: self.items_[top[keep]],
            s.CATEGORY: None if self.categories_ is None else self.categories_[top[keep]],
            SCORE: np.round(scores[keep], 6),
            s.REASON: reason,
        })


def _categories(frame: pd.DataFrame, items: np.ndarray, n_items: int) -> np.ndarray | None:
    """Each product's category (its most frequent one), or None without the column."""
    if s.CATEGORY not in frame or frame[s.CATEGORY].isna().all():
        return None
    pairs = pd.DataFrame({"item": items, "category": frame[s.CATEGORY].astype(object)})
    counts = pairs.dropna().groupby(["item", "category"]).size().reset_index(name="n")
    top = counts.sort_values(["item", "n"], ascending=[True, False], kind="stable") \
        .drop_duplicates("item")
    out = np.full(n_items, None, dtype=object)
    out[top["item"].to_numpy()] = top["category"].to_numpy()
    return out


def _similarity(history: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Cosine similarity of the products' customer columns (0/1), top ``k`` per row."""
    seen = history.copy()
    seen.data[:] = 1.0
    counts = np.asarray(seen.sum(axis=0)).ravel()
    norm = sp.diags(1.0 / np.sqrt(np.maximum(counts, 1.0)))
    sim = (norm @ (seen.T @ seen) @ norm).tocsr()
    sim.setdiag(0.0)
    sim.eliminate_zeros()
    return _top_k(sim, k)


def _top_k(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """The ``k`` largest entries of each row (ties: the lower column)."""
    indptr, indices, data = [0], [], []
    for i in range(matrix.shape[0]):
        lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
        cols, vals = matrix.indices[lo:hi], matrix.data[lo:hi]
        if len(vals) > k:
            keep = np.lexsort((cols, -vals))[:k]
            cols, vals = cols[keep], vals[keep]
        indices.append(cols)
        data.append(vals)
        indptr.append(indptr[-1] + len(cols))
    return sp.csr_matrix((np.concatenate(data or [np.array([])]),
                          np.concatenate(indices or [np.array([], int)]), np.asarray(indptr)),
                         shape=matrix.shape)


def _scaled(values: np.ndarray) -> np.ndarray:
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else values


def _segment_popularity(sales: sp.csr_matrix, customers: np.ndarray,
                        segments: Mapping[str, Any] | None) -> dict[Any, np.ndarray]:
    """Each segment's recent popularity of every product, scaled to a maximum of 1."""
    if not segments:
        return {}
    labels = pd.Series([segments.get(c) for c in customers], dtype=object)
    out = {}
    for label in labels.dropna().unique():
        rows = np.flatnonzero((labels == label).to_numpy())
        out[label] = _scaled(np.asarray(sales[rows].sum(axis=0)).ravel())
    return out


def _repeat_rates(bought: pd.DataFrame, items: np.ndarray, categories: np.ndarray | None,
                  n_items: int, prior: float) -> np.ndarray:
    """Share of each product's buyers with two orders of it or more, shrunk to its
    category's share (everyone's, without categories) by ``prior`` buyers."""
    orders = bought[s.ORDER_ID] if s.ORDER_ID in bought else pd.Series(np.arange(len(bought)))
    per = pd.DataFrame({"item": items, "customer": bought[s.CUSTOMER_ID].to_numpy(),
                        "order": orders.to_numpy()}).drop_duplicates()
    times = per.groupby(["item", "customer"]).size()
    buyers = np.bincount(times.index.get_level_values(0), minlength=n_items).astype(float)
    again = np.bincount(times.index.get_level_values(0), (times >= 2).to_numpy(float),
                        minlength=n_items)
    if categories is None:
        base = np.full(n_items, again.sum() / max(buyers.sum(), 1.0))
    else:
        keys = pd.Series(categories).fillna("").to_numpy()
        frame = pd.DataFrame({"k": keys, "a": again, "b": buyers}).groupby("k")[["a", "b"]]
        sums = frame.transform("sum")
        base = (sums["a"] / sums["b"].clip(lower=1.0)).to_numpy()
    return (again + prior * base) / np.maximum(buyers + prior, 1e-12)


def top_n(score: np.ndarray, n: int) -> np.ndarray:
    """Each row's ``n`` highest columns, best first, ties to the lower column: what a
    stable sort of every row gives, for a fraction of its cost on thousands of products
    (only the columns at or above each row's n-th best value are sorted)."""
    rows, n = score.shape[0], min(n, score.shape[1])
    if n == 0:
        return np.empty((rows, 0), dtype=np.int64)
    nth = -np.partition(-score, n - 1, axis=1)[:, n - 1]
    row, col = np.nonzero(score >= nth[:, None])
    order = np.lexsort((col, -score[row, col], row))  # by row, then best, then column
    row, col = row[order], col[order]
    first = np.searchsorted(row, np.arange(rows))
    take = first[:, None] + np.arange(n)
    return col[take]
