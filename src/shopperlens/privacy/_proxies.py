"""Proxy detection: features that predict a sensitive attribute strongly.

A feature is a proxy when a shallow decision tree on that feature alone predicts the
attribute with a cross-validated ROC AUC over the threshold. With more than two groups
the AUC is the largest one-vs-rest AUC over the groups: a feature that singles out one age
band is a proxy for it even if it says nothing about the others (a macro average would
hide exactly that case). Dropping the attribute from the features does not stop a
model from using a proxy for it, so proxies are named in the audit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.tree import DecisionTreeClassifier

from shopperlens import schema as s
from shopperlens.errors import InputError


def _aligned(features: pd.DataFrame, sensitive: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    if s.CUSTOMER_ID in features.columns:
        features = features.set_index(s.CUSTOMER_ID)
    if not features.index.equals(sensitive.index):
        features, sensitive = features.align(sensitive, join="inner", axis=0)
    known = sensitive.notna().to_numpy()
    return features.loc[known], sensitive[known].astype(str)


def proxy_scores(
    features: pd.DataFrame,
    sensitive: pd.Series,
    *,
    cv: int = 3,
    max_depth: int = 3,
    min_group_size: int = 30,
    random_state: int = 0,
) -> pd.Series:
    """Cross-validated AUC of each numeric feature alone at predicting ``sensitive``.

    Parameters
    ----------
    features : one row per customer (``customer_id`` column or index), numeric columns.
    sensitive : the attribute per customer (e.g. age band), aligned on the index;
        missing values and groups with fewer than ``min_group_size`` members (at least
        ``cv``) are left out.

    Returns
    -------
    AUC per feature (0.5 = no information, 1 = a perfect proxy), highest first.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> group = pd.Series(np.repeat(["a", "b"], 50))
    >>> features = pd.DataFrame({"tell": (group == "a") + rng.normal(0, 0.1, 100),
    ...                          "noise": rng.normal(size=100)})
    >>> proxy_scores(features, group).round(1).to_dict()
    {'tell': 1.0, 'noise': 0.5}
    """
    X, y = _aligned(features, sensitive)
    counts = y.value_counts()
    keep = y.isin(counts[counts >= max(cv, min_group_size)].index).to_numpy()
    X, y = X.loc[keep], y[keep]
    if y.nunique() < 2:
        raise InputError(f"{sensitive.name or 'the attribute'} has fewer than two groups with "
                         f"at least {max(cv, min_group_size)} members; proxies cannot be measured.")
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    labels, classes = pd.factorize(y, sort=True)
    scores = {
        str(name): _auc(X[name].to_numpy(dtype=float), labels, len(classes), folds, max_depth,
                        random_state)
        for name in X.columns if pd.api.types.is_numeric_dtype(X[name].dtype)
    }
    return pd.Series(scores, name="auc", dtype=float).sort_values(ascending=False, kind="stable")


def _auc(
    x: np.ndarray, y: np.ndarray, n_classes: int, folds: StratifiedKFold, depth: int, seed: int
) -> float:
    if np.nanstd(x) == 0 or np.isnan(x).all():
        return 0.5
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=5, random_state=seed)
    proba = cross_val_predict(tree, x.reshape(-1, 1), y, cv=folds, method="predict_proba")
    if n_classes == 2:
        return float(roc_auc_score(y, proba[:, 1]))
    return max(float(roc_auc_score(y == k, proba[:, k])) for k in range(n_classes))


def proxy_features(
    features: pd.DataFrame,
    sensitive: pd.Series,
    threshold: float = 0.7,
    *,
    cv: int = 3,
    min_group_size: int = 30,
    random_state: int = 0,
) -> list[str]:
    """Names of the features whose AUC at predicting ``sensitive`` is over ``threshold``.

    Examples
    --------
    >>> group = pd.Series(["a", "b"] * 30)
    >>> features = pd.DataFrame({"tell": (group == "a").astype(float), "flat": 1.0})
    >>> proxy_features(features, group)
    ['tell']
    """
    scores = proxy_scores(features, sensitive, cv=cv, min_group_size=min_group_size,
                          random_state=random_state)
    return scores[scores > threshold].index.tolist()
