"""Privacy and fairness by design: pseudonyms, encryption, consent, erasure, audits.

Pure functions over frames with explicit keys and policies (only :mod:`.erase` touches
the output folder it is given). See ``shared/design.md`` ("Privacy by default").

>>> from shopperlens.privacy import pseudonymise
>>> pseudonymise(["A@x.com "], key=b"k" * 16)[0] == pseudonymise(["a@x.com"], key=b"k" * 16)[0]
True
"""

from __future__ import annotations

from shopperlens.privacy.consent import (
    consent_summary,
    filter_audience,
    filter_profiling,
    marketing_allowed,
    profiling_allowed,
)
from shopperlens.privacy.erase import (
    ErasableStore,
    ErasureReceipt,
    FileErasure,
    apply_retention,
    export_subject,
    find_identifiers,
    forget,
)
from shopperlens.privacy.fairness import (
    AuditResult,
    age_band,
    check_no_sensitive_features,
    fairness_audit,
    proxy_features,
    proxy_scores,
    sensitive_groups,
)
from shopperlens.privacy.pseudonymise import (
    arrow_udf,
    check_key,
    duckdb_functions,
    is_pseudonym,
    normalise_email,
    normalise_id,
    normalise_phone,
    pii_columns,
    pseudonymise,
    pseudonymise_arrow,
    pseudonymise_frame,
    pseudonymise_sql,
)
from shopperlens.privacy.vault import decrypt_values, encrypt_values, generate_vault_key, rotate

__all__ = [
    "AuditResult",
    "ErasableStore",
    "ErasureReceipt",
    "FileErasure",
    "age_band",
    "apply_retention",
    "arrow_udf",
    "check_key",
    "check_no_sensitive_features",
    "consent_summary",
    "decrypt_values",
    "duckdb_functions",
    "encrypt_values",
    "export_subject",
    "fairness_audit",
    "filter_audience",
    "filter_profiling",
    "find_identifiers",
    "forget",
    "generate_vault_key",
    "is_pseudonym",
    "marketing_allowed",
    "normalise_email",
    "normalise_id",
    "normalise_phone",
    "pii_columns",
    "profiling_allowed",
    "proxy_features",
    "proxy_scores",
    "pseudonymise",
    "pseudonymise_arrow",
    "pseudonymise_frame",
    "pseudonymise_sql",
    "rotate",
    "sensitive_groups",
]
