"""load_folder's progress: the bytes of the files loaded, table by table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shopperlens.engines.duckdb import DuckDBEngine
from shopperlens.ingest import load_folder

TX = "customer_id,order_id,timestamp,amount\nc1,o1,2024-01-02,10\nc2,o2,2024-01-05,5\n"
CUSTOMERS = "customer_id,country\nc1,GB\nc2,FR\nc3,DE\n"
EVENTS = ("message_id,customer_id,timestamp,event\n"
          + "".join(f"m{i},c1,2024-01-0{1 + i % 9},Product Viewed\n" for i in range(40)))


def test_progress_counts_the_bytes_loaded_up_to_the_folders_size(
    engine: DuckDBEngine, write_folder: Callable[..., Path]
) -> None:
    folder = write_folder(transactions=TX, customers=CUSTOMERS, events=EVENTS)
    ticks: list[tuple[int, int]] = []
    load_folder(engine, folder, progress=lambda done, total: ticks.append((done, total)))
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert len(ticks) == 3  # one per table, the last once the events are cleaned too
    assert {total for _, total in ticks} == {size}
    done = [d for d, _ in ticks]
    assert done == sorted(set(done)) and done[0] > 0 and done[-1] == size
    # the tables in load order: customers, transactions, then events
    assert done[:2] == [(folder / "customers.csv").stat().st_size,
                        size - (folder / "events.csv").stat().st_size]
