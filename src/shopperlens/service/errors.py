"""Service-side members of the error tree, and the one table mapping it to HTTP statuses."""

from __future__ import annotations

from shopperlens.errors import (
    ConfigError,
    EngineError,
    InputError,
    ModelError,
    ShopperLensError,
    StoreError,
)
from shopperlens.service.spec import MalformedEvent

__all__ = [
    "AuthError",
    "Forbidden",
    "MalformedEvent",
    "NotFound",
    "Overloaded",
    "PayloadTooLarge",
    "status_of",
]


class AuthError(ShopperLensError):
    """No write key was given (401)."""

    reason = "missing_credentials"


class Forbidden(ShopperLensError):
    """A write key was given but is not one of ours (403)."""

    reason = "invalid_write_key"


class PayloadTooLarge(InputError):
    """An event or a batch over its size limit (413)."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(detail)


class Overloaded(ShopperLensError):
    """Too many calls in flight (429 with Retry-After)."""

    reason = "overloaded"
    retry_after = 1


class NotFound(InputError):
    """No such customer, segment or delivery (404)."""

    reason = "not_found"


# most specific first: the first matching class decides the status
STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (MalformedEvent, 400, "malformed"),
    (PayloadTooLarge, 413, "too_large"),
    (AuthError, 401, "missing_credentials"),
    (Forbidden, 403, "invalid_write_key"),
    (Overloaded, 429, "overloaded"),
    (NotFound, 404, "not_found"),
    (ModelError, 422, "model_error"),
    (InputError, 422, "invalid_input"),
    (ConfigError, 422, "invalid_config"),
    (StoreError, 503, "store_unavailable"),
    (EngineError, 503, "engine_unavailable"),
)


def status_of(exc: ShopperLensError) -> tuple[int, str]:
    """HTTP status and machine-readable reason of an error of the tree.

    >>> status_of(Forbidden("bad key"))
    (403, 'invalid_write_key')
    """
    for cls, status, reason in STATUS:
        if isinstance(exc, cls):
            return status, getattr(exc, "reason", reason)
    return 500, "internal_error"
