"""Predictive models: buy-till-you-die purchase and spend models, CLV and churn.

>>> __all__ == sorted(__all__)
True
"""

from __future__ import annotations

from shopperlens.models.btyd import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    customer_lifetime_value,
    days_to_next_purchase,
    next_purchase_date,
    select_transaction_model,
    summary_data,
)
from shopperlens.models.churn import ChurnModel, churn_metrics

__all__ = [
    "BetaGeoModel",
    "ChurnModel",
    "GammaGammaModel",
    "ParetoNBDModel",
    "churn_metrics",
    "customer_lifetime_value",
    "days_to_next_purchase",
    "next_purchase_date",
    "select_transaction_model",
    "summary_data",
]
