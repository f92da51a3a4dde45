"""Settings of the real-time service (pydantic-settings, ``SHOPPERLENS_SERVICE_`` prefix).

=============================================  ===========================================
environment variable                           meaning
=============================================  ===========================================
``SHOPPERLENS_SERVICE_MODEL_DIR``              output folder of ``shopperlens run``
                                               (relative: to the working directory)
``SHOPPERLENS_SERVICE_STORE_URL``              ``sqlite:///FILE`` (relative to the working
                                               directory; ``sqlite:////ABS`` absolute;
                                               default: beside the model folder),
                                               ``postgresql://...``
``SHOPPERLENS_SERVICE_WRITE_KEY_HASHES``       JSON list of SHA-256 hex digests of the
                                               write keys (empty: no authentication)
``SHOPPERLENS_SERVICE_MAX_EVENT_BYTES``        largest event (32768)
``SHOPPERLENS_SERVICE_MAX_BATCH_BYTES``        largest batch body (512000)
``SHOPPERLENS_SERVICE_MAX_INFLIGHT``           concurrent ingestion calls before 429 (64)
``SHOPPERLENS_SERVICE_SQLITE_SYNCHRONOUS``     FULL (default) or NORMAL
``SHOPPERLENS_SERVICE_WEBHOOK_URLS``           JSON list of URLs told of segment entry/exit
``SHOPPERLENS_SERVICE_WEBHOOK_SECRET``         HMAC-SHA256 key signing webhook bodies
``SHOPPERLENS_SERVICE_WEBHOOK_MAX_ATTEMPTS``   attempts before a delivery is kept as failed
``SHOPPERLENS_SERVICE_WEBHOOK_BACKOFF_S``      first retry delay, doubled per attempt (1.0)
``SHOPPERLENS_SERVICE_RETENTION_DAYS``         stored events received more than this many
                                               days ago are deleted (unset: kept)
``SHOPPERLENS_SERVICE_RETENTION_INTERVAL_S``   how often retention runs (3600; also at start)
``SHOPPERLENS_PSEUDONYMISATION_KEY``           key of the audit log's customer hashes, the
                                               one of the batch run (unset: a random key
                                               kept in the store)
=============================================  ===========================================
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

STORE_FILE = "service.sqlite3"


def hash_key(key: str) -> str:
    """SHA-256 hex digest of a write key (keys are long random tokens, so no salt/KDF).

    >>> hash_key("abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ServiceSettings(BaseSettings):
    """Settings of ``shopperlens serve``."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPPERLENS_SERVICE_", env_file=".env", extra="ignore"
    )

    model_dir: Path | None = None
    store_url: str | None = None
    write_key_hashes: list[str] = Field(default_factory=list)
    max_event_bytes: int = Field(default=32 * 1024, ge=256)
    max_batch_bytes: int = Field(default=500 * 1024, ge=1024)
    max_inflight: int = Field(default=64, ge=0)
    sqlite_synchronous: str = "FULL"
    webhook_urls: list[str] = Field(default_factory=list)
    webhook_secret: str = ""
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_s: float = Field(default=1.0, gt=0)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    retention_days: int | None = Field(default=None, ge=1)
    retention_interval_s: float = Field(default=3600.0, gt=0)
    # the batch run's key (SHOPPERLENS_PSEUDONYMISATION_KEY), so audit subjects and
    # erasure receipts name a person by the same hash
    pseudonymisation_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "pseudonymisation_key",
            "shopperlens_service_pseudonymisation_key",
            "shopperlens_pseudonymisation_key",
        ),
    )

    @field_validator("model_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        """A relative model folder is the working directory's, resolved once at start (a
        later chdir, or a URL built from it, must not move it to the filesystem root)."""
        return None if value is None else value.expanduser().absolute()

    def resolved_store_url(self) -> str:
        """The store URL, defaulting to a SQLite file beside the model folder (the run's
        output folder's parent, where ``forget`` looks for it too)."""
        if self.store_url:
            return self.store_url
        base = self.model_dir.parent if self.model_dir is not None else Path.cwd()
        return f"sqlite:///{base.absolute() / STORE_FILE}"
