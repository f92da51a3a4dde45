"""Deprecated home of :mod:`shopperlens.batch.predict` (the prediction stage of a run),
kept for one release so older imports work."""

from __future__ import annotations

import warnings

from shopperlens.batch.predict import Predictor, TrainingData, fit_predictor, gather_training_data

__all__ = ["Predictor", "TrainingData", "fit_predictor", "gather_training_data"]

warnings.warn("shopperlens.predict is deprecated and will be removed in the next release; "
              "import shopperlens.batch.predict instead.", DeprecationWarning, stacklevel=2)
