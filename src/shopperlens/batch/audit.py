"""``shopperlens audit``: fairness of a finished run across sensitive groups."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel, write_json
from shopperlens.batch.options import AUDIT_ALPHA
from shopperlens.errors import MissingTableError
from shopperlens.ingest.readers import discover
from shopperlens.privacy import AuditResult, fairness_audit, sensitive_groups
from shopperlens.report import result_from_outputs, write_report
from shopperlens.report.load import audit_stamp

AUDIT_FILE = s.AUDIT_FILE
OFFER = "offer"  # audit outcome: bought on discount at least once
OFFER_FEATURE = "discount_share"


def audit(
    data: str | Path,
    out: str | Path,
    *,
    sensitive: list[str] | None = None,
    threshold: float = 0.1,
    alpha: float | None = AUDIT_ALPHA,
) -> AuditResult:
    """Fairness audit of a finished run: segments, churn risk and offers by sensitive group.

    The groups (age band from ``birth_year``, ``gender`` and any ``sensitive`` column)
    come from the customers table of ``data``; they are never segmentation features.
    The outcomes are the segment, the churn risk (``predictions``) and the offer: a
    customer got one when they bought on discount at least once (``discount_share`` of
    ``features.parquet`` above 0), so the offer rate of a group is the share of its
    customers who did. A difference over ``threshold`` is flagged when its chi-square
    p-value is below ``alpha`` (``None``: on the threshold alone). Writes
    ``fairness_audit.json`` into ``out`` (stamped with the model it audited) and, when
    the run has a report, renders it again with a fairness section.
    """
    out = Path(out)
    customers = _read_customers(Path(data))
    record = json.loads((out / s.RUN_FILE).read_text(encoding="utf-8"))
    as_of_year = datetime.fromisoformat(record["parameters"]["as_of"]).year
    groups = sensitive_groups(customers, as_of_year, extra=sensitive or [])
    outcomes = _outcomes(out)
    features = pd.read_parquet(out / s.FEATURES_FILE).set_index(s.CUSTOMER_ID)
    if OFFER_FEATURE in features.columns:
        offered = features[OFFER_FEATURE].gt(0)  # no orders: no offer taken
        outcomes[OFFER] = outcomes[s.CUSTOMER_ID].map(offered).eq(True)
    model = SavedSegmentModel.load(out)
    result = fairness_audit(
        outcomes.set_index(s.CUSTOMER_ID),
        groups,
        threshold=threshold,
        alpha=alpha,
        features=features.loc[features.index.isin(outcomes[s.CUSTOMER_ID]), model.feature_names],
    )
    write_json(out / AUDIT_FILE, {**result.to_dict(), "run": audit_stamp(out)})
    if (out / s.REPORT_FILE).is_file():
        write_report(result_from_outputs(out), out / s.REPORT_FILE)
    return result


def _outcomes(out: Path) -> pd.DataFrame:
    """Per customer of the run: segment name and churn risk (when predicted)."""
    outcomes = pd.read_parquet(out / f"{s.SEGMENTS_FILE}.parquet")[[s.CUSTOMER_ID, s.SEGMENT_NAME]]
    predictions = out / f"{s.PREDICTIONS_FILE}.parquet"
    if predictions.is_file():
        risk = pd.read_parquet(predictions)[[s.CUSTOMER_ID, "churn_risk"]]
        outcomes = outcomes.merge(risk, on=s.CUSTOMER_ID, how="left")
    return outcomes


def _read_customers(data: Path) -> pd.DataFrame:
    files = discover(data)
    if s.CUSTOMERS.name not in files:
        raise MissingTableError(f"{data}: no customers table, so there are no groups to audit.")
    path = files[s.CUSTOMERS.name]
    if path.name.endswith(".parquet"):
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, dtype={s.CUSTOMER_ID: str, s.GENDER: str})
    # Only the id and the attributes to audit: identifiers and location stay out.
    wanted = {s.CUSTOMER_ID, s.BIRTH_YEAR, s.GENDER}
    return frame[[c for c in frame.columns if c in wanted or c not in s.CUSTOMERS.column_names]]
