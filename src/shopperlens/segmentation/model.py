"""``SegmentModel``: scaled, selected, named and explained customer segments.

``fit`` runs: scaling (:mod:`.scaling`) → candidate selection on a seeded sample
(:mod:`._selection`, where the selection rule is documented) → labelling every customer
→ profiles, names (:mod:`.naming`), rules (:mod:`.rules`) and actions (:mod:`.actions`).
Segments are numbered by size: 0 is the biggest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from shopperlens._params import check_params
from shopperlens.features.catalog import describe
from shopperlens.schema import SEGMENT_REASON
from shopperlens.segmentation._evidence import fit_evidence
from shopperlens.segmentation._guard import Guard
from shopperlens.segmentation._profiles import build_profiles, standardised_gaps
from shopperlens.segmentation._relevance import relevant
from shopperlens.segmentation._selection import (
    ALGORITHMS,
    MAX_SEED,
    sample_rows,
    select_model,
)
from shopperlens.segmentation._validation import (
    Constraint,
    ensure_fitted,
    feature_names,
    format_numbers,
    in_unit_interval,
    is_int,
    is_real,
    is_seed,
    join_present,
    top_columns,
)
from shopperlens.segmentation.actions import suggest_actions
from shopperlens.segmentation.claims import FeatureStats, check_claim
from shopperlens.segmentation.naming import name_segments
from shopperlens.segmentation.rules import Ranges, surrogate_rules
from shopperlens.segmentation.scaling import SegmentScaler, facet_weights

_TYPICAL = "close to the segment's typical customer"  # no feature sets them apart


def _is_k_range(value: Any) -> bool:
    return (isinstance(value, (tuple, list)) and len(value) == 2
            and all(is_int(v) for v in value) and 2 <= value[0] <= value[1])


def _is_names(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value)


def _is_algorithms(value: Any) -> bool:
    return (isinstance(value, (tuple, list)) and len(value) > 0
            and len(set(value)) == len(value) and all(v in ALGORITHMS for v in value))


class SegmentModel(ClusterMixin, BaseEstimator):
    """Customer segmentation that chooses its own number of segments and explains them.

    Parameters
    ----------
    k_range : (int, int), default=(2, 10)
        Smallest and largest number of segments tried.
    algorithms : tuple of str, default=("kmeans", "gmm", "agglomerative")
        Candidate algorithms; ties in the selection go to the earlier one.
    min_share : float, default=0.02
        A candidate with a segment smaller than this share of customers is rejected.
    min_stability : float, default=0.8
        A candidate whose mean adjusted Rand index across re-fits on half-samples is
        below this is rejected.
    n_resamples : int, default=3
        Re-fits per candidate for the stability score.
    sample_size : int, default=20_000
        Customers (seeded random sample) on which candidates are fitted and scored.
    nuisance : tuple of str, default=()
        Facets (see :func:`~shopperlens.segmentation.scaling.facet_of`) that vary inside
        segments without defining them, such as ``("channel",)``: two segments that
        differ by less than half a standard deviation on every other facet are merged
        (the over-segmentation guard of :mod:`._guard`; with no nuisance it merges
        segments that differ on no facet at all). Not on by default: on the suite's
        retailer whose groups are its channels it merges the groups
        (bench/segmentation_suite.py).
    describe_only : tuple of str, default=()
        Facets left out of the clustering distance altogether: they still describe the
        segments (profiles, names, rules, reasons).
    weigh_facets : bool, default=False
        Weigh each facet as one column (see ``weights_``); False weighs every column 1
        (but ``describe_only`` ones 0). Off by default: on the suite it lowered the
        mean ARI from 0.51 to 0.28, as it shrinks the order columns that carry most
        groups against single-column facets that are noise there.
    random_state : int, RandomState or None, default=0
        Seed; the same data and seed give the same segments.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
        Columns seen in ``fit`` (only when fitted on a DataFrame).
    n_features_in_ : int
    scaler_ : SegmentScaler
    weights_ : ndarray of shape (n_features,)
        Weight of each scaled column in the clustering distance: 0 for
        ``describe_only`` facets and constant columns; with ``weigh_facets`` every facet
        (and every group of near-duplicate columns) weighs as much as one column.
    facets_ : list of str
        Facet of each column.
    evidence_ : Evidence
        The evidence shrinkage and noise screen; ``evidence_.table`` gives per column
        the pseudo-count of orders, whether it is noise, and why.
    features_considered_ : DataFrame
        One row per column: facet, weight, pseudo-count, noise, relevance z-score and
        the decision (defines segments, or describes only and why).
    relevance_ : ndarray of shape (n_features,)
        z-score of each column's Laplacian score against its permutation null on the
        other facets' neighbourhood graph (NaN where not tested); below -4 vouches for
        the column's facet.
    algorithm_ : str
        Winning algorithm (``"none"`` when the data has one segment).
    n_segments_ : int
    segment_ids_ : ndarray of int
        Public id of each segment (``0 .. n_segments_ - 1`` unless relabelled with
        :func:`~shopperlens.segmentation.relabel_model`).
    selection_ : DataFrame
        One row per candidate: algorithm, k, segments (after the guard's merges),
        silhouette (averaged with the re-fits' where stability is measured),
        calinski_harabasz, davies_bouldin, stability, min_share, valid, reason, chosen.
    labels_ : ndarray of int
        Segment of each training customer.
    profiles_ : DataFrame
        Per segment: name, size, share, revenue_share (with a ``monetary`` column),
        ``mean_<feature>``, ``diff_<feature>`` (standardised gap vs population) and
        rule_fidelity.
    names_, rules_, actions_ : dict
        Per segment: name, readable rules (list of str), suggested actions (list of str).
        Every word of a name is a claim its members and rules bear out (:mod:`.claims`).
    rule_ranges_ : dict of int to list of dict
        The rules in structured form: per rule, feature -> (above, at most).
    rule_fidelity_ : float
        Share of customers whose surrogate-tree rule gives their segment.
    segment_fidelity_ : dict of int to float
        The same per segment.
    surrogate_tree_ : DecisionTreeClassifier or None

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"monetary": np.r_[rng.normal(100, 10, 300), rng.normal(900, 50, 100)],
    ...                   "store_share": np.r_[rng.uniform(0, .2, 300), rng.uniform(.8, 1, 100)]})
    >>> model = SegmentModel(k_range=(2, 4), n_resamples=2).fit(X)
    >>> model.n_segments_, model.names_
    (2, {0: 'Low-spend shoppers', 1: 'In-store big spenders'})
    >>> model.rules_[1]
    ['total spend above 421']
    >>> model.explain(X.iloc[[-1]]).tolist()
    ['total spend high (922); share of orders in store high (0.87)']
    """

    _constraints: dict[str, Constraint] = {
        "k_range": (_is_k_range, "a pair (low, high) of integers with 2 <= low <= high"),
        "algorithms": (_is_algorithms, f"a non-empty tuple of distinct names from {ALGORITHMS}"),
        "min_share": (lambda v: is_real(v) and 0 <= v < 0.5, "a number in [0, 0.5)"),
        "min_stability": (in_unit_interval, "a number in [0, 1]"),
        "n_resamples": (lambda v: is_int(v) and v >= 1, "an integer of at least 1"),
        "sample_size": (lambda v: is_int(v) and v >= 10, "an integer of at least 10"),
        "random_state": (is_seed, "None, an integer or a numpy RandomState"),
        "nuisance": (_is_names, "a tuple of facet names"),
        "describe_only": (_is_names, "a tuple of facet names"),
        "weigh_facets": (lambda v: isinstance(v, bool), "True or False"),
        "select_features": (lambda v: isinstance(v, bool), "True or False"),
    }

    def __init__(
        self, *, k_range: tuple[int, int] = (2, 10),
        algorithms: Sequence[str] = ("kmeans", "gmm", "agglomerative"),
        min_share: float = 0.02, min_stability: float = 0.8, n_resamples: int = 3,
        sample_size: int = 20_000, random_state: int | np.random.RandomState | None = 0,
        nuisance: Sequence[str] = (), describe_only: Sequence[str] = (),
        weigh_facets: bool = False, select_features: bool = True,
    ) -> None:
        self.k_range = k_range
        self.algorithms = algorithms
        self.min_share = min_share
        self.min_stability = min_stability
        self.n_resamples = n_resamples
        self.sample_size = sample_size
        self.random_state = random_state
        self.nuisance = nuisance
        self.describe_only = describe_only
        self.weigh_facets = weigh_facets
        self.select_features = select_features

    def fit(self, X: Any, y: Any = None, *,
            progress: Callable[[int, int], None] | None = None) -> SegmentModel:
        """Choose and fit the segmentation of the feature matrix ``X`` (one row per customer).

        ``y`` is ignored. Missing values are allowed (median-imputed). ``progress(done,
        total)`` is told the candidate models fitted so far in the selection: one per
        (algorithm, k), then ``n_resamples`` re-fits per candidate whose stability may
        decide (the total grows by those once the candidates are scored).
        """
        check_params(self, self._constraints)
        A = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan",
                          ensure_min_samples=2)
        names = feature_names(self)
        rng = check_random_state(self.random_state)
        sample = sample_rows(len(A), self.sample_size, rng)
        self.evidence_ = fit_evidence(A[sample], names)  # per-level variances: a sample does
        self.scaler_ = self._fit_scaler(self.evidence_.apply(A), names)
        Z = self._scaled(A)
        self.weights_, self.facets_ = facet_weights(
            Z[sample], names, describe_only=tuple(self.describe_only))
        if not self.weigh_facets:  # every column weighs 1, but describe-only ones 0
            self.weights_ = (self.weights_ > 0).astype(float)
        self.weights_[self.evidence_.silent] = 0.0  # noise leaves the distance
        self.relevance_ = np.full(len(names), np.nan)
        if self.select_features:
            kept, self.relevance_ = relevant(Z[sample], self.facets_, self.weights_ > 0, rng)
            self.weights_[~kept] = 0.0
        self.features_considered_ = _considered(self)
        defining = (self.weights_ > 0) & ~np.isin(self.facets_, list(self.nuisance))
        chosen = select_model(
            Z[sample] * self.weights_, k_range=(self.k_range[0], self.k_range[1]),
            algorithms=self.algorithms, min_share=self.min_share,
            min_stability=self.min_stability, n_resamples=self.n_resamples, rng=rng,
            guard=Guard(Z[sample], self.facets_, defining), progress=progress,
        )
        self.selection_, self.algorithm_ = chosen.table, chosen.algorithm
        self.n_segments_, self._model = chosen.k, chosen.model
        self.grafts_: list[Any] = []
        raw = self._raw_labels(Z)
        sizes = np.bincount(raw, minlength=self.n_segments_)
        self._order = np.empty(self.n_segments_, dtype=np.intp)
        self._order[np.argsort(-sizes, kind="stable")] = np.arange(self.n_segments_)
        labels = self._order[raw]
        self.segment_ids_ = np.arange(self.n_segments_)
        self._describe(A, Z, labels, names, sample, int(rng.randint(MAX_SEED)))
        self.labels_ = self.segment_ids_[labels]
        return self

    def _fit_scaler(self, A: np.ndarray, names: list[str]) -> SegmentScaler:
        scaler = SegmentScaler()._fit_array(A, names)
        scaler.n_features_in_ = A.shape[1]
        if hasattr(self, "feature_names_in_"):
            scaler.feature_names_in_ = self.feature_names_in_
        return scaler

    def _scaled(self, A: np.ndarray) -> np.ndarray:
        """The clustering space: evidence-shrunk (:mod:`._evidence`), then scaled."""
        evidence = getattr(self, "evidence_", None)  # None: a model saved before it existed
        return self.scaler_._transform_array(A if evidence is None else evidence.apply(A))

    def _raw_labels(self, Z: np.ndarray) -> np.ndarray:
        if self._model is None:
            return np.zeros(len(Z), dtype=np.intp)
        return np.asarray(self._model.predict(Z * self.weights_), dtype=np.intp)

    def _internal(self, A: np.ndarray, Z: np.ndarray) -> np.ndarray:
        """Internal segment (0..n-1) of each row: the clustering's, then each graft's
        (:mod:`.graft`: segments born or dead since the fit) in turn."""
        internal = self._order[self._raw_labels(Z)]
        for graft in getattr(self, "grafts_", ()):  # models saved before grafts lack it
            internal = graft.apply(A, internal)
        return internal

    def _describe(
        self, A: np.ndarray, Z: np.ndarray, labels: np.ndarray, names: list[str],
        sample: np.ndarray, seed: int,
    ) -> None:
        """Profiles, names, rules and actions of the internal segments 0..n-1."""
        gaps, self._pop_mean, self._pop_std = standardised_gaps(Z, labels, self.n_segments_)
        self._gaps = gaps
        frame = pd.DataFrame(gaps, columns=names)
        ruleset = surrogate_rules(self.scaler_._impute_array(A), labels, names,
                                  sample=sample, random_state=seed)
        self.rules_, self.rule_fidelity_ = ruleset.rules, ruleset.fidelity
        self.rule_ranges_ = ruleset.ranges
        self.segment_fidelity_ = ruleset.segment_fidelity
        self.surrogate_tree_ = ruleset.tree
        self.names_ = name_segments(frame, verify=_verifier(A, labels, names, ruleset.ranges))
        self.actions_ = suggest_actions(frame)
        profiles = build_profiles(A, gaps, labels, names)
        profiles.insert(0, "name", [self.names_[s] for s in range(self.n_segments_)])
        profiles["rule_fidelity"] = [self.segment_fidelity_[s] for s in range(self.n_segments_)]
        self.profiles_ = profiles

    def _transform(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        ensure_fitted(self)
        A = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan",
                          reset=False)
        return A, self._scaled(A)

    def predict(self, X: Any) -> np.ndarray:
        """Segment id of each customer (row) of ``X``."""
        A, _ = self._transform(X)
        return self.predict_array(A)

    def predict_array(self, A: np.ndarray) -> np.ndarray:
        """:meth:`predict` for a float array whose columns the caller has already
        matched to ``feature_names_in_`` (NaN allowed, no infinities): no per-call
        validation, for the real-time path that predicts on every event."""
        ensure_fitted(self)
        if A.ndim != 2 or A.shape[1] != self.n_features_in_:
            raise ValueError(
                f"expected an array of {self.n_features_in_} feature columns, got {A.shape}."
            )
        return self.segment_ids_[self._internal(A, self._scaled(A))]

    def explain(self, X: Any, top: int = 3) -> pd.Series:
        """Why each customer is in their segment: up to ``top`` features in plain words.

        A feature counts when the customer sits on the same side of the population as
        their segment does; the strongest such features (customer's standardised value
        times the segment's standardised gap) are named with the customer's value.
        Returns a Series named ``segment_reason`` with the index of ``X``.
        """
        return self.predict_explain(X, top)[1]

    def predict_explain(self, X: Any, top: int = 3) -> tuple[np.ndarray, pd.Series]:
        """:meth:`predict` and :meth:`explain` together, validating and scaling ``X``
        once (a million customers: about 2 s less)."""
        A, Z = self._transform(X)
        internal = self._internal(A, Z)
        U = (Z - self._pop_mean) / self._pop_std
        score = U * self._gaps[internal]
        best, positive = top_columns(score, top)
        labels = pa.array([describe(n).label for n in feature_names(self)], pa.string())
        rows = np.arange(len(A))
        parts = []
        for j, named in zip(best.T, positive.T, strict=True):  # a column per rank
            side = pc.if_else(U[rows, j] > 0, " high (", " low (")
            value = pa.array(format_numbers(A[rows, j]), pa.string())
            phrase = pc.binary_join_element_wise(labels.take(j), side, value, ")", "")
            parts.append(pc.if_else(named, phrase, None))
        reasons = pc.fill_null(join_present(parts, "; "), _TYPICAL)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return self.segment_ids_[internal], pd.Series(
            reasons.to_numpy(zero_copy_only=False), index=index, name=SEGMENT_REASON,
            dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _verifier(
    A: np.ndarray, labels: np.ndarray, names: list[str], ranges: dict[int, list[Ranges]]
) -> Callable[[int, str, int], bool]:
    """Whether a name's claim (segment, feature, side) holds on the raw members and rules."""
    stats: dict[str, FeatureStats] = {}

    def verify(segment: int, feature: str, side: int) -> bool:
        if feature not in stats:
            stats[feature] = FeatureStats(A[:, names.index(feature)])
        return not check_claim(stats[feature], labels == segment, side,
                               ranges.get(segment, ()), feature)
    return verify


def _considered(model: SegmentModel) -> pd.DataFrame:
    """Per column: what the distance did with it and why (for run.json and the report)."""
    table = model.evidence_.table.assign(facet=model.facets_, weight=model.weights_,
                                         relevance_z=model.relevance_)
    used = table["weight"] > 0
    why = np.where(used, "defines segments", np.where(
        table["noise"], "describes only: " + table["why"], np.where(
            np.isinf(table["pseudo_count"]), "describes only: " + table["why"],
            "describes only: no shared structure with the other facets, or constant")))
    chosen = np.isin(model.facets_, list(model.describe_only))
    table["decision"] = np.where(chosen & ~used, "describes only: set by describe_only", why)
    return table[["feature", "facet", "weight", "pseudo_count", "noise", "relevance_z",
                  "decision"]]


def segment(X: Any, **params: Any) -> SegmentModel:
    """Fit a :class:`SegmentModel` with ``params`` on ``X`` in one call.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.zeros((50, 2)), np.full((50, 2), 10.0)] + np.arange(100)[:, None] % 3
    >>> segment(X, k_range=(2, 3), n_resamples=1).n_segments_
    2
    """
    return SegmentModel(**params).fit(X)
