"""LightGBM's TreeSHAP (``pred_contrib``), computed once per decision pattern.

Path-dependent TreeSHAP (Lundberg et al., "Consistent individualized feature attribution
for tree ensembles", 2018; "From local explanations to global understanding with
explainable AI for trees", Nature MI 2020) is what LightGBM's ``pred_contrib`` computes.
Its recursion visits *every* node of a tree and reads a row only through the row's
left/right decision at each internal node (the "hot" child); the fractions it weighs paths
by are the tree's training counts. So two rows with the same decisions at all of a tree's
internal nodes get the same SHAP values from that tree. A tree with ``L`` leaves has
``L - 1`` internal nodes, so at most ``2 ** (L - 1)`` patterns, and far fewer occur.

:func:`contributions` therefore, per tree: computes every row's decisions with numpy,
replicating LightGBM's ``Tree::NumericalDecision`` (``include/LightGBM/tree.h``), asks
LightGBM for the SHAP table of one representative row per distinct pattern, and gathers
that table back onto the rows; the trees' tables add up (the bias column too), as they
do inside LightGBM. The numbers are LightGBM's own, up to the order of floating-point
additions (~1e-16 relative). Anything the decision rule below does not cover (categorical
splits, linear trees, multiclass, pandas categoricals, few rows) takes the plain
``pred_contrib`` call.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from lightgbm import Booster

# LightGBM's kZeroThreshold is declared `const double kZeroThreshold = 1e-35f;`: the float
# literal widened to double (1.0000000180025095e-35), not the double 1e-35.
K_ZERO = float(np.float32(1e-35))
# Below this many rows the plain call is quick and the fast path's fixed cost (the model
# dump, one LightGBM call per tree: ~20 ms for 50 trees) is not worth it. Break-even was
# ~500 rows for 50 trees of 8 leaves; at 1,000 the fast path is ~2x faster, at 5,000 ~7x
# (bench/churn_explain.py --sizes).
MIN_ROWS = 1_000
# A pattern code has one bit per internal node and is an int64 at most
_MAX_BITS = 62
# dump_model writes thresholds with 17 significant digits (an exact round trip) but clamps
# |threshold| >= 1e300 to 1e300 (Common::AvoidInf): such a threshold is not trusted
_CLAMPED = 1e300
# Fewer representative rows than this: LightGBM's per-tree call runs on one thread
_ONE_THREAD_ROWS = 10_000
# Rows per thread at least: below that, starting threads costs more than it saves
_MIN_CHUNK = 50_000

_T = TypeVar("_T")


@dataclass(frozen=True)
class Split:
    """One numerical internal node, as ``Booster.dump_model`` describes it."""

    feature: int
    threshold: float
    default_left: bool
    missing_type: str  # "None", "Zero" or "NaN"


def tree_splits(booster: Booster) -> list[list[Split]] | None:
    """The internal nodes of each tree ``pred_contrib`` would use, or None when the
    pattern path cannot reproduce it (categorical or linear trees, several trees per
    iteration, a clamped threshold or too many internal nodes for a pattern code)."""
    model = booster.dump_model()
    if model.get("num_tree_per_iteration", 1) != 1 or model.get("pandas_categorical"):
        return None
    iterations = booster.best_iteration if booster.best_iteration > 0 else None
    infos = model["tree_info"][:iterations]
    trees = []
    for info in infos:
        nodes: list[Split] = []
        if not _collect(info["tree_structure"], nodes) or len(nodes) > _MAX_BITS:
            return None
        trees.append(nodes)
    return trees


def _collect(node: dict[str, Any], out: list[Split]) -> bool:
    """Append the internal nodes under ``node`` in preorder; False if one is unsupported."""
    if "leaf_value" in node:
        return "leaf_const" not in node  # a linear leaf's output depends on the values too
    threshold = node["threshold"]
    if (node["decision_type"] != "<=" or not isinstance(threshold, (int, float))
            or abs(threshold) >= _CLAMPED or node["missing_type"] not in ("None", "Zero", "NaN")):
        return False
    out.append(Split(int(node["split_feature"]), float(threshold), bool(node["default_left"]),
                     node["missing_type"]))
    return _collect(node["left_child"], out) and _collect(node["right_child"], out)


def lightgbm_matrix(data: pd.DataFrame | np.ndarray) -> np.ndarray | None:
    """The float matrix LightGBM's predict builds from ``data``, or None if it would do
    more than a dtype cast (categorical or nullable pandas columns, not 2-D)."""
    if isinstance(data, pd.DataFrame):
        dtypes = list(data.dtypes)
        if not all(isinstance(d, np.dtype) and d.kind in "biuf" for d in dtypes):
            return None
        # lightgbm.basic._data_from_pandas: the common type of the columns and float32
        target = np.result_type(*[d.type for d in dtypes], np.float32)
        matrix = data.to_numpy(dtype=target, copy=False)
    else:
        matrix = np.asarray(data)
        if matrix.dtype.kind not in "biuf":
            return None
        # lightgbm.basic._np2d_to_np1d: float32/float64 as they are, anything else float32
        if matrix.dtype not in (np.float32, np.float64):
            matrix = matrix.astype(np.float32)
    return matrix if matrix.ndim == 2 else None


def contributions(booster: Booster, data: pd.DataFrame | np.ndarray, *, num_threads: int = 0,
                  min_rows: int = MIN_ROWS) -> np.ndarray:
    """``booster.predict(data, pred_contrib=True)``: one column per feature plus the bias.

    Uses :func:`pattern_contributions` when it applies and ``data`` has at least
    ``min_rows`` rows; otherwise the plain call (same numbers, up to rounding).
    """
    if len(data) >= max(min_rows, 1):
        trees = tree_splits(booster)
        matrix = lightgbm_matrix(data)
        if (trees is not None and matrix is not None
                and matrix.shape[1] == booster.num_feature()):
            return pattern_contributions(booster, matrix, trees, num_threads=num_threads)
    return np.asarray(booster.predict(data, pred_contrib=True, num_threads=num_threads))


def pattern_contributions(booster: Booster, matrix: np.ndarray, trees: list[list[Split]], *,
                          num_threads: int = 0) -> np.ndarray:
    """TreeSHAP of every row of ``matrix`` from one LightGBM call per tree.

    ``matrix`` is what :func:`lightgbm_matrix` returns and ``trees`` what
    :func:`tree_splits` returns for ``booster``. The result is column-major (each
    column contiguous), shape ``(rows, features + 1)``. ``num_threads`` (0: every core)
    threads share the rows; numpy releases the GIL in the work that counts.
    """
    n, n_features = matrix.shape
    chunks = _chunks(n, num_threads)
    codes = [np.empty(n, dtype=_code_dtype(len(nodes))) for nodes in trees]
    # 1. each row's decision pattern in each tree, and a row holding each pattern
    holders = _parallel(lambda rows: _codes(matrix, rows, trees, codes), chunks)
    # 2. one LightGBM call per tree, on one row per pattern. Serial: LightGBM keeps a
    #    call's start_iteration on the booster (GBDT::InitPredict), so calls must not overlap.
    offsets = np.zeros(n_features + 1)  # columns with one value for every row (the bias)
    spreads: list[dict[Any, np.ndarray]] = []
    for t, tree_codes in enumerate(codes):
        if tree_codes.dtype == np.int64:  # long codes: numbered by np.unique instead
            _, representatives, tree_codes = np.unique(tree_codes, return_index=True,
                                                       return_inverse=True)
            codes[t], slots = tree_codes.reshape(-1), np.arange(len(representatives))
            size = len(representatives)
        else:
            holder = np.maximum.reduce([h[t] for h in holders])
            slots = np.flatnonzero(holder >= 0)
            representatives, size = holder[slots], len(holder)
        # a few hundred rows: one thread, as starting LightGBM's thread team costs more
        table = np.asarray(booster.predict(
            matrix[representatives], pred_contrib=True, start_iteration=t, num_iteration=1,
            num_threads=1 if len(representatives) < _ONE_THREAD_ROWS else num_threads,
        )).reshape(len(representatives), n_features + 1)
        spread: dict[Any, np.ndarray] = {}  # keyed by NumPy column numbers
        for c in np.flatnonzero(np.any(table != 0.0, axis=0)):  # the tree's features
            column = table[:, c]
            if np.all(column == column[0]):
                offsets[c] += column[0]  # tree by tree, in LightGBM's order
            else:
                spread[c] = np.zeros(size)
                spread[c][slots] = column
        spreads.append(spread)
    # 3. gather each tree's table onto the rows through their patterns, and add up
    out = np.zeros((n, n_features + 1), order="F")
    _parallel(lambda rows: _gather(out, rows, codes, spreads, offsets), chunks)
    return out


def _chunks(n: int, num_threads: int) -> list[slice]:
    """Rows split for ``num_threads`` threads (0: one per core), no chunk under _MIN_CHUNK."""
    workers = num_threads if num_threads > 0 else os.cpu_count() or 1
    count = max(1, min(workers, n // _MIN_CHUNK))
    bounds = np.linspace(0, n, count + 1).astype(int)
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _parallel(work: Callable[[slice], _T], chunks: list[slice]) -> list[_T]:
    """``work`` on each chunk of rows, one thread each (they write disjoint rows)."""
    if len(chunks) == 1:
        return [work(chunks[0])]
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        return list(pool.map(work, chunks))


def _code_dtype(n_nodes: int) -> type[np.integer]:
    return np.uint8 if n_nodes <= 8 else np.uint16 if n_nodes <= 16 else np.int64


def _codes(matrix: np.ndarray, rows: slice, trees: list[list[Split]],
           codes: list[np.ndarray]) -> list[np.ndarray]:
    """Fill ``codes[t][rows]``; per tree, a row of ``rows`` for each code (-1: none)."""
    columns = _Columns(matrix[rows])
    holders = []
    numbers = np.arange(rows.start, rows.stop)
    for nodes, tree_codes in zip(trees, codes, strict=True):
        chunk = tree_codes[rows]
        _pattern_codes(columns, nodes, out=chunk)
        if chunk.dtype == np.int64:
            holders.append(np.empty(0, dtype=np.intp))
            continue
        holder = np.full(1 << (8 * chunk.dtype.itemsize), -1, dtype=np.intp)
        # any row with the pattern will do as its representative (an intp index: NumPy
        # converts smaller ones slowly)
        holder[chunk.astype(np.intp)] = numbers
        holders.append(holder)
    return holders


def _gather(out: np.ndarray, rows: slice, codes: list[np.ndarray],
            spreads: list[dict[Any, np.ndarray]], offsets: np.ndarray) -> None:
    """Add each tree's SHAP values, looked up by the rows' patterns, to ``out[rows]``."""
    for tree_codes, spread in zip(codes, spreads, strict=True):
        if not spread:
            continue
        index = tree_codes[rows].astype(np.intp)  # NumPy converts small ints on every take
        for c, table in spread.items():
            out[rows, c] += table.take(index)
    for c in np.flatnonzero(offsets):
        out[rows, c] += offsets[c]


class _Columns:
    """Each feature's values as ``Tree::NumericalDecision`` sees them, built on demand.

    LightGBM's dense-matrix row reader drops values with ``|x| <= kZeroThreshold`` (so
    they read as 0.0) and keeps NaN; then a NaN becomes 0.0 unless the node's
    missing_type is NaN.
    """

    def __init__(self, matrix: np.ndarray):
        self._matrix = matrix
        self._cache: dict[tuple[int, str], np.ndarray] = {}

    def get(self, feature: int, missing_type: str) -> np.ndarray:
        key = (feature, missing_type)
        if key not in self._cache:
            # float64 first: comparing float32 values with a Python-float threshold would
            # round the threshold to float32 (NumPy's weak scalars); C++ compares doubles.
            x = self._matrix[:, feature].astype(np.float64)
            x[np.abs(x) <= K_ZERO] = 0.0
            if missing_type == "None":
                x[np.isnan(x)] = 0.0
            elif missing_type == "Zero":
                # zero and NaN both mean "missing" here: mark them NaN so that one
                # comparison sends them to the default side (see _pattern_codes)
                x[x == 0.0] = np.nan
            self._cache[key] = x
        return self._cache[key]


def _pattern_codes(columns: _Columns, nodes: list[Split], out: np.ndarray) -> None:
    """Bit k of a row's code: its decision at internal node k (a bijection is all we need,
    so bit k may mean left at some nodes and right at others)."""
    out[:] = 0
    bit = np.empty(len(out), dtype=bool)
    shifted = np.empty_like(out)  # buffers reused from node to node: ~1/3 faster
    for k, node in enumerate(nodes):
        x = columns.get(node.feature, node.missing_type)
        # A NaN in x (missing, for a NaN or Zero node) compares False: "x <= thr" sends it
        # right, and "x > thr" (bit 1 = right) sends it left: to the default side.
        if node.default_left and node.missing_type != "None":
            np.greater(x, node.threshold, out=bit)
        else:
            np.less_equal(x, node.threshold, out=bit)
        np.left_shift(bit.view(np.uint8), out.dtype.type(k), out=shifted)
        np.bitwise_or(out, shifted, out=out)
