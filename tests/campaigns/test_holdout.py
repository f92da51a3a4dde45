from __future__ import annotations

import hashlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.campaigns import held_out
from shopperlens.campaigns.holdout import audience, bucket, holdout_salt

IDS = [f"C{i:06d}" for i in range(5_000)]


def test_the_control_group_is_the_same_on_every_machine() -> None:
    # A digest fixed once: the assignment depends on SHA-256 alone, never on the process
    # (Python's hash() is salted per process), the platform or the order of the ids.
    hold = held_out(IDS, 0.1, "spring-sale")
    assert hashlib.sha256(np.packbits(hold).tobytes()).hexdigest()[:16] == "927655a11d8690f0"
    assert (held_out(IDS[::-1], 0.1, "spring-sale")[::-1] == hold).all()
    assert list(np.flatnonzero(hold[:40])) == [21, 23, 26, 32, 35]


def test_a_bucket_is_the_first_eight_bytes_of_the_salted_sha256() -> None:
    digest = hashlib.sha256(holdout_salt("c").encode() + b"\x1f" + b"C1").digest()
    assert bucket(["C1"], holdout_salt("c"))[0] == int.from_bytes(digest[:8], "big") / 2**64


def test_the_share_held_out_is_close_to_the_one_asked() -> None:
    for share in (0.05, 0.2, 0.5):
        assert abs(held_out(IDS, share).mean() - share) < 0.025


def test_each_campaign_and_segment_has_its_own_independent_hold_out() -> None:
    a, b = held_out(IDS, 0.5, "a"), held_out(IDS, 0.5, "b")
    per_segment = held_out(IDS, 0.5, "a", segment_id=3)
    assert abs((a & b).mean() - 0.25) < 0.02  # independent draws overlap by share^2
    assert abs((a & per_segment).mean() - 0.25) < 0.02
    assert holdout_salt() != holdout_salt(None, 0) != holdout_salt("x")


@settings(max_examples=15, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=50, unique=True),
       st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_a_larger_share_only_adds_customers(ids: list[str], low: float, high: float) -> None:
    low, high = sorted((low, high))
    assert not (held_out(ids, low, "c") & ~held_out(ids, high, "c")).any()
    assert ((bucket(ids, "s") >= 0) & (bucket(ids, "s") < 1)).all()


def test_the_audience_leaves_out_exactly_the_held_out() -> None:
    kept = audience(IDS[:1000], 0.2, "c")
    hold = held_out(IDS[:1000], 0.2, "c")
    assert kept == [c for c, h in zip(IDS[:1000], hold, strict=True) if not h]
