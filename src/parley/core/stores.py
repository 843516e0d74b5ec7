"""In-memory implementations of the conversation ports: what the agent uses as a library
and what unit tests use. The durable ones (SQL, Redis) live in ``parley.storage`` and
``parley.cluster``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar

from parley.core.events import ActionExecuted, Event
from parley.core.tracker import ACTION_SESSION_START

L = TypeVar("L")


def session_start(events: Sequence[Event]) -> int | None:
    """The index of the last ``action_session_start`` in ``events``, where the latest
    session begins (as Rasa splits conversations into sessions); None when there is none."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, ActionExecuted) and event.name == ACTION_SESSION_START:
            return index
    return None


class InMemoryTrackerStore:
    """The :class:`~parley.core.ports.TrackerStore` in a dict: gone when the process ends."""

    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        # Where each conversation's latest session begins, so `retrieve` does not search.
        self._session_starts: dict[str, int] = {}
        self._guard = threading.Lock()

    def retrieve(self, sender_id: str) -> list[Event]:
        with self._guard:
            events = self._events.get(sender_id, ())
            return list(events[self._session_starts.get(sender_id, 0) :])

    def retrieve_all(self, sender_id: str) -> list[Event]:
        with self._guard:
            return list(self._events.get(sender_id, ()))

    def append(
        self, sender_id: str, events: Sequence[Event], *, model_id: str | None = None
    ) -> None:
        if not events:
            return
        start = session_start(events)
        with self._guard:
            stored = self._events.setdefault(sender_id, [])
            if start is not None:
                self._session_starts[sender_id] = len(stored) + start
            stored.extend(events)

    def exists(self, sender_id: str) -> bool:
        with self._guard:
            return sender_id in self._events

    def sender_ids(self) -> list[str]:
        with self._guard:
            return sorted(self._events)


class KeyedLocks(Generic[L]):
    """One lock per key, made by ``make`` on first use and dropped when nobody holds or
    waits for it, so that a long-running server keeps no lock per conversation ever seen.
    How a lock is taken is the caller's: a thread waits, a greenlet suspends."""

    def __init__(self, make: Callable[[], L]) -> None:
        self._make = make
        self._locks: dict[str, tuple[L, int]] = {}
        self._guard = threading.Lock()

    @contextmanager
    def claimed(self, key: str) -> Iterator[L]:
        """The lock of ``key``, counted as in use (held or waited for) for the block."""
        with self._guard:
            entry = self._locks.get(key)
            lock, users = entry if entry is not None else (self._make(), 0)
            self._locks[key] = (lock, users + 1)
        try:
            yield lock
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


class InMemoryLockStore:
    """One thread lock per conversation."""

    def __init__(self) -> None:
        self._locks = KeyedLocks(threading.Lock)

    @contextmanager
    def lock(self, sender_id: str) -> Iterator[None]:
        with self._locks.claimed(sender_id) as lock, lock:
            yield


class SystemClock:
    def now(self) -> float:
        return time.time()
