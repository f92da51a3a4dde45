"""Dependencies of the routes: settings, runtime parts, authentication, body limits.

Tests replace any of them with ``app.dependency_overrides`` (for example ``get_store``
with a :class:`~shopperlens.service.store.MemoryStore`, or ``get_clock``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request

from shopperlens.service.errors import AuthError, Forbidden, PayloadTooLarge
from shopperlens.service.runtime import Clock, Hub, LoadedModel, Runtime
from shopperlens.service.settings import ServiceSettings, hash_key
from shopperlens.service.spec import MalformedEvent
from shopperlens.service.store.base import Store


@lru_cache
def get_settings() -> ServiceSettings:
    return ServiceSettings()


def get_runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def get_store(rt: Annotated[Runtime, Depends(get_runtime)]) -> Store:
    return rt.store


def get_clock(rt: Annotated[Runtime, Depends(get_runtime)]) -> Clock:
    return rt.clock


def get_model(rt: Annotated[Runtime, Depends(get_runtime)]) -> LoadedModel:
    return rt.model


def get_hub(rt: Annotated[Runtime, Depends(get_runtime)]) -> Hub:
    return rt.hub


def _presented_key(request: Request) -> str | None:
    """The write key of Basic auth (key as user name, as Segment) or of a Bearer token."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Forbidden("the Basic credentials are not valid base64.") from None
        return decoded.partition(":")[0]
    return None


def require_key(request: Request, rt: Annotated[Runtime, Depends(get_runtime)]) -> None:
    """401 without a key, 403 with a wrong one; open when no keys are configured."""
    hashes = rt.settings.write_key_hashes
    if not hashes:
        return
    key = _presented_key(request)
    if not key:
        raise AuthError(
            "a write key is required (HTTP Basic with the key as user name, "
            "or Authorization: Bearer KEY)."
        )
    digest = hash_key(key)
    if not any(hmac.compare_digest(digest, h) for h in hashes):
        raise Forbidden("the write key is not valid for this service.")
    request.state.key_id = digest[:12]  # names the key in the audit log, not the key


async def read_json(request: Request, limit: int) -> Any:
    """The JSON body, at most ``limit`` bytes (413 beyond, 400 when not JSON)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            "body_too_large", f"the body is {declared} bytes; the limit is {limit}."
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge("body_too_large", f"the body is over the limit of {limit} bytes.")
    request.state.body_bytes = len(body)
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MalformedEvent("invalid_json", f"the body is not valid JSON ({exc}).") from None


# Annotated aliases, so routes declare dependencies without calls in defaults
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
StoreDep = Annotated[Store, Depends(get_store)]
ClockDep = Annotated[Clock, Depends(get_clock)]
ModelDep = Annotated[LoadedModel, Depends(get_model)]
HubDep = Annotated[Hub, Depends(get_hub)]
