from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopperlens import schema
from shopperlens.errors import MappingError
from shopperlens.ingest.mapping import parse_mappings, source_column


def test_parse_several_mappings() -> None:
    parsed = parse_mappings(["transactions.customer_id=CustomerID", "transactions.amount= Total "])
    assert parsed == {"transactions": {"customer_id": "CustomerID", "amount": "Total"}}
    assert source_column(parsed, "transactions", "amount") == "Total"
    assert source_column(parsed, "transactions", "order_id") == "order_id"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("customer_id=CustomerID", "is not of the form TABLE.COLUMN=SOURCE_COLUMN"),
        ("transactions.customer_id=", "is not of the form"),
        ("orders.customer_id=X", "names unknown table 'orders'"),
        ("transactions.client=X", "names unknown column 'client' of transactions"),
    ],
)
def test_bad_mappings_say_what_is_wrong(option: str, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        parse_mappings([option])


@given(
    table=st.sampled_from(sorted(schema.TABLES)),
    data=st.data(),
    source=st.text(
        st.characters(blacklist_characters="=", blacklist_categories=["Cs", "Cc", "Zs"]), min_size=1
    ),
)
def test_any_valid_mapping_round_trips(table: str, data: st.DataObject, source: str) -> None:
    column = data.draw(st.sampled_from(schema.TABLES[table].column_names))
    parsed = parse_mappings([f"{table}.{column}={source}"])
    assert source_column(parsed, table, column) == source.strip()
