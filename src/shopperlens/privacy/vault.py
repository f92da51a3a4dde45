"""Encryption at rest for originals that must be kept (an e-mail address to send a campaign).

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA-256, from ``cryptography``):
authenticated, so a changed token fails to decrypt instead of giving wrong data. Keys are
a list: the first encrypts, all of them decrypt (``MultiFernet``), which is how keys are
rotated: put the new key first, :func:`rotate` the stored tokens, then drop the old key.

The Fernet timestamp of every token is fixed at 0: a token does not tell when it was
written, and this module reads no clock. Time-to-live checks are not used.

>>> key = generate_vault_key()
>>> tokens = encrypt_values(["ann@example.com", None], [key])
>>> decrypt_values(tokens, [key]).tolist()
['ann@example.com', None]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shopperlens.errors import PrivacyError

Key = bytes | str
_EPOCH = 0


def generate_vault_key() -> str:
    """A new random vault key (32 bytes, URL-safe base64), to keep in a secret store.

    Examples
    --------
    >>> len(generate_vault_key())
    44
    """
    return Fernet.generate_key().decode("ascii")


def _ring(keys: Sequence[Key] | Key) -> MultiFernet:
    if isinstance(keys, bytes | str):
        keys = [keys]
    if not keys:
        raise PrivacyError("no vault key given; pass at least one (see generate_vault_key()).")
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError) as exc:
            raise PrivacyError(
                f"vault key {number} of {len(keys)} is not a valid key (expected 32 URL-safe "
                "base64-encoded bytes, as generate_vault_key() makes)."
            ) from exc
    return MultiFernet(fernets)


def _series(values: Iterable[Any]) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.astype(object).where(values.notna(), None)
    return pd.Series(list(values), dtype=object)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def encrypt_values(values: Iterable[Any], keys: Sequence[Key] | Key) -> pd.Series:
    """Encrypt each value (as UTF-8 text) with the first key; missing values stay missing.

    Parameters
    ----------
    values : strings (list, array or Series; a Series keeps its index).
    keys : the key ring; the first key encrypts.

    Returns
    -------
    A Series of Fernet tokens (ASCII strings); each call gives new tokens (random IV).

    Examples
    --------
    >>> key = generate_vault_key()
    >>> a, b = encrypt_values(["x", "x"], key)
    >>> a != b, a.startswith("gAAAAA")
    (True, True)
    """
    ring = _ring(keys)
    series = _series(values)
    out = [
        None if _missing(v) else ring.encrypt_at_time(str(v).encode(), _EPOCH).decode("ascii")
        for v in series.tolist()
    ]
    return pd.Series(out, index=series.index, name=series.name, dtype=object)


def decrypt_values(tokens: Iterable[Any], keys: Sequence[Key] | Key) -> pd.Series:
    """Decrypt tokens made by :func:`encrypt_values` with any key of the ring.

    Raises :class:`~shopperlens.errors.PrivacyError` naming the positions of the tokens
    that no key opens (or that were altered), never their content.

    Examples
    --------
    >>> key = generate_vault_key()
    >>> decrypt_values(encrypt_values(["Ann"], key), key).tolist()
    ['Ann']
    >>> decrypt_values(["not a token"], key)
    Traceback (most recent call last):
    ...
    shopperlens.errors.PrivacyError: 1 of 1 values could not be decrypted (positions: 0): no key
    of the ring opens them, or they were altered.
    """
    ring = _ring(keys)
    return _apply(tokens, lambda t: ring.decrypt(t.encode("ascii")).decode("utf-8"))


def rotate(
    tokens: Iterable[Any], new_keys: Sequence[Key] | Key, old_keys: Sequence[Key] = ()
) -> pd.Series:
    """Re-encrypt tokens under the first of ``new_keys``.

    The ring used to read them is ``new_keys`` followed by ``old_keys``: pass the new key
    first and the retiring keys after it (in either argument). Once every stored token is
    rotated, the old keys can be destroyed.

    Examples
    --------
    >>> old, new = generate_vault_key(), generate_vault_key()
    >>> rotated = rotate(encrypt_values(["Ann"], old), [new], old_keys=[old])
    >>> decrypt_values(rotated, [new]).tolist()
    ['Ann']
    """
    fresh = [new_keys] if isinstance(new_keys, bytes | str) else list(new_keys)
    ring = _ring([*fresh, *old_keys])
    return _apply(tokens, lambda t: ring.rotate(t.encode("ascii")).decode("ascii"))


def _apply(tokens: Iterable[Any], fn: Any) -> pd.Series:
    series = _series(tokens)
    out: list[str | None] = []
    failed: list[int] = []
    for position, token in enumerate(series.tolist()):
        if _missing(token):
            out.append(None)
            continue
        try:
            out.append(fn(str(token)))
        except (InvalidToken, UnicodeError):
            failed.append(position)
            out.append(None)
    if failed:
        shown = ", ".join(map(str, failed[:10])) + (", ..." if len(failed) > 10 else "")
        raise PrivacyError(
            f"{len(failed)} of {len(out)} values could not be decrypted (positions: {shown}): "
            "no key of the ring opens them, or they were altered."
        )
    return pd.Series(out, index=series.index, name=series.name, dtype=object)
