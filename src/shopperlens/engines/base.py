"""What the pipeline needs from a compute engine.

An engine holds named tables and runs SQL over them. Feature definitions are written
once, as SQL in a portable subset (arithmetic on numeric day columns, standard
aggregates and window functions), so DuckDB and Spark run the same text.
"""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd
import pyarrow as pa


class Engine(Protocol):
    """A SQL engine over named tables."""

    name: str

    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        """Make a frame available to SQL under ``name``."""

    def create_table(self, name: str, query: str) -> None:
        """Materialise ``query`` as table ``name`` (replacing an older one)."""

    def create_view(self, name: str, query: str) -> None:
        """Name ``query`` ``name`` without running it (each use re-runs it)."""

    def has_table(self, name: str) -> bool:
        """Whether a table or view called ``name`` exists."""

    def fetch_df(self, query: str) -> pd.DataFrame:
        """Run ``query`` and collect the result as pandas."""

    def fetch_arrow(self, query: str) -> pa.Table:
        """Run ``query`` and collect the result as Arrow."""

    def scalar(self, query: str) -> Any:
        """Run ``query`` and return its single value."""

    def close(self) -> None:
        """Release every resource held."""
