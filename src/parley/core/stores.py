"""In-memory implementations of the conversation ports: what the agent uses as a library
and what unit tests use. The durable ones (SQL, Redis) live in ``parley.storage`` and
``parley.cluster``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from parley.core.events import Event


class InMemoryTrackerStore:
    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        self._guard = threading.Lock()

    def retrieve(self, sender_id: str) -> list[Event]:
        with self._guard:
            return list(self._events.get(sender_id, ()))

    def append(self, sender_id: str, events: Sequence[Event]) -> None:
        with self._guard:
            self._events.setdefault(sender_id, []).extend(events)

    def sender_ids(self) -> list[str]:
        with self._guard:
            return sorted(self._events)


class InMemoryLockStore:
    """One lock per conversation, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[threading.Lock, int]] = {}
        self._guard = threading.Lock()

    @contextmanager
    def lock(self, sender_id: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(sender_id, (threading.Lock(), 0))
            self._locks[sender_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[sender_id]
                if users <= 1:
                    del self._locks[sender_id]
                else:
                    self._locks[sender_id] = (lock, users - 1)


class SystemClock:
    def now(self) -> float:
        return time.time()
