"""User column names to contract names: parsed once, at the edge.

>>> parse_mappings(["transactions.customer_id=CustomerID"])
{'transactions': {'customer_id': 'CustomerID'}}
"""

from __future__ import annotations

from collections.abc import Iterable

from shopperlens import schema
from shopperlens.errors import MappingError

Mapping = dict[str, dict[str, str]]


def parse_mappings(options: Iterable[str]) -> Mapping:
    """Parse ``table.column=SourceName`` options into ``{table: {column: source}}``."""
    result: Mapping = {}
    for option in options:
        target, sep, source = option.partition("=")
        table, dot, column = target.strip().partition(".")
        if not sep or not dot or not source.strip():
            raise MappingError(
                f"--map {option!r} is not of the form TABLE.COLUMN=SOURCE_COLUMN "
                "(for example transactions.customer_id=CustomerID)."
            )
        if table not in schema.TABLES:
            raise MappingError(
                f"--map {option!r} names unknown table {table!r} "
                f"(tables: {', '.join(schema.TABLES)})."
            )
        if column not in schema.TABLES[table].columns_by_name:
            known = ", ".join(schema.TABLES[table].column_names)
            raise MappingError(
                f"--map {option!r} names unknown column {column!r} of {table} (columns: {known})."
            )
        result.setdefault(table, {})[column] = source.strip()
    return result


def source_column(mapping: Mapping, table: str, column: str) -> str:
    """The user's name for a contract column (the contract name when not mapped)."""
    return mapping.get(table, {}).get(column, column)


def quote(name: str) -> str:
    """A SQL identifier (a user's column name may hold anything), quoted."""
    return '"' + name.replace('"', '""') + '"'
