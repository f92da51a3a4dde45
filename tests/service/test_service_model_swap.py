"""A new model version swapped in while events keep coming: no event lost (issue #31)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from service_support import Fitted, order

from shopperlens.artifacts import SavedSegmentModel
from shopperlens.schema import MODEL_FILE
from shopperlens.segmentation import renumber
from shopperlens.service.runtime import LoadedModel

SENDERS, BATCHES, PER_BATCH = 3, 15, 4


def _second_version(fitted: Fitted, folder: Path) -> Path:
    """The fitted model with its segment ids turned round: every buyer changes segment."""
    model = SavedSegmentModel.load(fitted.out)
    ids = [int(i) for i in model.segment_model.segment_ids_]
    model.segment_model = renumber(model.segment_model, dict(zip(ids, ids[::-1], strict=True)))
    folder.mkdir()
    model.save(folder / MODEL_FILE)
    return folder


@pytest.mark.slow  # threads and five swaps: seconds on a busy machine
def test_swapping_models_under_load_loses_no_event(make_client: Any, fitted: Fitted,
                                                   tmp_path: Path) -> None:
    client = make_client()
    versions = [str(_second_version(fitted, tmp_path / "v2")), str(fitted.out)]
    failures: list[int] = []

    def send(sender: int) -> None:
        for b in range(BATCHES):
            batch = [order(f"s{sender}-{b}-{i}", user=f"U{sender}-{i}") for i in range(PER_BATCH)]
            answer = client.post("/v1/batch", json={"batch": batch})
            if answer.status_code != 200:
                failures.append(answer.status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
    for thread in threads:
        thread.start()
    swapped = [client.post("/v1/models", json={"path": path}).json()["model_version"]
               for path in versions * 2]
    for thread in threads:
        thread.join()
    assert failures == []
    counters = client.get("/healthz").json()["counters"]
    assert counters.get("stored", 0) == SENDERS * BATCHES * PER_BATCH
    assert len(set(swapped)) == 2  # two versions, each loaded twice
    store = client.app.state.runtime.store  # type: ignore[attr-defined]
    history = store.history_since(0, limit=10_000)
    assert history and all(change.model_version in swapped for change in history)
    # after the last swap every customer is in the segment the last model gives
    final = client.post("/v1/models", json={"path": versions[-1]}).json()
    assert final["changed"] == 0 and final["reassigned"] == SENDERS * PER_BATCH


def test_the_version_names_the_registry_version_when_the_run_has_one(fitted: Fitted,
                                                                     tmp_path: Path) -> None:
    plain = LoadedModel.load(fitted.out).version
    (tmp_path / MODEL_FILE).write_bytes((fitted.out / MODEL_FILE).read_bytes())
    (tmp_path / "run.json").write_text('{"learning": {"model_version": 3}}')
    assert LoadedModel.load(tmp_path).version == f"v3-{plain}"
