from __future__ import annotations

import shopperlens


def test_all_is_sorted_and_complete() -> None:
    names = shopperlens.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(shopperlens, name), name
