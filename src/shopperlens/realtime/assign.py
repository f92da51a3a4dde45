"""Routing events to profiles, identity merges, and segment assignment, one at a time.

:func:`route` is the one implementation of "which profile does this event update": an
event carrying both a user id and an anonymous id links the two and merges the
anonymous visitor's state into the customer's (as batch identity stitching attributes
anonymous events to the customer). It works on any :class:`Book` -- the in-memory
:class:`Profiles` below, or a service store transaction.

:class:`Profiles` follows River: ``learn_one(event)`` folds an event in, ``get`` reads
features. :class:`SegmentAssigner` wraps a fitted segment model: ``predict_one(x)``.

>>> book = Profiles()
>>> book.learn_one({"type": "event", "event": "Product Viewed", "t": 1.0,
...                 "anonymous_id": "a1"})
>>> book.learn_one({"type": "link", "user_id": "C1", "anonymous_id": "a1"})
>>> book.learn_one({"type": "event", "event": "Product Viewed", "t": 2.0,
...                 "anonymous_id": "a1"})
>>> book.features("C1", as_of=3.0)["product_views"]
2
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from shopperlens.errors import ModelError
from shopperlens.features.catalog import CATALOG, FREQUENCY
from shopperlens.realtime.state import FEATURE_NAMES, LOG_LIMIT, CustomerState
from shopperlens.segmentation import NO_PURCHASE_ID, NO_PURCHASE_NAME, SegmentModel

__all__ = [
    "ANONYMOUS",
    "CUSTOMER",
    "NO_PURCHASE_ID",
    "NO_PURCHASE_NAME",
    "Book",
    "Profiles",
    "SegmentAssigner",
    "apply",
    "features_frame",
    "route",
]

CUSTOMER, ANONYMOUS = "c", "a"
CATEGORICAL = frozenset(f.name for f in CATALOG if f.kind == "categorical")
Key = tuple[str, str]


class Book(Protocol):
    """Where profiles live while events are applied (a dict, a store transaction)."""

    def get_state(self, key: Key) -> CustomerState | None: ...
    def put_state(self, key: Key, state: CustomerState) -> None: ...
    def delete_state(self, key: Key) -> None: ...
    def resolve(self, anonymous_id: str) -> str | None: ...
    def link(self, anonymous_id: str, customer_id: str) -> None: ...


def route(event: dict[str, Any], book: Book) -> Key | None:
    """Apply identity effects of ``event`` and return the profile key it updates.

    A first link of an anonymous id wins; later links of the same anonymous id to other
    customers are ignored, so a shared device cannot move history twice.
    """
    user, anon = event.get("user_id"), event.get("anonymous_id")
    if user and anon and book.resolve(anon) is None:
        book.link(anon, user)
        visitor = book.get_state((ANONYMOUS, anon))
        if visitor is not None:
            customer = book.get_state((CUSTOMER, user)) or CustomerState()
            book.put_state((CUSTOMER, user), customer.merge(visitor))
            book.delete_state((ANONYMOUS, anon))
    if user:
        return (CUSTOMER, user)
    if anon:
        linked = book.resolve(anon)
        return (CUSTOMER, linked) if linked else (ANONYMOUS, anon)
    return None


def apply(event: dict[str, Any], book: Book) -> Key | None:
    """Route ``event`` and fold it into its profile; return the key touched (if any)."""
    key = route(event, book)
    if key is None:
        return None
    if event.get("type") == "link":  # nothing to fold in, but the customer exists now
        if key[0] == CUSTOMER and book.get_state(key) is None:
            book.put_state(key, CustomerState())
        return key
    state = book.get_state(key) or CustomerState()
    state.update(event)
    if key[0] == ANONYMOUS:
        state.log = [*state.log, event] if isinstance(state.log, list) and len(
            state.log) < LOG_LIMIT else False
    book.put_state(key, state)
    return key


class Profiles:
    """In-memory profiles: the reference implementation of :class:`Book`."""

    def __init__(self) -> None:
        self.states: dict[Key, CustomerState] = {}
        self.links: dict[str, str] = {}

    def get_state(self, key: Key) -> CustomerState | None:
        return self.states.get(key)

    def put_state(self, key: Key, state: CustomerState) -> None:
        self.states[key] = state

    def delete_state(self, key: Key) -> None:
        self.states.pop(key, None)

    def resolve(self, anonymous_id: str) -> str | None:
        return self.links.get(anonymous_id)

    def link(self, anonymous_id: str, customer_id: str) -> None:
        self.links[anonymous_id] = customer_id

    def learn_one(self, event: dict[str, Any]) -> None:
        """Fold one event into the profiles."""
        apply(event, self)

    def customers(self) -> list[str]:
        return sorted(k[1] for k in self.states if k[0] == CUSTOMER)

    def features(self, customer_id: str, *, as_of: float) -> dict[str, Any]:
        """Features of one customer as of ``as_of`` (days since the epoch)."""
        state = self.states.get((CUSTOMER, customer_id)) or CustomerState()
        return state.get(as_of)

    def frame(self, customer_ids: Iterable[str], *, as_of: float) -> pd.DataFrame:
        """Features of several customers, indexed by customer id (NaN where NULL)."""
        ids = list(customer_ids)
        return features_frame([self.features(c, as_of=as_of) for c in ids], ids)


def features_frame(rows: Sequence[dict[str, Any]], index: Sequence[str]) -> pd.DataFrame:
    """Feature dicts as a frame: numeric columns float (None -> NaN), text as object.

    >>> features_frame([{"frequency": 1, "top_category": None}], ["C1"]).dtypes.tolist()
    [dtype('float64'), dtype('O')]
    """
    frame = pd.DataFrame.from_records(list(rows), index=pd.Index(list(index), name="customer_id"))
    for name in frame.columns:
        if name not in CATEGORICAL:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


class SegmentAssigner:
    """Segment of a customer from their current features, with a fitted segment model.

    ``model`` is a :class:`~shopperlens.artifacts.SavedSegmentModel` (or anything with
    ``feature_names``, ``matrix`` and ``segment_model.predict/explain/names_``).
    Customers without a purchase get :data:`NO_PURCHASE_ID`, as the batch run does.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.columns = list(model.feature_names)
        missing = [c for c in self.columns if c not in FEATURE_NAMES]
        if missing:
            raise ModelError(
                f"the segment model uses features the real-time profiles do not compute: "
                f"{', '.join(missing)} (fit it with the default feature set)."
            )
        # a SegmentModel fitted on exactly these columns may skip per-call validation
        segment_model = model.segment_model
        self._columns_checked = (
            isinstance(segment_model, SegmentModel)
            and list(getattr(segment_model, "feature_names_in_", self.columns)) == self.columns
        )

    def _array(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        # a float array straight from the dicts (None -> NaN): 10x faster than a
        # column-by-column frame, and this runs for every ingestion call
        return np.array([[x.get(c) for c in self.columns] for x in rows], dtype=np.float64)

    def _matrix(self, rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
        return pd.DataFrame(self._array(rows), columns=self.columns)

    def _predict(self, values: np.ndarray) -> np.ndarray:
        model = self.model.segment_model
        if self._columns_checked and not np.isinf(values).any():
            return np.asarray(model.predict_array(values))
        # other models, and infinities (which validation turns into a clear error)
        return np.asarray(model.predict(pd.DataFrame(values, columns=self.columns)))

    @property
    def names(self) -> dict[int, str]:
        """Segment id -> the saved model's name (``names_`` is a dict; a list of names,
        as older models kept, is read by position)."""
        saved = self.model.segment_model.names_
        pairs = saved.items() if isinstance(saved, Mapping) else enumerate(saved)
        return {NO_PURCHASE_ID: NO_PURCHASE_NAME, **{int(i): str(n) for i, n in pairs}}

    def predict_one(self, x: dict[str, Any]) -> int:
        """Segment id of one customer's feature dict."""
        return self.predict_many([x])[0]

    def predict_many(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Segment ids of several feature dicts, in one model call."""
        labels = [NO_PURCHASE_ID] * len(rows)
        buyers = [i for i, x in enumerate(rows) if (x.get(FREQUENCY) or 0) > 0]
        if buyers:
            predicted = self._predict(self._array([rows[i] for i in buyers]))
            for i, label in zip(buyers, predicted.tolist(), strict=True):
                labels[i] = int(label)
        return labels

    def explain_one(self, x: dict[str, Any]) -> str:
        """Why the customer is in their segment, in plain words ("" without purchases)."""
        if not (x.get(FREQUENCY) or 0) > 0:
            return ""
        return str(self.model.segment_model.explain(self._matrix([x])).iloc[0])
