"""Buy-till-you-die models: BG/NBD, Pareto/NBD, Gamma-Gamma and customer lifetime value.

>>> sorted(__all__)[:2]
['BetaGeoModel', 'GammaGammaModel']
"""

from __future__ import annotations

from shopperlens.models.btyd._data import summary_data
from shopperlens.models.btyd.bg_nbd import BetaGeoModel
from shopperlens.models.btyd.clv import (
    customer_lifetime_value,
    days_to_next_purchase,
    next_purchase_date,
    select_transaction_model,
)
from shopperlens.models.btyd.gamma_gamma import GammaGammaModel
from shopperlens.models.btyd.pareto_nbd import ParetoNBDModel

__all__ = [
    "BetaGeoModel",
    "GammaGammaModel",
    "ParetoNBDModel",
    "customer_lifetime_value",
    "days_to_next_purchase",
    "next_purchase_date",
    "select_transaction_model",
    "summary_data",
]
