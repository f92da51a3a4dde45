"""The batch run: ingest → profiles → features → models → outputs, timed, into ``run.json``.

:func:`run` is the Python API behind ``shopperlens run``; it returns a :class:`RunResult`
holding the data frames, the fitted segment model and the run record.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
from shopperlens.blocks import EVERYONE, Block, customer_blocks, in_sample, sample_customers
from shopperlens.config import Settings
from shopperlens.engines import check_engine, copy_tables, create_engine
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import (
    FEATURES_TABLE,
    SOURCE_TABLES,
    add_text_features,
    compute_features,
    feature_table,
    fetch_features,
    numeric_features,
    score_texts_table,
    text_scores,
)
from shopperlens.ingest import TableQuality, load_folder, parse_mappings, quality_as_dict
from shopperlens.ingest.readers import discover
from shopperlens.predict import Predictor, fit_predictor, gather_training_data
from shopperlens.privacy import AuditResult, fairness_audit, sensitive_groups
from shopperlens.report import result_from_outputs, write_report
from shopperlens.report.load import audit_stamp
from shopperlens.segmentation import RFMGrid, SegmentModel, SegmentTotals
from shopperlens.text import emotion_segments

NO_PURCHASE_ID = -1
NO_PURCHASE_NAME = "No purchases yet"
Progress = Callable[[str], None]


STORED = "stored"  # a per-customer frame of a run that lives only in its output file


class _OutputFrame:
    """A per-customer frame of :class:`RunResult`: in memory, or, for a run too big to
    hold (its customers came in blocks), read from the run's output file on first use."""

    def __init__(self, stem: str, index: str | None = None) -> None:
        self.stem, self.index = stem, index

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = f"_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> pd.DataFrame | None:
        if obj is None:
            raise AttributeError(self.attr)  # tells dataclass: a field without default
        frame = obj.__dict__[self.attr]
        if isinstance(frame, str) and frame == STORED:
            frame = pd.read_parquet(obj.out_dir / f"{self.stem}.parquet")  # type: ignore[attr-defined]
            frame = frame.set_index(self.index) if self.index else frame
            obj.__dict__[self.attr] = frame
        return frame

    def __set__(self, obj: object, value: pd.DataFrame | str | None) -> None:
        obj.__dict__[self.attr] = value


@dataclass
class RunResult:
    """Everything a run produced, as data frames and fitted objects.

    When a run's customers came in several blocks (more than ``block_customers``), its
    ``features``, ``segments`` and ``predictions`` are read from its output files when
    first used.
    """

    out_dir: Path | None
    as_of: datetime
    features: pd.DataFrame = _OutputFrame(s.FEATURES_FILE.removesuffix(".parquet"),
                                          s.CUSTOMER_ID)  # type: ignore[assignment]
    segments: pd.DataFrame = _OutputFrame(s.SEGMENTS_FILE)  # type: ignore[assignment]
    profiles: pd.DataFrame
    predictions: pd.DataFrame | None = _OutputFrame(s.PREDICTIONS_FILE)  # type: ignore[assignment]
    quality: dict[str, TableQuality]
    model: SavedSegmentModel
    record: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] | None = None  # the fairness audit of this run, once one was made


class _Timer:
    def __init__(self, progress: Progress | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def stage(self, name: str, *, announce: bool = True) -> Iterator[None]:
        """Time a stage; a stage met again (once per block of customers) adds up."""
        if self.progress and announce:
            self.progress(name)
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.timings[name] = round(self.timings.get(name, 0.0) + elapsed, 3)


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
    inputs = _fingerprints(files)
    out_dir = None if out is None else Path(out)
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
        predicting = {"as_of": as_of, "holdout_days": holdout_days,
                      "churn_days": settings.churn_days, "seed": settings.seed}
        # Texts are scored by worker processes beside the features, and the prediction
        # models' data is read beside the segment model: both leave a core idle for much
        # of their time.
        with engine.beside() as submit:
            texts = submit(score_texts_table, as_of, settings.block_customers,
                           n_jobs=settings.threads or -1)
            with timer.stage("features"):
                _feature_table(engine, as_of, feature_engine, settings.block_customers)
                blocks = customer_blocks(engine, FEATURES_TABLE, settings.block_customers)
            with timer.stage("segmentation"):
                fit_set = _fit_set(engine, as_of, settings, blocks)
                training = submit(gather_training_data, fit_set.profiled, fit_set.where,
                                  **predicting)
                model = fit_segment_model(fit_set.profiled, settings=settings, as_of=as_of)
            with timer.stage("text"):  # what is left of the scoring, then its features
                texts.result()
                fit_set.add_texts(engine, as_of)
        with timer.stage("predictions"):
            predictor = fit_predictor(
                engine,
                fit_set.profiled,
                fit_set.where,
                orders_horizon_days=settings.orders_horizon_days,
                value_horizon_days=settings.value_horizon_days,
                training=training.result(),
                **predicting,
            )
        if fit_set.block is None:  # the blocks are fetched anew: free the fit set's memory
            fit_set.features = fit_set.profiled = pd.DataFrame()
        scored = _Scored(model, out_dir, keep=out_dir is None or len(blocks) == 1,
                         one_pass=fit_set.block is not None)
        for number, block in enumerate(blocks, 1):
            if len(blocks) > 1 and progress:
                progress(f"customers, block {number} of {len(blocks)}")
            _score_block(engine, block, fit_set, model, predictor, scored, timer, as_of)
        with timer.stage("outputs", announce=len(blocks) == 1):
            profiles = scored.close()
        result = RunResult(
            out_dir, as_of, scored.frame("features"), scored.frame("segments"), profiles,
            scored.frame("predictions"), quality, model,
        )
        result.record = _record(result, scored, inputs.result(), settings, cutoff, mappings,
                                timer.timings)
        result.record["parameters"]["holdout_days"] = holdout_days
        result.record["parameters"]["engine"] = feature_engine
        predictions = predictor.finish()
        # Fitted parameters live once, under "models"; the rest are prediction metrics.
        result.record["models"] = predictions.pop("models")
        result.record["metrics"]["predictions"] = predictions
        if out_dir is not None:
            with timer.stage("outputs"):
                _write_tables(result, out_dir, engine)
    if out_dir is not None:
        if report:
            with timer.stage("report"):
                write_report(_report_view(result, settings), out_dir / s.REPORT_FILE)
        result.record["timings_s"] = timer.timings
        write_json(out_dir / s.RUN_FILE, result.record)
    return result


@dataclass
class _FitSet:
    """The customers the models are fitted on: everyone, or a seeded sample of them."""

    features: pd.DataFrame
    profiled: pd.DataFrame  # those of them who may be profiled
    where: str  # SQL selecting their rows
    block: Block | None  # the one block they are, when everyone fits in one block

    def add_texts(self, engine: DuckDBEngine, as_of: datetime) -> None:
        """Join the text features, once :func:`score_texts_table` is done."""
        self.features = _with_texts(engine, self.features, self.where, as_of)
        self.profiled = _profiled(engine, self.features)


def _fit_set(
    engine: DuckDBEngine, as_of: datetime, settings: Settings, blocks: list[Block]
) -> _FitSet:
    sample = sample_customers(engine, FEATURES_TABLE, settings.fit_customers, settings.seed)
    where = EVERYONE.where() if sample is None else in_sample(engine, sample)
    features = fetch_features(engine, where=where)  # text features come later (add_texts)
    block = blocks[0] if sample is None and len(blocks) == 1 else None
    return _FitSet(features, _profiled(engine, features), where, block)


def _with_texts(engine: DuckDBEngine, features: pd.DataFrame, where: str,
                as_of: datetime) -> pd.DataFrame:
    """``features`` with the text features of the customers SQL ``where`` selects."""
    return add_text_features(features, text_scores(engine, where), as_of)


def _score_block(
    engine: DuckDBEngine,
    block: Block,
    fit_set: _FitSet,
    model: SavedSegmentModel,
    predictor: Predictor,
    scored: _Scored,
    timer: _Timer,
    as_of: datetime,
) -> None:
    """Segments and predictions of one block of customers, added to ``scored``."""
    announce = fit_set.block is not None  # one block: the stages are the run's stages
    if block == fit_set.block:
        features, profiled = fit_set.features, fit_set.profiled
    else:
        with timer.stage("features", announce=announce):
            features = fetch_features(engine, where=block.where())
        with timer.stage("text", announce=announce):
            features = _with_texts(engine, features, block.where(), as_of)
        profiled = _profiled(engine, features)
    # The predictions on a thread beside the segments: LightGBM, DuckDB and numpy's
    # bigger loops let go of the GIL, so the two share the cores.
    with engine.beside() as submit:
        predicting = submit(predictor.predict, profiled, block.where())
        with timer.stage("segmentation", announce=announce):
            segments = assign_segments(model, profiled)[0]
        with timer.stage("predictions", announce=announce):
            predictions = predicting.result()
    with timer.stage("outputs", announce=announce):
        scored.add(features, profiled, segments, predictions)


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
    labels, reasons = model.segment_model.predict_explain(X)
    segments = pd.DataFrame(index=features.index)
    segments[s.SEGMENT_ID] = NO_PURCHASE_ID
    segments.loc[buyers, s.SEGMENT_ID] = labels
    names = {**dict(model.segment_model.names_), NO_PURCHASE_ID: NO_PURCHASE_NAME}
    segments[s.SEGMENT_NAME] = segments[s.SEGMENT_ID].map(names)
    segments[s.RFM_SEGMENT] = model.rfm.predict(features)
    segments[s.SEGMENT_REASON] = ""
    segments.loc[buyers, s.SEGMENT_REASON] = reasons.to_numpy()
    if "text_count" in features:
        segments["emotion_segment"] = (
            emotion_segments(features, features).reindex(segments.index).astype(str)
        )
    profiles = model.segment_model.profiles_.copy()
    return segments.reset_index(), profiles


class _Scored:
    """The per-customer outputs of a run, a block of customers at a time: appended to
    the output files, kept in memory when asked, and tallied for the run record and,
    across blocks, for the segment profiles."""

    def __init__(self, model: SavedSegmentModel, out: Path | None, *, keep: bool,
                 one_pass: bool) -> None:
        self.model, self.keep = model, keep
        self.files = None if out is None else _OutputFiles(out)
        self.parts: dict[str, list[pd.DataFrame]] = {"features": [], "segments": [],
                                                     "predictions": []}
        self.totals = (None if one_pass else
                       SegmentTotals(model.segment_model.profiles_.index, model.feature_names))
        self.customers = self.profiled = self.n_features = 0
        self.segment_counts: Counter[str] = Counter()

    def add(self, features: pd.DataFrame, profiled: pd.DataFrame, segments: pd.DataFrame,
            predictions: pd.DataFrame) -> None:
        self.customers += len(features)
        self.profiled += len(segments)
        self.n_features = features.shape[1]
        self.segment_counts.update(segments[s.SEGMENT_NAME].value_counts().to_dict())
        if self.totals is not None:
            buyers = (profiled["frequency"] > 0).to_numpy()
            self.totals.add(self.model.matrix(profiled[buyers]).to_numpy(dtype=float),
                            segments[s.SEGMENT_ID].to_numpy()[buyers])
        if self.files is not None:
            self.files.append(s.FEATURES_FILE.removesuffix(".parquet"),
                              features.reset_index(), csv=False)
            self.files.append(s.SEGMENTS_FILE, segments)
            self.files.append(s.PREDICTIONS_FILE, predictions)
        if self.keep:
            for name, frame in zip(self.parts, (features, segments, predictions), strict=True):
                self.parts[name].append(frame)

    def close(self) -> pd.DataFrame:
        """Close the files; the segment profiles: the fitted model's when it was fitted
        on everyone in one pass, else with the sizes and means of everyone."""
        if self.files is not None:
            self.files.close()
        profiles = self.model.segment_model.profiles_.copy()
        if self.totals is not None:
            counted = self.totals.table()
            profiles[counted.columns] = counted
        return profiles

    def frame(self, name: str) -> pd.DataFrame | str:
        """The concatenated blocks of ``name``, or :data:`STORED` when not kept."""
        if not self.keep:
            return STORED
        parts = self.parts[name]
        return parts[0] if len(parts) == 1 else pd.concat(parts)


class _OutputFiles:
    """Per-customer output files (Parquet, and CSV too), appended a block at a time; the
    first block fixes each file's columns."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.schemas: dict[str, pa.Schema] = {}
        self.by_stem: dict[str, list[pq.ParquetWriter | pcsv.CSVWriter]] = {}

    def append(self, stem: str, frame: pd.DataFrame, *, csv: bool = True) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if stem not in self.schemas:
            # a column empty in the first block is text, whatever fills it later
            self.schemas[stem] = pa.schema(
                [f.with_type(pa.string()) if pa.types.is_null(f.type) else f
                 for f in table.schema], metadata=table.schema.metadata)
            path = self.out / stem
            writers = [pq.ParquetWriter(path.with_suffix(".parquet"), self.schemas[stem])]
            if csv:
                writers.append(pcsv.CSVWriter(path.with_suffix(".csv"), self.schemas[stem]))
            self.by_stem[stem] = writers
        table = table.cast(self.schemas[stem])
        for writer in self.by_stem[stem]:
            writer.write_table(table)

    def close(self) -> None:
        for writers in self.by_stem.values():
            for writer in writers:
                writer.close()


def _write_tables(result: RunResult, out: Path, engine: DuckDBEngine) -> None:
    """The outputs besides the per-customer files (``run.json`` is written by :func:`run`)."""
    _write_frame(result.profiles.reset_index(), out / s.PROFILES_FILE)
    _write_rejected(engine, out / s.REJECTED_DIR, result.quality)
    result.model.save(out / s.MODEL_FILE)


def _write_frame(frame: pd.DataFrame, stem: Path) -> None:
    # Arrow writes a CSV several times faster than pandas, from the same columns.
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pcsv.write_csv(table, stem.with_suffix(".csv"))
    pq.write_table(table, stem.with_suffix(".parquet"))


REPORT_SAMPLE = "report_sample"


def _report_view(result: RunResult, settings: Settings) -> RunResult:
    """What the report shows: the run itself, or, when its per-customer frames are too
    big to hold (:data:`STORED`), a seeded random sample of ``fit_customers`` of them,
    read from the output files a row group at a time."""
    if not isinstance(result.__dict__["_segments"], str):
        return result
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    out = result.out_dir
    assert out is not None  # frames are only ever stored in an output folder
    ids = pq.read_table(out / f"{s.SEGMENTS_FILE}.parquet", columns=[s.CUSTOMER_ID]).column(0)
    size, rng = settings.fit_customers, np.random.default_rng(settings.seed)
    if size >= len(ids):
        return result
    chosen = ids.take(pa.array(np.sort(rng.choice(len(ids), size, replace=False))))

    def sample(stem: str) -> pd.DataFrame:
        rows = ds.dataset(out / stem).to_table(filter=pc.field(s.CUSTOMER_ID).isin(chosen))
        return rows.to_pandas()

    record = {**result.record, REPORT_SAMPLE: {"customers": size, "of": len(ids)}}
    return dataclasses.replace(
        result,
        features=sample(s.FEATURES_FILE).set_index(s.CUSTOMER_ID),
        segments=sample(f"{s.SEGMENTS_FILE}.parquet"),
        predictions=sample(f"{s.PREDICTIONS_FILE}.parquet"),
        record=record,
    )


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


def _feature_table(engine: DuckDBEngine, as_of: datetime, name: str,
                   block_customers: int) -> None:
    """Features by engine ``name`` as the :data:`FEATURES_TABLE` of (DuckDB) ``engine``,
    where the tables were ingested."""
    if name == "duckdb":
        feature_table(engine, as_of=as_of, block_customers=block_customers)
        return
    other = create_engine(name)
    try:
        copy_tables(engine, other, SOURCE_TABLES)
        engine.register(FEATURES_TABLE, compute_features(other, as_of=as_of).reset_index())
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


def _fingerprints(files: dict[str, Path]) -> Future:
    """The :func:`fingerprint` of each input file, hashed on a thread while the run
    reads them (hashlib lets go of the GIL): ~2 s for the 2.6 GB of 1M customers."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="shopperlens-fingerprints")
    future = pool.submit(lambda: {table: fingerprint(path) for table, path in files.items()})
    pool.shutdown(wait=False)  # its thread ends after this one task
    return future


def _record(
    result: RunResult,
    scored: _Scored,
    inputs: dict[str, dict[str, Any]],
    settings: Settings,
    cutoff: str | datetime | None,
    mappings: list[str] | None,
    timings: dict[str, float],
) -> dict[str, Any]:
    seg = result.model.segment_model
    counts = pd.Series(scored.segment_counts, dtype="int64").sort_values(
        ascending=False, kind="stable")
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
        "inputs": inputs,
        "row_counts": {
            "customers_total": scored.customers,
            "customers_profiled": scored.profiled,
            "customers_excluded_no_consent": scored.customers - scored.profiled,
            "features": scored.n_features,
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
        _feature_table(engine, as_of, feature_engine, settings.block_customers)
        blocks = customer_blocks(engine, FEATURES_TABLE, settings.block_customers)
        score_texts_table(engine, as_of, settings.block_customers,
                          n_jobs=settings.threads or -1)
        files = None if out is None else _OutputFiles(Path(out))
        parts = []
        for block in blocks:
            where = block.where()
            features = _with_texts(engine, fetch_features(engine, where=where), where, as_of)
            parts.append(assign_segments(saved, _profiled(engine, features))[0])
            if files is not None:
                files.append(s.SEGMENTS_FILE, parts[-1])
        if files is not None:
            files.close()
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


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
