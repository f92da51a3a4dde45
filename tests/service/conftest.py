from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from service_support import KEY, Fitted, TestClient

from shopperlens import demo
from shopperlens.batch.segments import assign_segments, fit_segment_model
from shopperlens.config import Settings
from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.features import compute_features
from shopperlens.ingest import load_folder
from shopperlens.schema import MODEL_FILE
from shopperlens.service import ServiceSettings, create_app, hash_key
from shopperlens.service.store import MemoryStore, SQLiteStore, Store
from shopperlens.timewindow import parse_cutoff

PG_URL = os.environ.get("SHOPPERLENS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Fitted:
    """The batch pipeline's feature and segmentation stages on a small demo (300 customers).

    These are the functions the run's steps call; its prediction stage is left out
    because it takes minutes and the service does not use it.
    """
    base = tmp_path_factory.mktemp("fitted")
    data = demo.generate(300, seed=11)
    demo.write(data, base / "data")
    as_of = parse_cutoff("2025-12-15")
    with DuckDBEngine(threads=2) as engine:
        load_folder(engine, base / "data")
        features = compute_features(engine, as_of=as_of)
    model = fit_segment_model(features, settings=Settings(max_segments=4), as_of=as_of)
    segments, _ = assign_segments(model, features)
    (base / "out").mkdir()
    model.save(base / "out" / MODEL_FILE)
    return Fitted(data, base / "out", features, segments.set_index("customer_id"), as_of)


@pytest.fixture
def make_client(fitted: Fitted) -> Iterator[Callable[..., TestClient]]:
    """A TestClient on a fresh app: memory store, the fitted model, clock at the as-of."""
    clients: list[TestClient] = []

    def make(store: Store | None = None, **settings: Any) -> TestClient:
        extra = settings.pop("_app", {})
        options: dict[str, Any] = {"model_dir": fitted.out, "write_key_hashes": [hash_key(KEY)]}
        options.update(settings)
        app = create_app(
            ServiceSettings(**options),
            store=store or MemoryStore(),
            clock=lambda: fitted.as_of,
            **extra,
        )
        client = TestClient(app, headers={"Authorization": f"Bearer {KEY}"})
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _postgres_admin(service_absent: Callable[[str], NoReturn]) -> Any:
    try:
        import psycopg

        return psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        service_absent(f"no PostgreSQL server at SHOPPERLENS_TEST_PG={PG_URL} ({exc})")


@pytest.fixture(scope="session")
def postgres_url(service_absent: Callable[[str], NoReturn]) -> Iterator[str]:
    """A uniquely named database, created for the session and dropped after it."""
    admin = _postgres_admin(service_absent)
    name = f"shopperlens_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each durable store, empty."""
    if request.param == "sqlite":
        st: Store = SQLiteStore(tmp_path / "store.sqlite3")
    else:
        from shopperlens.service.store.postgres import PostgresStore

        url = request.getfixturevalue("postgres_url")
        st = PostgresStore(url)
        with st.transaction() as tx:  # empty tables between tests
            tx._run(
                "TRUNCATE events, profiles, links, history, counters, outbox, meta, "  # type: ignore[attr-defined]
                "audit_log "
                "RESTART IDENTITY"
            )
    yield st
    st.close()


