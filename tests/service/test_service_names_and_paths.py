"""The service shows the saved model's segment names, and finds its files from a relative
model path (issue #34)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from service_support import KEY, Fitted, TestClient, order

from shopperlens.artifacts import SavedSegmentModel
from shopperlens.realtime.assign import NO_PURCHASE_ID, NO_PURCHASE_NAME
from shopperlens.schema import MODEL_FILE
from shopperlens.service import ServiceSettings, create_app, hash_key
from shopperlens.service.settings import STORE_FILE
from shopperlens.service.store import open_store

Make = Callable[..., TestClient]


def test_segments_and_profiles_carry_the_saved_names(make_client: Make, fitted: Fitted) -> None:
    saved = SavedSegmentModel.load(fitted.out / MODEL_FILE).segment_model.names_
    assert all(not str(name).isdigit() for name in saved.values())  # real names to show
    client = make_client()
    client.post("/v1/batch", json={"batch": [order(f"m{i}", user=f"U{i:03d}") for i in range(12)]})
    listed = {s["segment_id"]: s["segment_name"] for s in client.get("/v1/segments").json()[
        "segments"]}
    assert listed == {**{int(i): str(n) for i, n in saved.items()},
                      NO_PURCHASE_ID: NO_PURCHASE_NAME}
    profile = client.get("/v1/profiles/U000").json()
    assert profile["segment_name"] == listed[profile["segment_id"]]
    assert not profile["segment_name"].isdigit()


def test_a_relative_model_path_keeps_the_store_beside_the_results(
    fitted: Fitted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(fitted.out, tmp_path / "demo" / "results")
    monkeypatch.chdir(tmp_path)
    settings = ServiceSettings(model_dir=Path("demo/results"),
                               write_key_hashes=[hash_key(KEY)])
    assert settings.model_dir == tmp_path / "demo" / "results"
    assert settings.resolved_store_url() == f"sqlite:///{tmp_path / 'demo' / STORE_FILE}"
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {KEY}"}) as client:
        assert client.get("/v1/segments").status_code == 200
    assert (tmp_path / "demo" / STORE_FILE).is_file()
    explicit = ServiceSettings(model_dir=Path("demo/results"), store_url="sqlite:///x.db")
    assert explicit.resolved_store_url() == "sqlite:///x.db"  # --store says otherwise
    # ... and a relative --store (the README's sqlite:///service.sqlite3) is the working
    # directory's, never the filesystem root's
    open_store(explicit.resolved_store_url()).close()
    assert (tmp_path / "x.db").is_file()
