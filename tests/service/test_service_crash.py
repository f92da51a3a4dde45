"""Crash test: kill -9 the server under load, restart, resend what was not acknowledged.

Every acknowledged event must be stored exactly once, and profile counts must equal the
number of distinct events.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

SERVER = """
import sys, uvicorn
from shopperlens.service import create_app, ServiceSettings
app = create_app(ServiceSettings(store_url=sys.argv[1]))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="error")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(store: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, f"sqlite:///{store}", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start")


def message(i: int) -> dict[str, object]:
    return {
        "type": "track",
        "messageId": f"crash-{i}",
        "userId": f"C{i % 7}",
        "event": "Email Opened",
        "timestamp": "2025-06-01T00:00:00Z",
    }


def send(url: str, msgs: list[dict[str, object]], acked: set[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=5) as client:
        i = 0
        while i < len(msgs) and not stop.is_set():
            chunk = msgs[i : i + (1 if i % 3 else 20)]  # singles and batches
            try:
                if len(chunk) == 1:
                    ok = client.post("/v1/track", json=chunk[0]).status_code == 200
                else:
                    ok = client.post("/v1/batch", json={"batch": chunk}).status_code == 200
            except httpx.HTTPError:
                return  # the server died mid-call: not acknowledged
            if ok:
                acked.update(str(m["messageId"]) for m in chunk)
            i += len(chunk)


@pytest.mark.slow  # ~30 s: a real server process, killed and restarted
def test_kill_9_loses_no_acknowledged_event(tmp_path: Path) -> None:
    store, port = tmp_path / "crash.sqlite3", free_port()
    url = f"http://127.0.0.1:{port}"
    msgs = [message(i) for i in range(12000)]
    acked: set[str] = set()
    proc = start(store, port)
    stop = threading.Event()
    sender = threading.Thread(target=send, args=(url, msgs, acked, stop))
    sender.start()
    time.sleep(0.7)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    sender.join()
    assert 0 < len(acked) < len(msgs), "the kill must land mid-stream"
    proc = start(store, port)
    try:
        rest = [m for m in msgs if m["messageId"] not in acked]
        stop.clear()
        send(url, rest, acked, stop)
        assert len(acked) == len(msgs)
        with httpx.Client(base_url=url, timeout=5) as client:
            counters = client.get("/healthz").json()["counters"]
            opens = {
                f"C{c}": client.get(f"/v1/profiles/C{c}").json()["features"]["email_opens"]
                for c in range(7)
            }
    finally:
        proc.kill()
        proc.wait()
    assert counters["stored"] == len(msgs)
    assert (
        counters["received"] == counters["stored"] + counters["duplicates"] + counters["rejected"]
    )
    expected = Counter(str(m["userId"]) for m in msgs)
    assert opens == dict(expected)
