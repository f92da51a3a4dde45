"""Demand and price: weekly forecasts per category and segment, own-price elasticities,
bounded price suggestions. A pure core: frames and arrays in, frames and arrays out."""

from __future__ import annotations

from shopperlens.demand.forecast import DemandForecaster, library_missing

__all__ = ["DemandForecaster", "library_missing"]
