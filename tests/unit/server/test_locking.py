"""Turns of one conversation run one after the other; turns of different conversations run
at the same time. A custom action that waits inside the (in-process) action server shows
which turns overlap."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from tests.support.fake_action_server import FakeActionServer, Request, reply
from tests.unit.server.helpers import AUTH, make_served

from parley.core.events import ActionExecuted
from parley.server.inline import LoopLockStore

WAIT_S = 10.0


class RecordingLockStore(LoopLockStore):
    """Counts who asked for each conversation's lock, before waiting for it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: Counter[str] = Counter()
        self._count = threading.Lock()

    @contextmanager
    def lock(self, sender_id: str) -> Iterator[None]:
        with self._count:
            self.asked[sender_id] += 1
        with super().lock(sender_id):
            yield


class Overlap:
    """A custom action that records how many of its runs are inside at once, per
    conversation and overall, and waits at a gate."""

    def __init__(self) -> None:
        self.inside: Counter[str] = Counter()
        self.most_inside: Counter[str] = Counter()
        self.most_overall = 0
        self.entries: list[str] = []
        self.gate = threading.Event()
        self.barrier: threading.Barrier | None = None
        self._guard = threading.Lock()

    def __call__(self, request: Request) -> dict[str, Any]:
        sender = request["sender_id"]
        with self._guard:
            self.entries.append(sender)
            self.inside[sender] += 1
            self.most_inside[sender] = max(self.most_inside[sender], self.inside[sender])
            self.most_overall = max(self.most_overall, sum(self.inside.values()))
        try:
            if self.barrier is not None:
                # Every conversation's turn must be here together, or this times out.
                self.barrier.wait()
            elif not self.gate.wait(WAIT_S):
                raise AssertionError("the test never opened the gate")
        finally:
            with self._guard:
                self.inside[sender] -= 1
        return reply(text=f"order {len(self.entries)} placed")


def execute(client: httpx.AsyncClient, sender: str) -> Any:
    return client.post(
        f"/conversations/{sender}/execute", params=AUTH, json={"name": "action_place_order"}
    )


async def wait_for(condition: Any, what: str) -> None:
    """Until ``condition()`` holds, failing after WAIT_S with ``what``."""
    with anyio.fail_after(WAIT_S):
        while not condition():
            await anyio.sleep(0.005)
    assert condition(), what


@pytest.fixture
def setup(model_a: Path) -> tuple[Any, Overlap, RecordingLockStore]:
    overlap = Overlap()
    locks = RecordingLockStore()
    served = make_served(
        actions=FakeActionServer({"action_place_order": overlap}), lock_store=locks
    )
    return served, overlap, locks


@pytest.mark.anyio
async def test_different_conversations_run_at_the_same_time(
    setup: tuple[Any, Overlap, RecordingLockStore], model_a: Path
) -> None:
    served, overlap, _ = setup
    overlap.barrier = threading.Barrier(3, timeout=WAIT_S)
    await served.bot.load(model_a)
    transport = httpx.ASGITransport(served.app, raise_app_exceptions=False)
    answers: dict[str, httpx.Response] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://parley") as client:

        async def run(sender: str) -> None:
            answers[sender] = await execute(client, sender)

        async with anyio.create_task_group() as tasks:
            for sender in ["a", "b", "c"]:
                tasks.start_soon(run, sender)

    assert {sender: r.status_code for sender, r in answers.items()} == {
        "a": 200,
        "b": 200,
        "c": 200,
    }, {sender: r.text for sender, r in answers.items()}
    assert overlap.most_overall == 3
    assert sorted(overlap.entries) == ["a", "b", "c"]


@pytest.mark.anyio
async def test_turns_of_one_conversation_run_one_after_the_other(
    setup: tuple[Any, Overlap, RecordingLockStore], model_a: Path
) -> None:
    served, overlap, locks = setup
    await served.bot.load(model_a)
    transport = httpx.ASGITransport(served.app, raise_app_exceptions=False)
    answers: list[httpx.Response] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://parley") as client:

        async def run() -> None:
            answers.append(await execute(client, "same"))

        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(run)
                tasks.start_soon(run)
                # One turn is inside the action and the other asked for the lock…
                await wait_for(
                    lambda: overlap.entries and locks.asked["same"] == 2,
                    "both turns should have started",
                )
                # …and stays out of the action while the first holds the conversation.
                # (A short look: enough for a turn that did not wait to get in.)
                with anyio.move_on_after(0.3):
                    while len(overlap.entries) < 2:
                        await anyio.sleep(0.005)
                assert overlap.entries == ["same"]
                # Another conversation is not held up meanwhile.
                other = await client.post(
                    "/webhooks/rest/webhook", json={"sender": "other", "message": "hi"}
                )
                assert other.status_code == 200
                overlap.gate.set()
        finally:
            overlap.gate.set()

    assert [r.status_code for r in answers] == [200, 200]
    assert overlap.most_inside["same"] == 1
    assert overlap.entries == ["same", "same"]
    # Each turn saw the other's events: both runs are in the one conversation, in order.
    events = served.store.retrieve_all("same")
    runs = [e for e in events if isinstance(e, ActionExecuted) and e.name == "action_place_order"]
    assert len(runs) == 2
    replies = sorted(
        m["text"] for r in answers for m in r.json()["messages"] if m["text"].startswith("order")
    )
    assert replies == ["order 1 placed", "order 2 placed"]
    # The second answer's tracker holds both orders: it ran after the first was stored.
    last = max(answers, key=lambda r: len(r.json()["tracker"]["events"]))
    names = [e.get("name") for e in last.json()["tracker"]["events"]]
    assert names.count("action_place_order") == 2
