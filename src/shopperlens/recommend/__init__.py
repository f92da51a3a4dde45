"""Recommendations and the next best offer, from order lines, views and segments.

Pure: frames in, frames out. :class:`ItemKNNRecommender` ranks products per customer;
:mod:`~shopperlens.recommend.offers` picks each customer's one offer.
"""
from __future__ import annotations

from shopperlens.recommend.model import COLUMNS, ItemKNNRecommender

__all__ = ["COLUMNS", "ItemKNNRecommender"]
