"""In-memory implementations of the conversation ports: what the agent uses as a library
and what unit tests use. The durable ones (SQL, Redis) live in ``parley.storage`` and
``parley.cluster``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from parley.core.events import ActionExecuted, Event
from parley.core.tracker import ACTION_SESSION_START


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
