"""``shopperlens assign``: a saved segment model applied to new data, without refitting."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.batch.fitset import profiled, with_texts
from shopperlens.batch.outputs import OutputFiles
from shopperlens.batch.runner import open_engine
from shopperlens.batch.segments import assign_segments
from shopperlens.batch.steps.features import feature_table_by
from shopperlens.batch.window import window
from shopperlens.config import Settings
from shopperlens.engines import check_engine
from shopperlens.engines.blocks import customer_blocks
from shopperlens.features import FEATURES_TABLE, fetch_features, score_texts_table
from shopperlens.ingest import load_folder, parse_mappings


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

    ``engine`` computes the features, as in :func:`~shopperlens.batch.runner.run`.
    """
    feature_engine = check_engine(engine)
    settings = settings or Settings()
    saved = SavedSegmentModel.load(model)
    with open_engine(settings) as db:
        quality = load_folder(
            db,
            data,
            parse_mappings(mappings or []),
            pseudonymisation_key=settings.key(),
            default_country=settings.default_country,
            keep_duplicates=settings.keep_duplicates,
        )
        as_of, _ = window(quality, cutoff, max_gap_days=settings.max_cutoff_gap_days)
        feature_table_by(db, as_of, feature_engine, settings.block_customers)
        blocks = customer_blocks(db, FEATURES_TABLE, settings.block_customers)
        score_texts_table(db, as_of, settings.block_customers,
                          n_jobs=settings.threads or -1)
        files = None if out is None else OutputFiles(Path(out))
        parts = []
        for block in blocks:
            where = block.where()
            features = with_texts(db, fetch_features(db, where=where), where, as_of)
            parts.append(assign_segments(saved, profiled(db, features))[0])
            if files is not None:
                files.append(s.SEGMENTS_FILE, parts[-1])
        if files is not None:
            files.close()
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
