"""Consent checks where data is used: profiling (GDPR Art. 21/22) and marketing.

``consent_profiling = false`` keeps a customer out of segmentation, predictions and
personalisation: they are counted, not profiled. ``consent_marketing = false`` keeps them
out of every exported audience. A *missing* answer (no column, empty cell, or a customer
absent from ``customers``) counts as ``default``, which is ``True`` here (opt-out, as for
profiling based on legitimate interest). Where marketing needs opt-in consent (e-mail
marketing under PECR or the ePrivacy directive), pass ``default=False``.

>>> customers = pd.DataFrame({"customer_id": ["a", "b", "c"],
...                           "consent_profiling": [True, False, None]})
>>> profiling_allowed(customers).to_dict()
{'a': True, 'b': False, 'c': True}
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from shopperlens import schema as s
from shopperlens.errors import InputError

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def _customer_ids(frame: pd.DataFrame, what: str) -> pd.Index:
    if s.CUSTOMER_ID in frame.columns:
        return pd.Index(frame[s.CUSTOMER_ID], name=s.CUSTOMER_ID)
    if frame.index.name == s.CUSTOMER_ID:
        return frame.index
    raise InputError(
        f"{what} is missing required column '{s.CUSTOMER_ID}' "
        f"(found: {', '.join(map(str, frame.columns[:8]))})."
    )


def _as_flag(value: Any, default: bool) -> bool:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return default
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        if not text:
            return default
        raise InputError(
            "a consent column holds a value that is not true or false "
            "(expected true/false, yes/no or 1/0)."
        )
    return bool(value)


def _allowed(customers: pd.DataFrame, column: str, default: bool) -> pd.Series:
    ids = _customer_ids(customers, "customers")
    if column in customers.columns:
        flags = [_as_flag(v, default) for v in customers[column].tolist()]
    else:
        flags = [default] * len(ids)
    out = pd.Series(flags, index=ids, name=column, dtype=bool)
    # A duplicated customer id (rejected at ingestion) must not hide a refusal.
    return out.groupby(level=0, sort=False).min() if not ids.is_unique else out


def profiling_allowed(customers: pd.DataFrame, *, default: bool = True) -> pd.Series:
    """Whether each customer may be profiled, indexed by ``customer_id``.

    ``customers`` holds ``customer_id`` (column or index) and, optionally,
    ``consent_profiling`` (booleans, or true/false/yes/no/1/0 text).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": ["a", "b"], "consent_profiling": ["no", "yes"]})
    >>> profiling_allowed(frame).tolist()
    [False, True]
    """
    return _allowed(customers, s.CONSENT_PROFILING, default)


def marketing_allowed(customers: pd.DataFrame, *, default: bool = True) -> pd.Series:
    """Whether each customer may receive marketing, indexed by ``customer_id``.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": ["a", "b"], "consent_marketing": [False, None]})
    >>> marketing_allowed(frame).tolist(), marketing_allowed(frame, default=False).tolist()
    ([False, True], [False, False])
    """
    return _allowed(customers, s.CONSENT_MARKETING, default)


def _keep(frame: pd.DataFrame, allowed: pd.Series, default: bool, what: str) -> pd.DataFrame:
    ids = _customer_ids(frame, what)
    keep = allowed.reindex(ids, fill_value=default).astype(bool).to_numpy()
    return frame.loc[keep].copy()


def filter_profiling(
    frame: pd.DataFrame, customers: pd.DataFrame | None, *, default: bool = True
) -> pd.DataFrame:
    """Rows of ``frame`` (features, segments, predictions) whose customer may be profiled.

    ``frame`` has ``customer_id`` as a column or as its index. Without a customers table,
    every row is kept (``default`` decides, like a missing answer).

    Examples
    --------
    >>> features = pd.DataFrame({"recency": [1, 2]}, index=pd.Index(["a", "b"], name="customer_id"))
    >>> customers = pd.DataFrame({"customer_id": ["a"], "consent_profiling": [False]})
    >>> filter_profiling(features, customers).index.tolist()
    ['b']
    """
    if customers is None:
        return frame.copy() if default else frame.iloc[:0].copy()
    return _keep(frame, profiling_allowed(customers, default=default), default, "the frame")


def filter_audience(
    audience: pd.DataFrame,
    customers: pd.DataFrame | None,
    *,
    default: bool = True,
    profiled: bool = True,
) -> pd.DataFrame:
    """The audience without customers who refused marketing (and profiling, if it was used).

    Parameters
    ----------
    audience : rows to export, with ``customer_id`` (column or index).
    customers : the customers table with the consent columns, or ``None``.
    default : what a missing consent answer means (see the module notes).
    profiled : the audience was chosen by profiling (segments, predictions), so
        ``consent_profiling = false`` also removes a customer. Pass ``False`` for a send
        to everyone that used no profile.

    Examples
    --------
    >>> audience = pd.DataFrame({"customer_id": ["a", "b", "c"]})
    >>> customers = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...                           "consent_marketing": [True, False, True],
    ...                           "consent_profiling": [True, True, False]})
    >>> filter_audience(audience, customers).customer_id.tolist()
    ['a']
    >>> filter_audience(audience, customers, profiled=False).customer_id.tolist()
    ['a', 'c']
    """
    if customers is None:
        return audience.copy() if default else audience.iloc[:0].copy()
    allowed = marketing_allowed(customers, default=default)
    if profiled:
        allowed = allowed & profiling_allowed(customers, default=default)
    return _keep(audience, allowed, default, "the audience")


def consent_summary(customers: pd.DataFrame | None, *, default: bool = True) -> dict[str, int]:
    """Counts for ``run.json``: customers, and how many refused profiling or marketing.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["a", "b"], "consent_profiling": [False, True]})
    >>> consent_summary(customers)
    {'customers': 2, 'profiling_refused': 1, 'marketing_refused': 0}
    """
    if customers is None:
        return {"customers": 0, "profiling_refused": 0, "marketing_refused": 0}
    profiling = profiling_allowed(customers, default=default)
    marketing = marketing_allowed(customers, default=default)
    return {
        "customers": int(len(profiling)),
        "profiling_refused": int((~profiling).sum()),
        "marketing_refused": int((~marketing).sum()),
    }
