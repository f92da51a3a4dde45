"""The package's version: a leaf module, so anything may import it cheaply."""

from __future__ import annotations

__version__ = "0.1.0"
