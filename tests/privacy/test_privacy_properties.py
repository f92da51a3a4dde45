"""Invariants of pseudonyms and encryption (Hypothesis)."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.privacy import (
    decrypt_values,
    encrypt_values,
    generate_vault_key,
    normalise_phone,
    pseudonymise,
    rotate,
)

keys = st.binary(min_size=16, max_size=64)
local = st.text(string.ascii_letters + string.digits + "._%+-", min_size=1, max_size=20)
domain = st.from_regex(r"[A-Za-z0-9-]{1,12}\.[A-Za-z]{2,6}", fullmatch=True)
emails = st.builds(lambda a, b: f"{a}@{b}", local, domain)
spaces = st.text(" \t", max_size=3)
uk_mobiles = st.from_regex(r"7[0-9]{9}", fullmatch=True)
separators = st.lists(st.sampled_from(["", " ", "-", ".", "(", ")"]), min_size=10, max_size=10)
FAST = settings(max_examples=60, deadline=None)


def _one(value: str, key: bytes, kind: str = "email") -> str:
    return pseudonymise([value], key=key, kind=kind)[0]  # type: ignore[arg-type]


@FAST
@given(emails, keys)
def test_deterministic_per_key(email: str, key: bytes) -> None:
    assert _one(email, key) == _one(email, key)


@FAST
@given(emails, keys, keys)
def test_different_keys_give_different_pseudonyms(email: str, k1: bytes, k2: bytes) -> None:
    if k1 != k2:
        assert _one(email, k1) != _one(email, k2)


@FAST
@given(emails, emails, keys)
def test_different_emails_give_different_pseudonyms(a: str, b: str, key: bytes) -> None:
    if a.lower() != b.lower():
        assert _one(a, key) != _one(b, key)


@FAST
@given(emails, keys, spaces, spaces, st.randoms(use_true_random=False))
def test_email_case_and_whitespace_do_not_matter(
    email: str, key: bytes, left: str, right: str, rnd: object
) -> None:
    mixed = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in email)  # type: ignore[attr-defined]
    assert _one(f"{left}{mixed}{right}", key) == _one(email.lower(), key)


@FAST
@given(uk_mobiles, separators, st.sampled_from(["0", "+44", "0044", "+44 (0)", "44"]), keys)
def test_phone_spacing_punctuation_and_prefix_do_not_matter(
    number: str, seps: list[str], prefix: str, key: bytes
) -> None:
    written = prefix + "".join(d + s for d, s in zip(number, seps, strict=True))
    assert normalise_phone(written, "GB") == "+44" + number
    assert _one(written, key, "phone") == _one("+44" + number, key, "phone")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=8))
def test_encryption_round_trips_and_survives_rotation(values: list[str | None]) -> None:
    old, new = generate_vault_key(), generate_vault_key()
    tokens = encrypt_values(values, [old])
    assert decrypt_values(tokens, [old]).tolist() == values
    rotated = rotate(tokens, [new], old_keys=[old])
    assert decrypt_values(rotated, [new]).tolist() == values
