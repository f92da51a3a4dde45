"""GET /v1/profiles/{id}/recommendations and /next-best-offer: live events move them;
consent holds; a model without a recommender says so."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import joblib
import pandas as pd
import pytest
from service_support import Fitted, TestClient

from shopperlens import schema as s
from shopperlens.recommend import ItemKNNRecommender
from shopperlens.recommend.live import LiveRecommender
from shopperlens.recommend.offers import default_offers
from shopperlens.timewindow import epoch_days


@pytest.fixture(scope="module")
def run_dir(fitted: Fitted, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fitted segment model beside a recommender fitted on the same demo."""
    folder = tmp_path_factory.mktemp("with-recommender")
    shutil.copy(fitted.out / s.MODEL_FILE, folder / s.MODEL_FILE)
    lines = fitted.data.tables["transactions"]
    lines = lines[(lines["amount"] > 0) & (lines["timestamp"] < fitted.naive_as_of)]
    lines = lines.assign(t=(lines["timestamp"] - pd.Timestamp(0)).dt.total_seconds() / 86400)
    labels = fitted.segments["segment_id"].to_dict()
    as_of = epoch_days(fitted.as_of)
    model = ItemKNNRecommender().fit(lines, as_of=as_of, segments=labels)
    names = {sid: f"segment {sid}" for sid in set(labels.values())}
    joblib.dump(LiveRecommender(model, as_of, names, default_offers(names)),
                folder / s.RECOMMENDER_FILE)
    return folder


def _buyer(fitted: Fitted) -> str:
    lines = fitted.data.tables["transactions"]
    return str(lines.loc[lines["timestamp"] < fitted.naive_as_of, "customer_id"].iloc[0])


def _identify(client: TestClient, cid: str, **traits: object) -> None:
    answer = client.post("/v1/identify", json={"userId": cid, "traits": traits,
                                               "messageId": f"id-{cid}"})
    assert answer.status_code == 200, answer.text


def test_a_product_viewed_moves_the_list(make_client: Callable[..., TestClient],
                                         fitted: Fitted, run_dir: Path) -> None:
    client = make_client(model_dir=run_dir)
    cid = _buyer(fitted)
    _identify(client, cid)
    before = client.get(f"/v1/profiles/{cid}/recommendations").json()["items"]
    assert before and all(item["reason"] for item in before)
    assert [item["rank"] for item in before] == list(range(1, len(before) + 1))
    model = joblib.load(run_dir / s.RECOMMENDER_FILE).model
    shown = {i["product_id"] for i in before}
    viewed = next(str(p) for p in model.items_[model.popularity_.argsort()[::-1]]
                  if str(p) not in shown)
    answer = client.post("/v1/track", json={"userId": cid, "event": "Product Viewed",
                                            "messageId": "view-1",
                                            "properties": {"product_id": viewed}})
    assert answer.status_code == 200, answer.text
    after = client.get(f"/v1/profiles/{cid}/recommendations").json()["items"]
    assert [i["product_id"] for i in after] != [i["product_id"] for i in before]
    assert any(i["reason"] == f"often bought with {viewed}" for i in after)


def test_next_best_offer_respects_marketing_consent(make_client: Callable[..., TestClient],
                                                    fitted: Fitted, run_dir: Path) -> None:
    client = make_client(model_dir=run_dir)
    cid = _buyer(fitted)
    _identify(client, cid, consent_marketing=False)
    offer = client.get(f"/v1/profiles/{cid}/next-best-offer").json()
    assert offer["offer_id"] is None and offer["reason"] == "no marketing consent"


def test_no_profiling_consent_gets_no_personal_list(make_client: Callable[..., TestClient],
                                                    fitted: Fitted, run_dir: Path) -> None:
    client = make_client(model_dir=run_dir)
    cid = _buyer(fitted)
    _identify(client, cid, consent_profiling=False)
    items = client.get(f"/v1/profiles/{cid}/recommendations").json()["items"]
    assert items and {i["reason"] for i in items} == {"popular with customers lately"}


def test_unknown_customer_and_missing_recommender(make_client: Callable[..., TestClient],
                                                  fitted: Fitted, run_dir: Path) -> None:
    assert make_client(model_dir=run_dir).get(
        "/v1/profiles/nobody/recommendations").status_code == 404
    bare = make_client()  # the fitted model's folder has no recommender
    cid = _buyer(fitted)
    _identify(bare, cid)
    answer = bare.get(f"/v1/profiles/{cid}/next-best-offer")
    assert answer.status_code == 422 and answer.json()["reason"] == "no_recommender"
