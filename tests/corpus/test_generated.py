"""Hypothesis-generated small retail folders through the CLI: transactions, and maybe
customers (some refusing profiling, some who never bought) and events (maybe without
``anonymous_id``), at a cutoff or none. Few, small examples: each is a whole run."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from . import folders
from .cli import run
from .invariants import check_run

START = date(2023, 1, 1)
DAYS = 500
EVENTS = ("Page Viewed", "Product Viewed", "Product Added", "Checkout Started",
          "Order Completed", "Email Opened")

days = st.integers(0, DAYS)
amounts = st.one_of(st.just(0.0), st.floats(-40, 400).map(lambda a: round(a, 2)))


@st.composite
def retail_folder(draw: st.DrawFn) -> tuple[folders.Tables, list[str], str | None]:
    """(tables, customers who refuse profiling, cutoff or None)."""
    n = draw(st.integers(1, 12))
    ids = [f"K{i:03d}" for i in range(n)]
    rows = []
    for cid in ids:
        for k, day in enumerate(draw(st.lists(days, min_size=1, max_size=5))):
            stamp = START + timedelta(days=day)
            text = stamp.isoformat()
            if draw(st.booleans()):  # a date-time rather than a date
                text += f"T10:{k:02d}:00"
            rows.append({"customer_id": cid, "order_id": f"{cid}-{k}", "timestamp": text,
                         "amount": draw(amounts), "quantity": draw(st.integers(1, 3))})
    tables = {"transactions": pd.DataFrame(rows)}
    refused: list[str] = []
    if draw(st.booleans()):
        extra = [f"N{i:03d}" for i in range(draw(st.integers(0, 3)))]  # never bought
        consent = [draw(st.sampled_from([True, True, False])) for _ in ids + extra]
        refused = [c for c, ok in zip(ids + extra, consent, strict=True) if not ok]
        tables["customers"] = pd.DataFrame({
            "customer_id": ids + extra,
            "signup_date": [(START - timedelta(days=30)).isoformat()] * len(ids + extra),
            "country": draw(st.sampled_from(["GB", "FR", "DE"])),
            "consent_profiling": consent,
        })
    if draw(st.booleans()):
        events = [{"message_id": f"m{j}", "customer_id": draw(st.sampled_from(ids)),
                   "timestamp": f"{(START + timedelta(days=draw(days))).isoformat()}T12:00:00",
                   "event": draw(st.sampled_from(EVENTS))}
                  for j in range(draw(st.integers(1, 15)))]
        frame = pd.DataFrame(events)
        if draw(st.booleans()):  # the optional column, on some rows only
            frame["anonymous_id"] = [f"a{j}" if j % 3 else None for j in range(len(frame))]
        tables["events"] = frame
    cutoff = draw(st.one_of(st.none(), days.map(lambda d: (START + timedelta(days=d)).isoformat())))
    return tables, refused, cutoff


# No shrinking: each example is a whole run, and the failure message names the folder.
@settings(max_examples=5, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(retail_folder())
def test_generated_folder_keeps_the_invariants(
        case: tuple[folders.Tables, list[str], str | None]) -> None:
    tables, refused, cutoff = case
    with tempfile.TemporaryDirectory() as tmp:
        data = folders.write_folder(tables, Path(tmp) / "data")
        options = ["--cutoff", cutoff] if cutoff else []
        code, output = run(data, Path(tmp) / "out", *options)
        problems = check_run(code, output, Path(tmp) / "out", excluded=refused)
    described = {name: len(frame) for name, frame in tables.items()}
    assert not problems, f"{described}, cutoff {cutoff}:\n" + "\n".join(problems)
