"""Deprecated home of :mod:`shopperlens.engines.blocks` (customers in blocks), kept for
one release so older imports work."""

from __future__ import annotations

import warnings

from shopperlens.engines.blocks import (
    EVERYONE,
    SAMPLE_TABLE,
    Block,
    customer_blocks,
    in_sample,
    quote,
    sample_customers,
)

__all__ = ["EVERYONE", "SAMPLE_TABLE", "Block", "customer_blocks", "in_sample", "quote",
           "sample_customers"]

warnings.warn("shopperlens.blocks is deprecated and will be removed in the next release; "
              "import shopperlens.engines.blocks instead.", DeprecationWarning, stacklevel=2)
