from __future__ import annotations

import pandas as pd

from shopperlens.segmentation import suggest_actions
from shopperlens.segmentation.actions import (
    CART,
    FALLBACK,
    LOYALTY,
    ONBOARD,
    PROMOTE,
    REACTIVATE,
    SERVICE,
    WIN_BACK,
)


def test_actions_follow_the_profile():
    gaps = pd.DataFrame(
        {"recency_days": [1.5, 1.0, -1.0, 0.0, 0.0, 0.0, 0.0],
         "monetary": [1.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0],
         "frequency": [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
         "discount_share": [0.0, 0.0, 0.0, 0.9, 0.0, 0.0, 0.0],
         "cart_abandonment": [0.0, 0.0, 0.0, 0.0, 0.8, 0.0, 0.0],
         "tenure_days": [0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0],
         "return_rate": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1]}
    )
    actions = suggest_actions(gaps)
    assert actions[0] == [WIN_BACK]
    assert actions[1] == [REACTIVATE]
    assert actions[2] == [LOYALTY]
    assert actions[3] == [PROMOTE]
    assert actions[4] == [CART]
    assert actions[5] == [ONBOARD]
    assert actions[6] == [FALLBACK]


def test_unhappy_returners_get_service_recovery():
    assert suggest_actions(pd.DataFrame({"return_rate": [1.0]}))[0] == [SERVICE]
    assert suggest_actions(pd.DataFrame({"mean_rating": [-1.0]}))[0] == [SERVICE]
