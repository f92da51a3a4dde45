"""Why a product is recommended: one short sentence per recommendation.

The reason is the part of the score that weighs most: the customer's own product most
similar to it ("often bought with X"), the segment's or everyone's recent best sellers,
or the customer's habit of buying it again.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

NEIGHBOUR, SEGMENT, POPULAR, AGAIN = 0, 1, 2, 3


def explain(history: sp.csr_matrix, similarity: sp.csr_matrix, top: np.ndarray,
            knn: np.ndarray, popular: np.ndarray, owned: np.ndarray,
            popularity_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """For each recommendation (``top``: customers x n product indices), the kind of
    reason and the product it points at (the customer's product contributing most to
    the neighbour score; the product itself otherwise)."""
    neighbour = np.take_along_axis(knn, top, axis=1)
    crowd = popularity_weight * np.take_along_axis(popular, top, axis=1)
    kind = np.where(neighbour >= crowd, NEIGHBOUR, POPULAR)
    kind = np.where(np.take_along_axis(owned, top, axis=1), AGAIN, kind)
    because = top.copy()
    by_column = similarity.T.tocsr()  # row j: the products similar to j
    for k in range(top.shape[1]):
        contribution = history.multiply(by_column[top[:, k]]).tocsr()
        if contribution.nnz == 0:
            continue
        best = np.asarray(contribution.argmax(axis=1)).ravel()
        has = np.diff(contribution.indptr) > 0
        because[has, k] = best[has]
    kind = np.where((kind == NEIGHBOUR) & (because == top), POPULAR, kind)
    return kind, because


def sentence(kind: int, because: str, segment: str | None, repeat_rate: float) -> str:
    """One recommendation's reason, as a marketer reads it."""
    if kind == NEIGHBOUR:
        return f"often bought with {because}"
    if kind == AGAIN:
        return f"bought again by {repeat_rate:.0%} of its buyers"
    if segment is None:
        return "popular with customers lately"
    return "popular in your segment" + (f" ({segment})" if segment else "")


def sentences(kind: np.ndarray, because: np.ndarray, segment: np.ndarray,
              repeat_rate: np.ndarray) -> list[str]:
    """The reason of each recommendation (:func:`sentence` of each)."""
    return [sentence(k, str(b), g, float(x))
            for k, b, g, x in zip(kind, because, segment, repeat_rate, strict=True)]
