"""Consent checks where data is used: profiling (GDPR Art. 21/22) and marketing.

This module is the one place that decides consent. The batch run (a DuckDB ``customers``
table: :func:`profiling_refused_sql`, :func:`without`), the output writers (frames:
:func:`filter_profiling`, :func:`filter_audience`) and the service (one profile's traits:
:func:`may_profile`, :func:`may_market`) all ask it, so they give the same answer on the
same records.

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

from collections.abc import Iterable, Mapping
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


def consent_answer(value: Any) -> bool | None:
    """The one rule for reading one consent answer: ``True``, ``False`` or ``None`` (none).

    Booleans and numbers as themselves; text true/t/yes/y/1 or false/f/no/n/0 in any
    case and spacing; ``None``, NaN or empty text is no answer. Anything else raises
    :class:`~shopperlens.errors.InputError` (ingestion rejects such a row, the service
    such a message, so neither ever stores one).

    Examples
    --------
    >>> consent_answer(" No "), consent_answer(1), consent_answer(""), consent_answer(None)
    (False, True, None, None)
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        if not text:
            return None
    elif not isinstance(value, (list, tuple, dict, set)):
        return None if value is None or pd.isna(value) else bool(value)
    raise InputError(
        "a consent column holds a value that is not true or false "
        "(expected true/false, yes/no or 1/0)."
    )


def consent_given(value: Any, *, default: bool = True) -> bool:
    """Whether one consent answer allows the use: the answer, or ``default`` when none.

    >>> consent_given("no"), consent_given(None), consent_given(None, default=False)
    (False, True, False)
    """
    answer = consent_answer(value)
    return default if answer is None else answer


def may_profile(traits: Mapping[str, Any] | None, *, default: bool = True) -> bool:
    """Whether the customer with these traits (one profile's answers) may be profiled.

    >>> may_profile({"consent_profiling": "false"}), may_profile({}), may_profile(None)
    (False, True, True)
    """
    return consent_given((traits or {}).get(s.CONSENT_PROFILING), default=default)


def may_market(traits: Mapping[str, Any] | None, *, default: bool = True) -> bool:
    """Whether the customer with these traits may be in an exported audience or webhook.

    >>> may_market({"consent_marketing": False}), may_market({"consent_marketing": "yes"})
    (False, True)
    """
    return consent_given((traits or {}).get(s.CONSENT_MARKETING), default=default)


def profiling_refused_sql(table: str = s.CUSTOMERS.name) -> str:
    """DuckDB query for the ids of ``table`` who refused profiling (batch runs).

    Ingestion has typed ``consent_profiling`` as BOOLEAN with :func:`consent_given`'s
    words (text it cannot read is a rejected row), so a refusal is exactly ``false`` and
    NULL is no answer (the default, allowed). Only refusals are read: a million customers
    who all consent cost one empty result.

    >>> profiling_refused_sql()
    'SELECT customer_id FROM customers WHERE consent_profiling = false'
    """
    return f"SELECT {s.CUSTOMER_ID} FROM {table} WHERE {s.CONSENT_PROFILING} = false"


def without(frame: pd.DataFrame, refused: Iterable[Any]) -> pd.DataFrame:
    """``frame`` (indexed by ``customer_id``) without the ``refused`` customers.

    The frame itself, not a copy, when none of them is in it (features of a million
    customers are half a gigabyte).

    >>> features = pd.DataFrame({"x": [1, 2]}, index=pd.Index(["a", "b"], name="customer_id"))
    >>> without(features, ["b", "zz"]).index.tolist(), without(features, []) is features
    (['a'], True)
    """
    gone = frame.index.intersection(pd.Index(list(refused)))
    return frame.drop(index=gone) if len(gone) else frame


def _allowed(customers: pd.DataFrame, column: str, default: bool) -> pd.Series:
    ids = _customer_ids(customers, "customers")
    if column in customers.columns:
        flags = [consent_given(v, default=default) for v in customers[column].tolist()]
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
