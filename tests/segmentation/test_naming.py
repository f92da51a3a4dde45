from __future__ import annotations

import pandas as pd

from shopperlens.segmentation import name_segments


def test_lapsed_big_spenders():
    gaps = pd.DataFrame({"recency_days": [2.0], "monetary": [1.5], "avg_order_value": [1.8]})
    assert name_segments(gaps) == {0: "Lapsed big spenders"}


def test_noun_priority_and_adjective_order():
    gaps = pd.DataFrame(
        {"frequency": [1.0, -1.0, 0.0], "monetary": [0.9, 0.0, 0.0],
         "store_share": [1.2, 0.0, 0.0], "discount_share": [0.0, 1.4, 0.0],
         "app_share": [0.0, 0.0, 1.5], "cart_abandonment": [0.0, 0.0, 1.1]}
    )
    assert name_segments(gaps) == {
        0: "In-store high-value loyalists",
        1: "Discount-driven occasionals",
        2: "App cart-abandoners",
    }


def test_nothing_distinctive_is_mainstream():
    assert name_segments(pd.DataFrame({"monetary": [0.1]})) == {0: "Mainstream shoppers"}


def test_clashes_are_resolved_deterministically():
    gaps = pd.DataFrame(
        {"frequency": [1.0, 1.0, 1.0], "store_share": [1.0, 1.0, 1.0],
         "email_clicks": [0.0, 0.8, 0.0]}
    )
    names = name_segments(gaps)
    assert names == {
        0: "In-store loyalists",
        1: "In-store email-engaged loyalists",
        2: "In-store loyalists 2",
    }
    assert names == name_segments(gaps)


def test_unknown_features_get_plain_words():
    gaps = pd.DataFrame({"x0": [1.0], "x1": [-0.7]})
    assert name_segments(gaps) == {0: "High-x0 low-x1 shoppers"}


def test_a_word_whose_claim_fails_is_not_used_and_the_next_one_holds():
    gaps = pd.DataFrame({"recency_days": [-1.3], "frequency": [1.2], "monetary": [1.1]})
    assert name_segments(gaps) == {0: "Recent high-value loyalists"}
    no_recent = name_segments(gaps, verify=lambda s, f, d: f != "recency_days")
    assert no_recent == {0: "High-value loyalists"}
    # the noun gives way: not loyalists, so big spenders (its own word is used up)
    no_loyal = name_segments(gaps, verify=lambda s, f, d: f != "frequency")
    assert no_loyal == {0: "Recent big spenders"}


def test_nothing_that_holds_is_mainstream_and_names_stay_unique():
    gaps = pd.DataFrame({"recency_days": [-1.3, 1.4], "frequency": [1.2, -1.0]})
    assert name_segments(gaps, verify=lambda s, f, d: False) == {
        0: "Mainstream shoppers", 1: "Mainstream shoppers 2"}


def test_newcomers_must_also_be_recent():
    """One-off buyers of long ago have a short tenure too; they are not newcomers."""
    gaps = pd.DataFrame({"tenure_days": [-1.2], "recency_days": [0.1], "monetary": [-0.9]})
    assert "newcomers" in name_segments(gaps)[0]
    lapsed = name_segments(gaps, verify=lambda s, f, d: f != "recency_days")
    assert "newcomers" not in lapsed[0]


def test_quiet_browsing_and_email_have_words_of_their_own():
    # Customers who complete their carts, browse little or ignore e-mails are told
    # apart by that, not numbered "Mainstream shoppers 2".
    gaps = pd.DataFrame({"cart_abandonment": [-1.9, 0.0, 0.0], "sessions": [0.0, -0.8, 0.0],
                         "email_clicks": [0.0, 0.0, -0.7]})
    assert name_segments(gaps) == {
        0: "Cart-completing shoppers", 1: "Low-browsing shoppers", 2: "Email-quiet shoppers"}
