from __future__ import annotations

import pandas as pd
import pytest

from shopperlens.errors import PrivacyError
from shopperlens.privacy import decrypt_values, encrypt_values, generate_vault_key, rotate


def test_round_trip_keeps_index_and_missing_values() -> None:
    key = generate_vault_key()
    values = pd.Series(["ann@example.com", None, "07700 900123"], index=["a", "b", "c"])
    tokens = encrypt_values(values, [key])
    assert tokens.index.tolist() == ["a", "b", "c"] and tokens["b"] is None
    assert "ann@example.com" not in "".join(t for t in tokens if t)
    assert decrypt_values(tokens, key).tolist() == ["ann@example.com", None, "07700 900123"]


def test_rotation_moves_tokens_to_the_new_key() -> None:
    old, new = generate_vault_key(), generate_vault_key()
    tokens = encrypt_values(["ann@example.com"], [old])
    rotated = rotate(tokens, [new, old])
    assert decrypt_values(rotated, [new]).tolist() == ["ann@example.com"]
    with pytest.raises(PrivacyError):
        decrypt_values(rotated, [old])


def test_wrong_key_and_tampering_fail_without_echoing_data() -> None:
    key, other = generate_vault_key(), generate_vault_key()
    token = encrypt_values(["ann@example.com"], key)[0]
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for tokens, ring in (([token], [other]), ([tampered], [key])):
        with pytest.raises(PrivacyError) as info:
            decrypt_values(tokens, ring)
        assert "ann@example.com" not in str(info.value) and token not in str(info.value)


def test_bad_keys_are_reported_by_position_only() -> None:
    with pytest.raises(PrivacyError, match="vault key 2 of 2 is not a valid key"):
        encrypt_values(["x"], [generate_vault_key(), "not-a-key"])
    with pytest.raises(PrivacyError, match="no vault key given"):
        encrypt_values(["x"], [])
