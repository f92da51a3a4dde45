"""Fitting the segment and RFM models, and assigning customers to their segments."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.config import Settings
from shopperlens.errors import InputError, ModelError
from shopperlens.features import numeric_features
from shopperlens.segmentation import (
    NO_PURCHASE_ID,
    NO_PURCHASE_NAME,
    RFMGrid,
    SegmentModel,
    has_purchases,
    relabel_model,
    segment_profiles,
)
from shopperlens.text import emotion_segments

MIN_BUYERS = 2  # segments compare customers: one alone cannot be segmented

__all__ = ["NO_PURCHASE_ID", "NO_PURCHASE_NAME", "assign_segments", "fit_segment_model",
           "follow_previous_ids"]


def fit_segment_model(
    features: pd.DataFrame, *, settings: Settings, as_of: datetime
) -> SavedSegmentModel:
    """Fit the segment and RFM models on buyers' features and wrap them for saving."""
    buyers = features[has_purchases(features)]
    if len(buyers) < MIN_BUYERS:
        raise InputError(
            f"transactions: {len(buyers)} customer(s) with a purchase up to the cutoff; "
            f"finding segments needs at least {MIN_BUYERS} (add data or move --cutoff)."
        )
    columns = numeric_features(buyers)
    segment_model = SegmentModel(
        k_range=(2, settings.max_segments),
        min_share=settings.min_segment_share,
        random_state=settings.seed,
        nuisance=settings.segment_nuisance,
        describe_only=settings.segment_describe_only,
    ).fit(buyers[columns])
    rfm = RFMGrid().fit(buyers)
    return SavedSegmentModel(segment_model, rfm, columns, as_of.isoformat())


def follow_previous_ids(
    model: SavedSegmentModel, previous: Path, features: pd.DataFrame
) -> tuple[SavedSegmentModel, dict[str, Any]]:
    """``model`` with the segment ids of the run saved at ``previous``, so that "segment
    3" keeps meaning the same people across re-fits (each new segment takes the id of
    the old one it shares most of the fit set's buyers with; see
    :func:`~shopperlens.segmentation.match_segments`).

    Returns the model and what the run record says: the mapping, or why there is none.
    """
    buyers = features[has_purchases(features)]
    try:
        old = SavedSegmentModel.load(previous)
        old_labels = old.segment_model.predict(old.matrix(buyers))
    except ModelError as exc:
        return model, {"previous": str(previous), "matched": False, "why": str(exc)}
    fitted = model.segment_model
    model.segment_model = relabel_model(fitted, old_labels)
    mapping = zip(fitted.segment_ids_, model.segment_model.segment_ids_, strict=True)
    return model, {"previous": str(previous), "previous_as_of": old.as_of, "matched": True,
                   "new_to_previous": {str(new): int(kept) for new, kept in mapping}}


def assign_segments(
    model: SavedSegmentModel, features: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment, RFM segment and reasons per customer, plus the segment profiles."""
    buyers = has_purchases(features)
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
    return segments.reset_index(), segment_profiles(model.segment_model)
