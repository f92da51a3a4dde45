"""The optional offers table: loaded as it is (no customer in it), bad kinds quarantined."""

from __future__ import annotations

from pathlib import Path

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest import load_folder


def test_offers_load_and_a_bad_kind_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "transactions.csv").write_text(
        "customer_id,order_id,timestamp,amount\nc1,o1,2024-01-02,10.5\n")
    (tmp_path / "customers.csv").write_text("customer_id\nc1\n")
    (tmp_path / "offers.csv").write_text(
        "offer_id,kind,cost,eligibility\nten,discount,5,\nship,free_shipping,3,\"0,2\"\n"
        "odd,coupon,1,\n")
    with DuckDBEngine(threads=1) as engine:
        quality = load_folder(engine, tmp_path)
        kept = engine.rows("SELECT offer_id, kind, eligibility FROM offers ORDER BY offer_id")
        reasons = engine.rows("SELECT reason FROM rejected_offers")
    assert kept == [("ship", "free_shipping", "0,2"), ("ten", "discount", None)]
    assert quality["offers"].rows_rejected == 1
    assert reasons[0][0].startswith("kind out of range: coupon")
