"""Fitting the segment and RFM models, and assigning customers to their segments."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from shopperlens import schema as s
from shopperlens.artifacts import SavedSegmentModel
from shopperlens.config import Settings
from shopperlens.features import numeric_features
from shopperlens.segmentation import RFMGrid, SegmentModel
from shopperlens.text import emotion_segments

NO_PURCHASE_ID = -1
NO_PURCHASE_NAME = "No purchases yet"


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
        nuisance=settings.segment_nuisance,
        describe_only=settings.segment_describe_only,
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
