"""Stored payload text: compact JSON that reads back as the message."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shopperlens.service.spec import payload_json

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(JSON)
def test_payload_reads_back_as_given(value: Any) -> None:
    # integers beyond 64 bits, which orjson cannot encode, take the standard library
    assert json.loads(payload_json(value)) == value


def test_non_finite_numbers_are_stored_as_null() -> None:
    # strict JSON has no Infinity or NaN; every reader of the store can parse null
    assert payload_json({"x": float("inf"), "y": float("nan")}) == '{"x":null,"y":null}'


def test_payload_is_compact_utf8() -> None:
    assert payload_json({"name": "Zoë", "n": 2}) == '{"name":"Zoë","n":2}'
    # the fallback escapes non-ASCII text, which erasure searches for too
    big = payload_json({"name": "Zoë", "n": 2**70})
    assert big == '{"name":"Zo\\u00eb","n":1180591620717411303424}'
