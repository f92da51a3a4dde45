"""The customers the models are fitted on, and who of them may be profiled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from shopperlens import schema as s
from shopperlens.config import Settings
from shopperlens.engines.blocks import EVERYONE, Block, in_sample, sample_customers
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import FEATURES_TABLE, add_text_features, fetch_features, text_scores
from shopperlens.privacy.consent import profiling_refused_sql, without


@dataclass
class FitSet:
    """The customers the models are fitted on: everyone, or a seeded sample of them."""

    features: pd.DataFrame
    profiled: pd.DataFrame  # those of them who may be profiled
    where: str  # SQL selecting their rows
    block: Block | None  # the one block they are, when everyone fits in one block

    def add_texts(self, engine: DuckDBEngine, as_of: datetime) -> None:
        """Join the text features, once :func:`score_texts_table` is done."""
        self.features = with_texts(engine, self.features, self.where, as_of)
        self.profiled = profiled(engine, self.features)


def fit_set(
    engine: DuckDBEngine, as_of: datetime, settings: Settings, blocks: list[Block]
) -> FitSet:
    """Everyone, or ``settings.fit_customers`` of them drawn with ``settings.seed``."""
    sample = sample_customers(engine, FEATURES_TABLE, settings.fit_customers, settings.seed)
    where = EVERYONE.where() if sample is None else in_sample(engine, sample)
    features = fetch_features(engine, where=where)  # text features come later (add_texts)
    block = blocks[0] if sample is None and len(blocks) == 1 else None
    return FitSet(features, profiled(engine, features), where, block)


def with_texts(engine: DuckDBEngine, features: pd.DataFrame, where: str,
               as_of: datetime) -> pd.DataFrame:
    """``features`` with the text features of the customers SQL ``where`` selects."""
    return add_text_features(features, text_scores(engine, where), as_of)


def profiled(engine: DuckDBEngine, features: pd.DataFrame) -> pd.DataFrame:
    """Features of the customers who may be profiled (GDPR Art. 21/22), by
    :mod:`shopperlens.privacy.consent`'s one rule; no copy when nobody refused."""
    if engine.has_table(s.CUSTOMERS.name) and s.CONSENT_PROFILING in engine.columns(
        s.CUSTOMERS.name
    ):
        return without(features, engine.fetch_df(profiling_refused_sql())[s.CUSTOMER_ID])
    return features
