"""Running the synchronous engine on the event loop.

A turn is a millisecond of Python: in a worker thread it would fight the event loop for the
GIL (each hand-over waits up to the interpreter's switch interval), which halved the turns a
server could answer. So a turn runs on the loop's own thread, in a greenlet
(SQLAlchemy's ``greenlet_spawn``), and everything in it that waits — a conversation's lock,
the action server, a database across the network — suspends that greenlet with ``await_``
and lets the loop serve other requests meanwhile. The engine stays synchronous and knows
nothing of this: it sees the ports of :mod:`parley.core.ports`, implemented here over
their async or thread-bound counterparts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar, runtime_checkable

import anyio.to_thread
from sqlalchemy.util.concurrency import await_, greenlet_spawn

from parley.core.events import Event
from parley.core.ports import ActionClient, TrackerStore
from parley.core.stores import KeyedLocks

T = TypeVar("T")


async def run_inline(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` on this thread, in a greenlet whose waits let the loop go on."""
    return await greenlet_spawn(work, *args)


class LoopLockStore:
    """One asyncio lock per conversation, taken from inside a turn's greenlet: a turn
    waiting for its conversation suspends instead of blocking the loop (a thread lock
    would block the only thread, and with it the turn holding the lock)."""

    def __init__(self) -> None:
        self._locks = KeyedLocks(asyncio.Lock)

    @contextmanager
    def lock(self, sender_id: str) -> Iterator[None]:
        with self._locks.claimed(sender_id) as lock:
            await_(lock.acquire())
            try:
                yield
            finally:
                lock.release()


@runtime_checkable
class AsyncActionClient(Protocol):
    async def run_async(self, payload: dict[str, Any]) -> dict[str, Any]: ...


class LoopActionClient:
    """The action client a turn on the loop uses: an action server client that can wait
    asynchronously (:class:`~parley.clients.action_server.HttpActionClient`) is awaited; any
    other runs in a worker thread, so a slow one never stalls the loop."""

    def __init__(self, inner: ActionClient) -> None:
        self.inner = inner

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        inner = self.inner
        if isinstance(inner, AsyncActionClient):
            return await_(inner.run_async(payload))
        return await_(anyio.to_thread.run_sync(inner.run, payload))


class ThreadedTrackerStore:
    """A tracker store whose calls wait on the network (PostgreSQL), called from worker
    threads: a slow or unreachable database then holds the turn, not the loop."""

    def __init__(self, inner: TrackerStore) -> None:
        self.inner = inner

    def retrieve(self, sender_id: str) -> list[Event]:
        return await_(anyio.to_thread.run_sync(self.inner.retrieve, sender_id))

    def retrieve_all(self, sender_id: str) -> list[Event]:
        return await_(anyio.to_thread.run_sync(self.inner.retrieve_all, sender_id))

    def append(
        self, sender_id: str, events: Sequence[Event], *, model_id: str | None = None
    ) -> None:
        def append() -> None:
            self.inner.append(sender_id, events, model_id=model_id)

        await_(anyio.to_thread.run_sync(append))

    def exists(self, sender_id: str) -> bool:
        return await_(anyio.to_thread.run_sync(self.inner.exists, sender_id))

    def sender_ids(self) -> list[str]:
        return await_(anyio.to_thread.run_sync(self.inner.sender_ids))
