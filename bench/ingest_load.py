"""Load benchmark of the real-time service over loopback (bounded; stops by itself).

Fits a segment model on a small demo, starts ``shopperlens serve``'s app with uvicorn on
a free local port (SQLite store in a temporary folder), then prints:

- single ``/v1/track`` calls: throughput and p50/p95/p99 latency (sequential client)
- ``/v1/batch`` calls of 100 events from 4 concurrent clients, and of 500 events from 2
  (bodies are encoded before the clock starts): events/s and latency
- time from an order's sending (and from its acknowledgement) to its segment change
  arriving on ``/v1/stream``: p50/p95/p99

Every figure comes from the same run. Events are durable when acknowledged (SQLite
``synchronous=FULL``, WAL; PostgreSQL commits). Targets (2 cores, SQLite): >= 15,000
events/s through ``/v1/batch``, event to segment visible p99 < 50 ms.

Usage: ``python bench/ingest_load.py [--quick] [--pg postgresql://...]`` (``--pg``: the
same phases on PostgreSQL too, printed beside SQLite's).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

MAX_SECONDS = 120  # hard bound on each phase
SERVER = """
import sys, uvicorn
from shopperlens.service import create_app, ServiceSettings
app = create_app(ServiceSettings(model_dir=sys.argv[1], store_url=sys.argv[2],
                                 max_inflight=256))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="error")
"""


def fit_model(base: Path) -> Path:
    from shopperlens import demo
    from shopperlens.batch.segments import fit_segment_model
    from shopperlens.config import Settings
    from shopperlens.engines.duckdb import DuckDBEngine
    from shopperlens.features import compute_features
    from shopperlens.ingest import load_folder
    from shopperlens.schema import MODEL_FILE
    from shopperlens.timewindow import parse_cutoff

    demo.write(demo.generate(300, seed=1), base / "data")
    as_of = parse_cutoff("2025-12-30")
    with DuckDBEngine(threads=2) as engine:
        load_folder(engine, base / "data")
        features = compute_features(engine, as_of=as_of)
    model = fit_segment_model(features, settings=Settings(max_segments=4), as_of=as_of)
    (base / "out").mkdir()
    model.save(base / "out" / MODEL_FILE)
    return base / "out"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(model: Path, store_url: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(model), store_url, str(port)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the service did not start")


def event(i: int, prefix: str) -> dict[str, object]:
    kinds = ("Product Viewed", "Product Added", "Email Opened", "Page Viewed")
    msg: dict[str, object] = {
        "type": "track",
        "messageId": f"{prefix}-{i}",
        "userId": f"L{i % 500:04d}",
        "event": kinds[i % 4],
        "context": {"sessionId": f"s{i // 10}"},
    }
    if i % 10 == 0:
        msg["event"] = "Order Completed"
        msg["properties"] = {
            "order_id": f"{prefix}-o{i}",
            "channel": "online",
            "products": [{"price": 20.0 + i % 90, "quantity": 1, "category": "toys"}],
        }
    return msg


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def report(name: str, lat: list[float], events: int, wall: float) -> float:
    print(
        f"{name:<28} {events / wall:>9,.0f} events/s   p50 {pct(lat, 0.5):6.2f} ms   "
        f"p95 {pct(lat, 0.95):6.2f} ms   p99 {pct(lat, 0.99):6.2f} ms   ({len(lat)} calls)"
    )
    return events / wall


def single(url: str, n: int) -> None:
    lat: list[float] = []
    with httpx.Client(base_url=url) as client:
        for i in range(50):  # warm-up
            client.post("/v1/track", json=event(i, "warm"))
        t0 = time.perf_counter()
        for i in range(n):
            s = time.perf_counter()
            client.post("/v1/track", json=event(i, "single")).raise_for_status()
            lat.append(time.perf_counter() - s)
            if time.perf_counter() - t0 > MAX_SECONDS:
                break
        report("single track (1 client)", lat, len(lat), time.perf_counter() - t0)


def batches(url: str, n_batches: int, size: int = 100, clients: int = 4) -> float:
    lat: list[float] = []

    bodies = [
        json.dumps({"batch": [event(b * size + i, f"batch{size}") for i in range(size)]})
        for b in range(n_batches)
    ]

    def one(b: int, client: httpx.Client) -> None:
        body = bodies[b]
        s = time.perf_counter()
        client.post(
            "/v1/batch", content=body, headers={"Content-Type": "application/json"}
        ).raise_for_status()
        lat.append(time.perf_counter() - s)

    with httpx.Client(base_url=url, limits=httpx.Limits(max_connections=clients)) as client:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda b: one(b, client), range(n_batches)))
        return report(f"batch x{size} ({clients} clients)", lat, len(lat) * size,
                      time.perf_counter() - t0)


def visibility(url: str, n: int) -> float:
    """Ack -> change seen on the SSE stream, for orders of brand-new customers."""
    seen: dict[str, float] = {}
    ready = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(base_url=url, timeout=None) as client,
            client.stream("GET", "/v1/stream", params={"limit": n}) as response,
        ):
            ready.set()
            for line in response.iter_lines():
                if line.startswith("data: "):
                    seen.setdefault(json.loads(line[6:])["customer_id"], time.perf_counter())

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ready.wait(10)
    time.sleep(0.2)
    sent: dict[str, float] = {}
    acks: dict[str, float] = {}
    with httpx.Client(base_url=url) as client:
        for i in range(n):
            cid = f"V{i:04d}"
            msg = {**event(i * 10, "vis"), "userId": cid}
            sent[cid] = time.perf_counter()
            client.post("/v1/track", json=msg).raise_for_status()
            acks[cid] = time.perf_counter()
            time.sleep(0.01)
    listener.join(10)
    after_ack = [seen[c] - t for c, t in acks.items() if c in seen]
    after_send = [seen[c] - t for c, t in sent.items() if c in seen]
    print(
        f"{'ack -> change on SSE':<28} p50 {pct(after_ack, 0.5):6.2f} ms   p95 "
        f"{pct(after_ack, 0.95):6.2f} ms   p99 {pct(after_ack, 0.99):6.2f} ms   "
        f"({len(after_ack)}/{n} seen; negative = on the stream before the ack arrived)"
    )
    print(
        f"{'send -> change on SSE':<28} p50 {pct(after_send, 0.5):6.2f} ms   p95 "
        f"{pct(after_send, 0.95):6.2f} ms   p99 {pct(after_send, 0.99):6.2f} ms"
    )
    return pct(after_send, 0.99)


def phases(url: str, n_single: int, n_batches: int) -> tuple[float, float]:
    """Every phase against one running service; (batch events/s, visible p99 ms)."""
    single(url, n_single)
    rate = batches(url, n_batches)
    batches(url, n_batches // 5, size=500, clients=2)
    p99 = visibility(url, 200)
    counters = httpx.get(f"{url}/healthz").json()["counters"]
    print("counters", counters)
    return rate, p99


def bench_store(name: str, model: Path, store_url: str, n_single: int, n_batches: int
                ) -> tuple[float, float]:
    print(f"--- {name}")
    port = free_port()
    proc = start_server(model, store_url, port)
    try:
        return phases(f"http://127.0.0.1:{port}", n_single, n_batches)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls")
    parser.add_argument("--pg", help="also on this PostgreSQL database, best a dedicated one "
                        "(the service's tables in it are dropped first)")
    args = parser.parse_args()
    n_single, n_batches = (300, 30) if args.quick else (2000, 200)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        model = fit_model(Path(tmp))
        results["SQLite"] = bench_store("SQLite (WAL, synchronous=FULL)", model,
                                        f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                                        n_single, n_batches)
        if args.pg:
            reset_postgres(args.pg)
            results["PostgreSQL"] = bench_store("PostgreSQL", model, args.pg, n_single,
                                                n_batches)
    print("--- same run, 100-event batches from 4 clients; send -> segment on SSE")
    for name, (rate, p99) in results.items():
        print(f"{name:<11} {rate:>9,.0f} durable events/s   event -> segment visible p99 "
              f"{p99:6.2f} ms")


def reset_postgres(url: str) -> None:
    """Drop the service's tables, so each bench starts from an empty store."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        for table in tables:
            if table in SERVICE_TABLES:
                conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')


SERVICE_TABLES = {"events", "profiles", "links", "history", "counters", "outbox", "meta",
                  "audit_log"}


if __name__ == "__main__":
    main()
