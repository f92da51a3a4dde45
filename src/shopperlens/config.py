"""One settings object for a run, built at the edge (CLI, service, the run).

Every value can come from the environment with the ``SHOPPERLENS_`` prefix or a ``.env``
file; core modules never read this, they get explicit arguments.

=====================================  ==============================================
environment variable                   meaning
=====================================  ==============================================
``SHOPPERLENS_SEED``                   random seed of model fitting (default 0)
``SHOPPERLENS_MEMORY_LIMIT``           DuckDB memory limit (4GB); beyond it DuckDB spills to disk
``SHOPPERLENS_THREADS``                DuckDB threads (default: all cores)
``SHOPPERLENS_TEMP_DIR``               where DuckDB spills beyond the memory limit
``SHOPPERLENS_TABLES_ON_DISK``         keep DuckDB's tables compressed in a temporary database
                                       file (default true) instead of uncompressed in memory
``SHOPPERLENS_BLOCK_CUSTOMERS``        customers segmented, predicted and written at a time
                                       (1,000,000): memory is bounded by it, not by the data
``SHOPPERLENS_FIT_CUSTOMERS``          customers the models are fitted on, a seeded sample
                                       when there are more (1,000,000)
``SHOPPERLENS_MIN_SEGMENT_SHARE``      smallest segment allowed, share of customers (0.02)
``SHOPPERLENS_MAX_SEGMENTS``           most segments considered (10)
``SHOPPERLENS_SEGMENT_NUISANCE``       facets that vary inside segments without defining
                                       them, a JSON list such as ``["channel"]``: segments
                                       apart only on these are merged (default none)
``SHOPPERLENS_SEGMENT_DESCRIBE_ONLY``  facets that describe segments but stay out of the
                                       clustering, a JSON list (default none)
``SHOPPERLENS_ORDERS_HORIZON_DAYS``    horizon of expected orders (90)
``SHOPPERLENS_VALUE_HORIZON_DAYS``     horizon of expected lifetime value (365)
``SHOPPERLENS_CHURN_DAYS``             churned = no order within this many days of the cutoff (90)
``SHOPPERLENS_FORECAST_WEEKS``         weeks of demand forecasts; 0: no demand step (8)
``SHOPPERLENS_FORECAST_DAYS``          days of daily demand forecasts besides the weeks (14)
``SHOPPERLENS_PSEUDONYMISATION_KEY``   secret (16+ bytes) of the keyed hashes replacing e-mails,
                                       phones and loyalty ids; unset: a random key per run
``SHOPPERLENS_DEFAULT_COUNTRY``        country of phone numbers written without a prefix (GB)
=====================================  ==============================================
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings of a ShopperLens run."""

    model_config = SettingsConfigDict(env_prefix="SHOPPERLENS_", env_file=".env", extra="ignore")

    seed: int = 0
    # bounded by default, not 80% of RAM: the pandas and model steps need memory too
    memory_limit: str | None = "4GB"
    threads: int | None = Field(default=None, ge=1)
    temp_dir: str | None = None
    # compressed tables in a database file: several times less memory and spill
    tables_on_disk: bool = True
    # customers whose per-customer frames are held at once; models fit on at most
    # fit_customers of them (a seeded sample): memory bounded by these, not by the data
    block_customers: int = Field(default=1_000_000, ge=1)
    fit_customers: int = Field(default=1_000_000, ge=100)
    min_segment_share: float = Field(default=0.02, gt=0, lt=0.5)
    max_segments: int = Field(default=10, ge=2, le=30)
    # facets (shopperlens.segmentation.scaling.FACETS): lifecycle, value, price, range,
    # channel, browsing, engagement, interactions, ...
    segment_nuisance: tuple[str, ...] = ()
    segment_describe_only: tuple[str, ...] = ()
    orders_horizon_days: int = Field(default=90, ge=1)
    value_horizon_days: int = Field(default=365, ge=1)
    churn_days: int = Field(default=90, ge=1)
    # where `--previous` runs keep their model versions (default: OUT/models)
    model_registry: str | None = None
    # weeks of demand forecasts (0: no demand step)
    forecast_weeks: int = Field(default=8, ge=0, le=104)
    # days of daily forecasts besides the weekly ones (0: none)
    forecast_days: int = Field(default=14, ge=0, le=366)
    # ingestion keeps rows that repeat an earlier row exactly (quarantined by default)
    keep_duplicates: bool = False
    # a cutoff more days than this after the last transaction is refused
    # (shopperlens.timewindow.MAX_GAP_DAYS)
    max_cutoff_gap_days: int = Field(default=365, ge=0)
    pseudonymisation_key: SecretStr | None = None
    # the funnel of the journeys, in order: event names (shopperlens.journeys.DEFAULT_STEPS)
    # or the steps the events name in properties.step
    journey_steps: tuple[str, ...] = (
        "Product Viewed", "Product Added", "Checkout Started", "Payment Info Entered",
        "Order Completed")
    default_country: str = "GB"

    def key(self) -> str | None:
        """The pseudonymisation secret, or ``None`` when not configured."""
        return (
            None
            if self.pseudonymisation_key is None
            else self.pseudonymisation_key.get_secret_value()
        )
