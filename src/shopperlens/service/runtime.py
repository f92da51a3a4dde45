"""The running service's shared parts: the current model, the change hub, the limiter.

:class:`Runtime` is built once by :func:`~shopperlens.service.app.create_app` and lives
on ``app.state.runtime``; :mod:`~shopperlens.service.deps` hands its parts to routes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from shopperlens.artifacts import SavedSegmentModel
from shopperlens.realtime import SegmentAssigner
from shopperlens.schema import MODEL_FILE, RUN_FILE
from shopperlens.service.errors import Overloaded
from shopperlens.service.groupcommit import GroupCommit
from shopperlens.service.settings import ServiceSettings
from shopperlens.service.store.base import Change, Store

Clock = Callable[[], datetime]
RECENT_MOVES = 50


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class LoadedModel:
    """A segment model ready to assign, with the version stamped on history rows."""

    assigner: SegmentAssigner | None
    version: str

    @classmethod
    def load(cls, model_dir: Path | None) -> LoadedModel:
        """Load ``model_dir`` (``None``: no model, profiles without segments)."""
        if model_dir is None:
            return cls(None, "none")
        saved = SavedSegmentModel.load(model_dir)
        path = Path(model_dir) / MODEL_FILE if Path(model_dir).is_dir() else Path(model_dir)
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        registered = _registry_version(path.parent)
        return cls(SegmentAssigner(saved), f"v{registered}-{version}" if registered else version)

    def names(self) -> dict[int, str]:
        return self.assigner.names if self.assigner is not None else {}


def _registry_version(folder: Path) -> int | None:
    """The model registry's version of a run's model (``run.json``'s ``learning``), or
    of a registry folder (``metrics.json``); ``None`` for a run that had no predecessor."""
    for name, keys in ((RUN_FILE, ("learning", "model_version")), ("metrics.json", ("version",))):
        try:
            found: Any = json.loads((folder / name).read_text(encoding="utf-8"))
            for key in keys:
                found = found[key]
            return int(found)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


class Hub:
    """Fan-out of segment changes to Server-Sent-Event subscribers (thread-safe publish)."""

    def __init__(self) -> None:
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Change]]] = set()
        self._lock = threading.Lock()
        self.recent: deque[Change] = deque(maxlen=RECENT_MOVES)  # for the live page

    def subscribe(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue[Change]]:
        sub = (asyncio.get_running_loop(), asyncio.Queue[Change](maxsize=10_000))
        with self._lock:
            self._subscribers.add(sub)
        return sub

    def latest(self) -> list[Change]:
        """The latest changes published, oldest first."""
        with self._lock:
            return list(self.recent)

    def unsubscribe(self, sub: tuple[asyncio.AbstractEventLoop, asyncio.Queue[Change]]) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def publish(self, changes: list[Change]) -> None:
        """Called from worker threads after a commit; never blocks the writer."""
        if not changes:
            return
        with self._lock:
            self.recent.extend(changes)
            subs = list(self._subscribers)
        for loop, queue in subs:
            for change in changes:
                try:
                    loop.call_soon_threadsafe(_offer, queue, change)
                except RuntimeError:  # the subscriber's loop is closed
                    self.unsubscribe((loop, queue))


def _offer(queue: asyncio.Queue[Change], change: Change) -> None:
    if not queue.full():  # a stalled client loses live changes; it can resume by id
        queue.put_nowait(change)


class Limiter:
    """At most ``limit`` ingestion calls in flight; the next one gets 429 at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.inflight = 0
        self._lock = threading.Lock()

    def __enter__(self) -> Limiter:
        with self._lock:
            if self.inflight >= self.limit:
                raise Overloaded(
                    f"{self.inflight} calls in flight (limit {self.limit}); retry after 1 s."
                )
            self.inflight += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        with self._lock:
            self.inflight -= 1


@dataclass
class Runtime:
    """Everything the routes share while the service runs."""

    settings: ServiceSettings
    store: Store
    model: LoadedModel
    clock: Clock = utc_now
    hub: Hub = field(default_factory=Hub)
    limiter: Limiter = field(default_factory=lambda: Limiter(64))
    model_lock: threading.Lock = field(default_factory=threading.Lock)
    requests: dict[str, int] = field(default_factory=dict)
    wakeup: threading.Event = field(default_factory=threading.Event)
    subject_hasher: Callable[[str], str] | None = None  # audit subjects (see service.rights)
    seeded: int | None = None  # customers seeded from the run's outputs at start
    committer: GroupCommit = field(default_factory=GroupCommit)  # ingestion's commits
