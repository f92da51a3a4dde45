"""The batch run: ingest → profiles → features → models → outputs, timed, into ``run.json``.

:func:`run` is the Python API behind ``shopperlens run``; it returns a :class:`RunResult`
holding the data frames, the fitted segment model and the run record.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel, fingerprint, versions, write_json
from shopperlens.config import Settings
from shopperlens.engines import check_engine, copy_tables, create_engine
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import (
    SOURCE_TABLES,
    add_text_features,
    compute_features,
    interaction_scores,
    numeric_features,
)
from shopperlens.ingest import TableQuality, load_folder, parse_mappings, quality_as_dict
from shopperlens.ingest.readers import discover
from shopperlens.predict import predict_customers
from shopperlens.privacy import AuditResult, fairness_audit, sensitive_groups
from shopperlens.report import result_from_outputs, write_report
from shopperlens.report.load import audit_stamp
from shopperlens.segmentation import RFMGrid, SegmentModel
from shopperlens.text import emotion_segments

NO_PURCHASE_ID = -1
NO_PURCHASE_NAME = "No purchases yet"
Progress = Callable[[str], None]


@dataclass
class RunResult:
    """Everything a run produced, as data frames and fitted objects."""

    out_dir: Path | None
    as_of: datetime
    features: pd.DataFrame
    segments: pd.DataFrame
    profiles: pd.DataFrame
    predictions: pd.DataFrame | None
    quality: dict[str, TableQuality]
    model: SavedSegmentModel
    record: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] | None = None  # the fairness audit of this run, once one was made


class _Timer:
    def __init__(self, progress: Progress | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        start = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)


def run(
    data: str | Path,
    out: str | Path | None = None,
    *,
    cutoff: str | datetime | None = None,
    mappings: list[str] | None = None,
    holdout_days: int | None = None,
    report: bool = True,
    settings: Settings | None = None,
    progress: Progress | None = None,
    engine: str = "duckdb",
) -> RunResult:
    """Run the whole batch pipeline on a data folder and write the contract's outputs.

    Parameters
    ----------
    data : folder with ``transactions.csv|parquet`` and optional other contract tables.
    out : output folder; ``None`` keeps everything in memory.
    cutoff : ignore everything after this date (ISO 8601); default: the last transaction.
    mappings : ``table.column=SourceColumn`` options for foreign column names.
    holdout_days : score the predictions against this many days after the cutoff.
    report : write ``report.html`` too.
    engine : ``"duckdb"`` or ``"spark"``: the engine computing the features. Ingestion,
        validation and the later stages run on DuckDB either way.
    """
    feature_engine = check_engine(engine)  # fail before any work; `engine` is DuckDB below
    settings = settings or Settings()
    timer = _Timer(progress)
    mapping = parse_mappings(mappings or [])
    files = discover(data)
    with _engine(settings) as engine:
        with timer.stage("ingest"):
            quality = load_folder(
                engine,
                data,
                mapping,
                pseudonymisation_key=settings.key(),
                default_country=settings.default_country,
            )
        as_of = _as_of(engine, cutoff)
        with timer.stage("features"):
            features = _features(engine, as_of, feature_engine)
        with timer.stage("text"):
            text_scores = interaction_scores(engine, as_of, n_jobs=settings.threads or -1)
            features = add_text_features(features, text_scores, as_of)
        with timer.stage("segmentation"):
            profiled = _profiled(engine, features)
            model = fit_segment_model(profiled, settings=settings, as_of=as_of)
            segments, profiles = assign_segments(model, profiled)
        with timer.stage("predictions"):
            predictions = predict_customers(
                engine,
                profiled,
                as_of=as_of,
                holdout_days=holdout_days,
                orders_horizon_days=settings.orders_horizon_days,
                value_horizon_days=settings.value_horizon_days,
                churn_days=settings.churn_days,
                seed=settings.seed,
                text_scores=text_scores,
            )
        result = RunResult(
            None, as_of, features, segments, profiles, predictions.frame, quality, model
        )
        result.record = _record(result, files, settings, cutoff, mappings, timer.timings)
        result.record["parameters"]["holdout_days"] = holdout_days
        result.record["parameters"]["engine"] = feature_engine
        # Fitted parameters live once, under "models"; the rest are prediction metrics.
        result.record["models"] = predictions.record.pop("models")
        result.record["metrics"]["predictions"] = predictions.record
        if out is not None:
            with timer.stage("outputs"):
                write_outputs(result, Path(out), engine)
            result.out_dir = Path(out)
            if report:
                with timer.stage("report"):
                    write_report(result, result.out_dir / s.REPORT_FILE)
            result.record["timings_s"] = timer.timings
            write_json(result.out_dir / s.RUN_FILE, result.record)
    return result


def fit_segment_model(
    features: pd.DataFrame, *, settings: Settings, as_of: datetime
) -> SavedSegmentModel:
    """Fit the segment and RFM models on buyers' features and wrap them for saving."""
    buyers = features[features["frequency"] > 0]
    columns = numeric_features(buyers)
    segment_model = SegmentModel(
        k_range=(2, settings.max_segments),
        min_share=settings.min_segment_share,
        random_state=settings.seed,
    ).fit(buyers[columns])
    rfm = RFMGrid().fit(buyers)
    return SavedSegmentModel(segment_model, rfm, columns, as_of.isoformat())


def assign_segments(
    model: SavedSegmentModel, features: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment, RFM segment and reasons per customer, plus the segment profiles."""
    buyers = features["frequency"] > 0
    X = model.matrix(features[buyers])
    labels = model.segment_model.predict(X)
    segments = pd.DataFrame(index=features.index)
    segments[s.SEGMENT_ID] = NO_PURCHASE_ID
    segments.loc[buyers, s.SEGMENT_ID] = labels
    names = {**dict(model.segment_model.names_), NO_PURCHASE_ID: NO_PURCHASE_NAME}
    segments[s.SEGMENT_NAME] = segments[s.SEGMENT_ID].map(names)
    segments[s.RFM_SEGMENT] = model.rfm.predict(features)
    segments[s.SEGMENT_REASON] = ""
    segments.loc[buyers, s.SEGMENT_REASON] = model.segment_model.explain(X).to_numpy()
    if "text_count" in features:
        segments["emotion_segment"] = (
            emotion_segments(features, features).reindex(segments.index).astype(str)
        )
    profiles = model.segment_model.profiles_.copy()
    return segments.reset_index(), profiles


def write_outputs(result: RunResult, out: Path, engine: DuckDBEngine) -> None:
    """Write the contract's output files (``run.json`` is written by :func:`run`)."""
    out.mkdir(parents=True, exist_ok=True)
    _write_frame(result.segments, out / s.SEGMENTS_FILE)
    _write_frame(result.profiles.reset_index(), out / s.PROFILES_FILE)
    if result.predictions is not None:
        _write_frame(result.predictions, out / s.PREDICTIONS_FILE)
    result.features.reset_index().to_parquet(out / s.FEATURES_FILE, index=False)
    _write_rejected(engine, out / s.REJECTED_DIR, result.quality)
    result.model.save(out / s.MODEL_FILE)


def _write_frame(frame: pd.DataFrame, stem: Path) -> None:
    # Arrow writes a CSV several times faster than pandas, from the same columns.
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pcsv.write_csv(table, stem.with_suffix(".csv"))
    pq.write_table(table, stem.with_suffix(".parquet"))


def _write_rejected(engine: DuckDBEngine, folder: Path, quality: dict[str, TableQuality]) -> None:
    for table, q in quality.items():
        path = folder / f"{table}.csv"
        if q.rows_rejected:
            folder.mkdir(parents=True, exist_ok=True)
            target = str(path).replace("'", "''")
            engine.execute(
                f"COPY (SELECT * FROM rejected_{table} ORDER BY {s.ROW}) TO '{target}' (HEADER)",
                f"writing {path}",
            )
        elif path.exists():
            path.unlink()


def _engine(settings: Settings) -> DuckDBEngine:
    return DuckDBEngine(
        memory_limit=settings.memory_limit,
        threads=settings.threads,
        temp_dir=settings.temp_dir,
        on_disk=settings.tables_on_disk,
    )


def _features(engine: DuckDBEngine, as_of: datetime, name: str) -> pd.DataFrame:
    """Features by engine ``name`` from the tables ingested into (DuckDB) ``engine``."""
    if name == "duckdb":
        return compute_features(engine, as_of=as_of)
    other = create_engine(name)
    try:
        copy_tables(engine, other, SOURCE_TABLES)
        return compute_features(other, as_of=as_of)
    finally:
        other.close()


def _as_of(engine: DuckDBEngine, cutoff: str | datetime | None) -> datetime:
    if cutoff is None:
        last = engine.scalar(f"SELECT max({s.TIMESTAMP}) FROM {s.TRANSACTIONS.name}")
        if last is None:
            from shopperlens.errors import InputError

            raise InputError("transactions: no valid rows left after validation; see rejected/.")
        return pd.Timestamp(last).normalize().to_pydatetime() + pd.Timedelta(days=1)  # type: ignore[return-value]
    return parse_cutoff(cutoff)


def parse_cutoff(cutoff: str | datetime) -> datetime:
    """A cutoff date as a naive UTC datetime (end of the given day for a plain date)."""
    from shopperlens.errors import InputError

    if isinstance(cutoff, datetime):
        return cutoff
    try:
        stamp = pd.Timestamp(cutoff)
    except ValueError as exc:
        raise InputError(f"--cutoff {cutoff!r} is not a date (expected YYYY-MM-DD).") from exc
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    if len(cutoff.strip()) <= 10:
        stamp = stamp + pd.Timedelta(days=1)  # a plain date includes that whole day
    return stamp.to_pydatetime()


def _profiled(engine: DuckDBEngine, features: pd.DataFrame) -> pd.DataFrame:
    """Features of the customers who may be profiled: consent_profiling not false (GDPR
    Art. 21/22). No copy when nobody refused (a million customers' features are 0.5 GB)."""
    if engine.has_table(s.CUSTOMERS.name) and s.CONSENT_PROFILING in engine.columns(
        s.CUSTOMERS.name
    ):
        refused = engine.fetch_df(
            f"SELECT {s.CUSTOMER_ID} FROM {s.CUSTOMERS.name} WHERE {s.CONSENT_PROFILING} = false"
        )[s.CUSTOMER_ID]
        refused = features.index.intersection(pd.Index(refused))
        if len(refused):
            return features.drop(index=refused)
    return features


def _record(
    result: RunResult,
    files: dict[str, Path],
    settings: Settings,
    cutoff: str | datetime | None,
    mappings: list[str] | None,
    timings: dict[str, float],
) -> dict[str, Any]:
    seg = result.model.segment_model
    counts = result.segments[s.SEGMENT_NAME].value_counts()
    return {
        "shopperlens_run": 1,
        "versions": versions(),
        "parameters": {
            "cutoff": None if cutoff is None else str(cutoff),
            "as_of": result.as_of.isoformat(),
            "mappings": mappings or [],
            "settings": settings.model_dump(),
        },
        "seed": settings.seed,
        "inputs": {table: fingerprint(path) for table, path in files.items()},
        "row_counts": {
            "customers_total": int(len(result.features)),
            "customers_profiled": int(len(result.segments)),
            "customers_excluded_no_consent": int(len(result.features) - len(result.segments)),
            "features": int(result.features.shape[1]),
        },
        "data_quality": quality_as_dict(result.quality),
        "timings_s": timings,
        "metrics": {
            "segmentation": {
                "algorithm": seg.algorithm_,
                "n_segments": int(seg.n_segments_),
                "features": list(result.model.feature_names),
                "rule_fidelity": float(seg.rule_fidelity_),
                "selection": _records(seg.selection_),
                "segment_sizes": {str(k): int(v) for k, v in counts.items()},
            }
        },
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.replace({np.nan: None})
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in clean.to_dict("records")
    ]


def assign(
    model: str | Path,
    data: str | Path,
    out: str | Path | None = None,
    *,
    cutoff: str | datetime | None = None,
    mappings: list[str] | None = None,
    settings: Settings | None = None,
    engine: str = "duckdb",
) -> pd.DataFrame:
    """Apply a saved segment model to new data without refitting; write ``segments``.

    ``engine`` computes the features, as in :func:`run`.
    """
    feature_engine = check_engine(engine)
    settings = settings or Settings()
    saved = SavedSegmentModel.load(model)
    with _engine(settings) as engine:
        load_folder(
            engine,
            data,
            parse_mappings(mappings or []),
            pseudonymisation_key=settings.key(),
            default_country=settings.default_country,
        )
        as_of = _as_of(engine, cutoff)
        features = _features(engine, as_of, feature_engine)
        scores = interaction_scores(engine, as_of, n_jobs=settings.threads or -1)
        features = add_text_features(features, scores, as_of)
        segments, _ = assign_segments(saved, _profiled(engine, features))
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        _write_frame(segments, Path(out) / s.SEGMENTS_FILE)
    return segments


AUDIT_FILE = s.AUDIT_FILE
AUDIT_ALPHA = 0.01  # p-value a flagged difference needs (small groups differ by chance)
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
    outcomes = pd.read_parquet(out / f"{s.SEGMENTS_FILE}.parquet")[[s.CUSTOMER_ID, s.SEGMENT_NAME]]
    predictions = out / f"{s.PREDICTIONS_FILE}.parquet"
    if predictions.is_file():
        risk = pd.read_parquet(predictions)[[s.CUSTOMER_ID, "churn_risk"]]
        outcomes = outcomes.merge(risk, on=s.CUSTOMER_ID, how="left")
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


def _read_customers(data: Path) -> pd.DataFrame:
    from shopperlens.errors import MissingTableError

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
