"""Privacy and fairness by design: pseudonyms, encryption, consent, erasure, audits.

Pure functions over frames with explicit keys and policies (only :mod:`.erase` touches
the output folder it is given). Each rule lives once: consent in :mod:`.consent`,
recognising and redacting one person's identifiers in :mod:`._match` (used by the output
folder's erasure and by the service store's).

>>> from shopperlens.privacy import pseudonymise
>>> pseudonymise(["A@x.com "], key=b"k" * 16)[0] == pseudonymise(["a@x.com"], key=b"k" * 16)[0]
True
"""

from __future__ import annotations

from shopperlens.privacy._match import Matcher, build_matcher, redact_json
from shopperlens.privacy.consent import (
    consent_answer,
    consent_given,
    consent_summary,
    filter_audience,
    filter_profiling,
    marketing_allowed,
    may_market,
    may_profile,
    profiling_allowed,
    profiling_refused_sql,
    without,
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
    "Matcher",
    "age_band",
    "apply_retention",
    "arrow_udf",
    "build_matcher",
    "check_key",
    "check_no_sensitive_features",
    "consent_answer",
    "consent_given",
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
    "may_market",
    "may_profile",
    "normalise_email",
    "normalise_id",
    "normalise_phone",
    "pii_columns",
    "profiling_allowed",
    "profiling_refused_sql",
    "proxy_features",
    "proxy_scores",
    "pseudonymise",
    "pseudonymise_arrow",
    "pseudonymise_frame",
    "pseudonymise_sql",
    "redact_json",
    "rotate",
    "sensitive_groups",
    "without",
]
