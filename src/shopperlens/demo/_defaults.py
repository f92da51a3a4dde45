"""Defaults of the demo that ``shopperlens demo --help`` shows: a leaf module."""

from __future__ import annotations

# Customers write_large generates at a time: about 5 GB at peak (2 GB per 100,000, mostly
# while building the events); smaller chunks cost no time.
DEFAULT_CHUNK = 250_000
