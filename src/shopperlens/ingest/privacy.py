"""Privacy at the door: identifiers pseudonymised and free text scrubbed as data lands.

Direct identifiers (e-mail, phone, loyalty numbers) in ``customers`` and ``identities``
become keyed hashes in the engine, in the good rows and in the quarantined ones alike,
so no later stage or output ever sees them in plain form. Free text (interactions) and
the raw lines of malformed rows are scrubbed of e-mails, phones, cards and the like.
"""

from __future__ import annotations

import secrets

import pyarrow as pa

from shopperlens import schema as s
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.privacy import duckdb_functions, pseudonymise_sql
from shopperlens.text.scrub import TRIGGER_RE2, scrub_matched

SCRUB_FUNCTION = "scrub_pii"
# Only texts that scrubbing could change (text.scrub's trigger, in RE2) go through the
# Python function and are rewritten: most texts hold none of it, and an UPDATE keeps
# every value it replaces in memory until it commits. Quoted for a SQL literal.
MAY_HOLD_PII = TRIGGER_RE2.replace("'", "''")


def register_privacy_functions(engine: DuckDBEngine, key: bytes | str | None, country: str) -> None:
    """Register the pseudonymisation and scrubbing UDFs on the engine.

    Without a configured key a random one is used: pseudonyms then hold within a run
    (joins and stitching work) but differ between runs.
    """
    functions = duckdb_functions(key or secrets.token_bytes(32), country)
    # "special" NULL handling: a value that normalises to nothing ("n/a" as a phone)
    # becomes NULL, which DuckDB refuses from a UDF by default and stops the run.
    for name, fn in {**functions, SCRUB_FUNCTION: _scrub_arrow}.items():
        engine.con.create_function(  # type: ignore[call-overload]  # (the stubs' literals)
            name, fn, ["VARCHAR"], "VARCHAR", type="arrow", null_handling="special")


def protect_table(engine: DuckDBEngine, table: str) -> None:
    """Pseudonymise identifiers and scrub free text of ``table`` and its quarantine."""
    for relation in (table, f"rejected_{table}"):
        columns = engine.columns(relation)
        update = pseudonymise_sql(table, columns, relation=relation)
        if update:
            engine.execute(update, f"pseudonymising {relation}")
        texts = [c for c in (s.TEXT, "raw_line") if c in columns]
        if texts:
            sets = ", ".join(f'"{c}" = {SCRUB_FUNCTION}("{c}")' for c in texts)
            candidates = " OR ".join(f"regexp_matches(\"{c}\", '{MAY_HOLD_PII}')" for c in texts)
            engine.execute(f"UPDATE {relation} SET {sets} WHERE {candidates}",
                           f"scrubbing {relation}")


def _scrub_arrow(values: pa.Array) -> pa.Array:
    # only rows matching MAY_HOLD_PII reach this function
    return pa.array([None if v is None else scrub_matched(v) for v in values.to_pylist()],
                    pa.string())
