"""Privacy at the door: identifiers pseudonymised and free text scrubbed as data lands.

Direct identifiers (e-mail, phone, loyalty numbers) in ``customers`` and ``identities``
become keyed hashes in the engine, in the good rows and in the quarantined ones alike,
so no later stage or output ever sees them in plain form. Free text (interactions) and
the raw lines of malformed rows are scrubbed of e-mails, phones, cards and the like.

The Python work runs on the calling thread, outside the engine: each distinct value is
fetched, replaced in Python, and written back by one ``UPDATE ... FROM``. Python UDFs
would run on DuckDB's own worker threads, which then wait for the GIL while every other
query of the database waits for them (at 1M customers, checking the order lines beside
the scrubbing UDF took 33 s instead of 7 s).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from shopperlens import schema as s
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest.validate import quote
from shopperlens.privacy.pseudonymise import (
    PSEUDONYMISED_ID_TYPES,
    pii_columns,
    pseudonymise_arrow,
)
from shopperlens.text.scrub import TRIGGER_RE2, scrub_matched

# Only texts that scrubbing could change (text.scrub's trigger, in RE2) go through
# Python. Quoted for a SQL literal.
MAY_HOLD_PII = TRIGGER_RE2.replace("'", "''")
REPLACEMENTS = "_replacements"


@dataclass(frozen=True)
class Protection:
    """The key and default phone country that pseudonyms are made with."""

    key: bytes
    country: str

    def __call__(self, engine: DuckDBEngine, table: str) -> None:
        """Pseudonymise identifiers and scrub free text of ``table`` and its quarantine."""
        for relation in (table, f"rejected_{table}"):
            columns = engine.columns(relation)
            for column, kind, rows in _identifiers(table, columns):
                _replace(engine, relation, column, rows, self._pseudonymiser(kind))
            for column in (c for c in (s.TEXT, "raw_line") if c in columns):
                _replace(engine, relation, column,
                         f"regexp_matches({quote(column)}, '{MAY_HOLD_PII}')", _scrub)

    def _pseudonymiser(self, kind: str) -> Callable[[pa.Array], pa.Array]:
        def replace(values: pa.Array) -> pa.Array:
            return pseudonymise_arrow(values, key=self.key, kind=kind,  # type: ignore[arg-type]
                                      default_country=self.country)
        return replace


def _identifiers(table: str, columns: list[str]) -> list[tuple[str, str, str]]:
    """(column, kind of identifier, SQL selecting the rows that hold one) of ``table``."""
    found = [(c, kind, "TRUE") for c, kind in pii_columns(table).items() if c in columns]
    if table == s.IDENTITIES.name and {s.ID_TYPE, s.ID_VALUE} <= set(columns):
        found += [(s.ID_VALUE, kind, f"lower(trim({quote(s.ID_TYPE)})) = '{id_type}'")
                  for id_type, kind in PSEUDONYMISED_ID_TYPES.items()]
    return found


def _scrub(values: pa.Array) -> pa.Array:
    return pa.array([scrub_matched(v) for v in values.to_pylist()], pa.string())


def _replace(engine: DuckDBEngine, relation: str, column: str, rows: str,
             new: Callable[[pa.Array], pa.Array]) -> None:
    """Replace each distinct value of ``column`` in the ``rows`` (SQL) of ``relation``
    by ``new`` of it; only the values that change are written."""
    col = quote(column)
    old = engine.fetch_arrow(
        f"SELECT DISTINCT {col} AS old FROM {relation} WHERE {col} IS NOT NULL AND ({rows})"
    )["old"].combine_chunks()
    replaced = new(old)
    # a value that normalises to nothing becomes NULL (not_equal is NULL there)
    changed = pc.or_kleene(pc.is_null(replaced), pc.not_equal(old, replaced))
    replacements = pa.table({"old": old, "new": replaced}).filter(changed)
    if not len(replacements):
        return
    engine.register(REPLACEMENTS, replacements)
    engine.execute(
        f"UPDATE {relation} SET {col} = r.new FROM {REPLACEMENTS} r "
        f"WHERE {relation}.{col} = r.old AND ({rows}); DROP TABLE {REPLACEMENTS}",
        f"protecting {relation}.{column}",
    )
