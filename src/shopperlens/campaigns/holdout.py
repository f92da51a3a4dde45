"""Persistent control groups: a salted hash of the customer id decides who is held out.

The group is a pure function of (salt, customer id): the same customer lands in the same
group on every run and every machine (``hashlib``, never Python's per-process ``hash``).
A hold-out is per campaign or global (``campaign_id=None``) and per segment or for all
(``segment_id=None``); each pair has its own salt, so the hold-outs are independent.

>>> ids = ["C1", "C2", "C3"]
>>> list(held_out(ids, share=0.5, campaign_id="spring")) == list(
...     held_out(ids, share=0.5, campaign_id="spring"))
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from shopperlens._params import Interval, check_params

__all__ = ["CONTROL", "DEFAULT_CONTROL_SHARE", "audience", "bucket", "held_out", "holdout_salt"]

CONTROL = "control"  # the variant of the held-out customers
DEFAULT_CONTROL_SHARE = 0.1
_SCALE = float(2**64)


def holdout_salt(campaign_id: str | None = None, segment_id: object | None = None,
                 secret: str = "") -> str:
    """The salt of one hold-out: global or one campaign's, all segments or one.

    ``secret`` (e.g. the run's pseudonymisation key) keeps outsiders from computing the
    groups; it must stay the same for the groups to persist."""
    campaign = "global" if campaign_id is None else f"campaign={campaign_id}"
    segment = "all" if segment_id is None else f"segment={segment_id}"
    return f"shopperlens-holdout|{campaign}|{segment}|{secret}"


def bucket(customer_ids: Iterable[object], salt: str) -> np.ndarray:
    """Each customer's place in [0, 1): the first 8 bytes of SHA-256(salt, id)."""
    prefix = salt.encode() + b"\x1f"
    return np.fromiter(
        (int.from_bytes(hashlib.sha256(prefix + str(c).encode()).digest()[:8], "big")
         / _SCALE for c in customer_ids), dtype=float)


def held_out(customer_ids: Iterable[object], share: float = DEFAULT_CONTROL_SHARE,
             campaign_id: str | None = None, segment_id: object | None = None,
             secret: str = "") -> np.ndarray:
    """True for the customers in the control group (a ``share`` of them, in expectation)."""
    check_params("held_out", {"share": Interval(float, 0.0, 1.0)}, {"share": share})
    return bucket(customer_ids, holdout_salt(campaign_id, segment_id, secret)) < share


def audience(members: Iterable[object], share: float = DEFAULT_CONTROL_SHARE,
             campaign_id: str | None = None, segment_id: object | None = None,
             secret: str = "") -> list[object]:
    """``members`` less the held-out ones: whom to send to (consent is checked apart)."""
    members = list(members)
    hold = held_out(members, share, campaign_id, segment_id, secret)
    return [m for m, out in zip(members, hold, strict=True) if not out]
