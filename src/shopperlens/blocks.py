"""Deprecated home of :mod:`shopperlens.engines.blocks` (customers in blocks).

Kept for one release so older imports work; it will warn once no module of the package
imports it any more.
"""

from __future__ import annotations

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
