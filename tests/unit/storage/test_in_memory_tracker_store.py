"""The in-memory tracker store keeps the port's contract: latest session, all sessions,
all-or-nothing appends."""

from __future__ import annotations

from parley.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from parley.core.ports import TrackerStore
from parley.core.stores import InMemoryTrackerStore, session_start


def session(text: str) -> list[Event]:
    return [
        ActionExecuted(name="action_session_start"),
        SessionStarted(),
        ActionExecuted(name="action_listen"),
        UserUttered(text=text),
        BotUttered(text=f"re: {text}"),
    ]


def test_it_is_a_tracker_store() -> None:
    store: TrackerStore = InMemoryTrackerStore()
    assert store.retrieve("nobody") == []


def test_a_new_conversation_is_empty_and_does_not_exist() -> None:
    store = InMemoryTrackerStore()
    assert store.retrieve("ann") == []
    assert store.retrieve_all("ann") == []
    assert not store.exists("ann")
    assert store.sender_ids() == []


def test_an_empty_append_creates_nothing() -> None:
    store = InMemoryTrackerStore()
    store.append("ann", [])
    assert not store.exists("ann")


def test_retrieve_gives_the_latest_session_and_retrieve_all_every_session() -> None:
    store = InMemoryTrackerStore()
    first, second = session("one"), session("two")
    store.append("ann", first)
    store.append("ann", second[:2])
    store.append("ann", second[2:], model_id="model-2")
    assert store.retrieve("ann") == second
    assert store.retrieve_all("ann") == [*first, *second]


def test_a_conversation_without_session_start_is_one_session() -> None:
    store = InMemoryTrackerStore()
    events: list[Event] = [UserUttered(text="hi"), SlotSet(name="a", value=1)]
    store.append("ann", events)
    assert store.retrieve("ann") == events


def test_the_session_starts_at_the_last_session_start_of_an_append() -> None:
    store = InMemoryTrackerStore()
    events = [*session("one"), *session("two"), UserUttered(text="more")]
    store.append("ann", events)
    assert store.retrieve("ann") == events[5:]


def test_conversations_are_apart_and_listed_sorted() -> None:
    store = InMemoryTrackerStore()
    store.append("bob", session("b"))
    store.append("ann", session("a"))
    assert store.sender_ids() == ["ann", "bob"]
    assert store.exists("bob")
    assert [e.text for e in store.retrieve("ann") if isinstance(e, UserUttered)] == ["a"]


def test_retrieve_returns_a_copy() -> None:
    store = InMemoryTrackerStore()
    store.append("ann", session("a"))
    store.retrieve("ann").clear()
    assert len(store.retrieve("ann")) == 5


def test_session_start_finds_the_last_action_session_start() -> None:
    assert session_start([]) is None
    assert session_start([SessionStarted()]) is None
    events = [*session("a"), *session("b")]
    assert session_start(events) == 5
