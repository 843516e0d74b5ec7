"""The tracker's state comes from its events alone, applied as Rasa's
``DialogueStateTracker`` applies them, and ``to_rasa()`` is Rasa's ``current_state`` JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from parley.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserFeaturization,
    UserUtteranceReverted,
    UserUttered,
    event_from_rasa,
)
from parley.core.tracker import ACTION_LISTEN, ACTION_SESSION_START, LoopState, Tracker

INITIAL = {"city": None, "count": 0, "confirmed": False, "tags": ["a"], "requested_slot": None}

CURRENT_STATE_KEYS = {
    "sender_id",
    "slots",
    "latest_message",
    "latest_event_time",
    "followup_action",
    "paused",
    "events",
    "latest_input_channel",
    "active_loop",
    "latest_action",
    "latest_action_name",
}
"""The keys of Rasa's ``DialogueStateTracker.current_state()``."""

EMPTY_PARSE_DATA: dict[str, Any] = {
    "intent": {},
    "entities": [],
    "text": None,
    "message_id": None,
    "metadata": {},
}


def user(
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    *,
    channel: str | None = "rest",
    at: float = 0.0,
) -> UserUttered:
    return UserUttered(
        text=text,
        parse_data={
            "intent": {"name": intent, "confidence": 0.9},
            "entities": entities or [],
            "text": text,
            "message_id": f"id-{text}",
            "metadata": {},
        },
        input_channel=channel,
        message_id=f"id-{text}",
        timestamp=at or 1.0,
    )


def action(name: str, at: float = 1.0) -> ActionExecuted:
    return ActionExecuted(name=name, timestamp=at)


def listen() -> ActionExecuted:
    return action(ACTION_LISTEN)


def session_start() -> list[Event]:
    return [action(ACTION_SESSION_START), SessionStarted(), listen()]


def tracker(*events: Event) -> Tracker:
    return Tracker("alice", INITIAL, events)


# Read through functions, so that mypy does not keep a property's narrowed type across updates.
def followup(t: Tracker) -> str | None:
    return t.followup_action


def loop(t: Tracker) -> LoopState:
    assert t.active_loop is not None
    return t.active_loop


def featurization(t: Tracker) -> bool | None:
    return t.use_text_for_featurization


# -- a fresh tracker ---------------------------------------------------------------------------


def test_a_fresh_tracker_holds_the_initial_state() -> None:
    t = tracker()
    assert t.slots == INITIAL
    assert t.latest_message is None
    assert t.latest_parse_data() == EMPTY_PARSE_DATA
    assert t.latest_action == {}
    assert t.latest_action_name is None
    assert t.followup_action == ACTION_LISTEN  # Rasa's tracker reset: the bot would listen
    assert t.paused is False
    assert t.active_loop is None
    assert t.applied_events() == []
    assert t.last_event_time() is None
    assert t.to_rasa() == {
        "sender_id": "alice",
        "slots": INITIAL,
        "latest_message": EMPTY_PARSE_DATA,
        "latest_event_time": None,
        "followup_action": ACTION_LISTEN,
        "paused": False,
        "events": [],
        "latest_input_channel": None,
        "active_loop": {},
        "latest_action": {},
        "latest_action_name": None,
    }


def test_initial_slot_values_are_copied_not_shared() -> None:
    initial = {"tags": ["a"]}
    t = Tracker("x", initial)
    t.slots["tags"].append("b")
    assert initial == {"tags": ["a"]}
    t.update(AllSlotsReset())
    assert t.slots == {"tags": ["a"]}


# -- slots -------------------------------------------------------------------------------------


def test_slot_events_set_known_slots_and_ignore_unknown_ones() -> None:
    t = tracker(
        SlotSet(name="city", value="Berlin"),
        SlotSet(name="count", value=3),
        SlotSet(name="tags", value=["x", {"y": 1}]),
        SlotSet(name="nowhere", value="ignored"),
    )
    assert t.slots == {**INITIAL, "city": "Berlin", "count": 3, "tags": ["x", {"y": 1}]}
    assert "nowhere" not in t.slots
    assert t.get_slot("nowhere") is None
    assert len(t.events) == 4  # the unknown slot's event stays in the log
    assert t.to_rasa()["slots"] == t.slots


def test_a_slot_set_to_none_is_unset() -> None:
    t = tracker(SlotSet(name="city", value="Berlin"), SlotSet(name="city", value=None))
    assert t.get_slot("city") is None


def test_reset_slots_restores_every_initial_value() -> None:
    t = tracker(
        SlotSet(name="city", value="Berlin"),
        SlotSet(name="count", value=9),
        SlotSet(name="confirmed", value=True),
        SlotSet(name="tags", value=[]),
        AllSlotsReset(),
    )
    assert t.slots == INITIAL
    assert t.latest_action == {}  # nothing else is reset


# -- latest message and action ---------------------------------------------------------------


def test_latest_message_and_action() -> None:
    greet = user("hello", "greet")
    t = tracker(*session_start(), greet, action("utter_greet"), BotUttered(text="Hi!"))
    assert t.latest_message == greet
    assert t.intent_name == "greet"
    assert t.latest_parse_data() == greet.parse_data
    assert t.latest_action == {"action_name": "utter_greet"}
    assert t.latest_action_name == "utter_greet"
    assert t.latest_bot_utterance == BotUttered(text="Hi!", timestamp=t.events[-1].timestamp)
    state = t.to_rasa()
    assert state["latest_message"] == greet.parse_data
    assert state["latest_action"] == {"action_name": "utter_greet"}
    assert state["latest_action_name"] == "utter_greet"


def test_an_end_to_end_action_is_its_text() -> None:
    t = tracker(listen(), user("hi", "greet"), ActionExecuted(action_text="Hello you"))
    assert t.latest_action == {"action_text": "Hello you"}
    assert t.latest_action_name == "Hello you"
    assert t.to_rasa()["latest_action"] == {"action_text": "Hello you"}


def test_latest_message_gets_the_keys_rasa_always_has() -> None:
    t = tracker(UserUttered(text="hi", parse_data={"intent": {"name": "greet"}}, message_id="m"))
    assert t.to_rasa()["latest_message"] == {
        "intent": {"name": "greet"},
        "entities": [],
        "text": "hi",
        "message_id": "m",
        "metadata": {},
    }


def test_latest_entity_values_match_entity_role_and_group() -> None:
    entities = [
        {"entity": "city", "value": "Berlin", "role": "from"},
        {"entity": "city", "value": "Paris", "role": "to"},
        {"entity": "city", "value": "Rome"},
        {"entity": "city", "value": "Oslo", "group": "1"},
    ]
    t = tracker(listen(), user("fly", "book", entities))
    assert t.latest_entity_values("city") == ["Rome"]
    assert t.latest_entity_values("city", role="to") == ["Paris"]
    assert t.latest_entity_values("city", group="1") == ["Oslo"]
    assert t.latest_entity_values("airport") == []


def test_latest_input_channel_reads_every_event_as_rasa_does() -> None:
    t = tracker(listen(), user("hi", "greet", channel="socketio"), Restarted())
    assert t.latest_input_channel() == "socketio"  # a restart does not forget it
    t.update(user("again", "greet", channel="rest"))
    assert t.to_rasa()["latest_input_channel"] == "rest"


def test_latest_event_time_is_the_last_event_s() -> None:
    t = tracker(action("a", at=10.0), SlotSet(name="city", value="x", timestamp=12.5))
    assert t.to_rasa()["latest_event_time"] == 12.5


# -- followup ----------------------------------------------------------------------------------


def test_followup_is_cleared_by_the_next_action_and_by_a_user_message() -> None:
    t = tracker(*session_start(), user("hi", "greet"), FollowupAction(name="utter_greet"))
    assert followup(t) == "utter_greet"
    assert t.to_rasa()["followup_action"] == "utter_greet"
    t.update(action("utter_greet"))
    assert followup(t) is None
    t.update(FollowupAction(name="action_x"))
    t.update(user("more", "inform"))
    assert followup(t) is None
    t.update(FollowupAction(name="action_y"))
    t.update(SlotSet(name="city", value="x"))
    t.update(BotUttered(text="x"))
    assert followup(t) == "action_y"  # only actions and user messages clear it


# -- restart, session start, rewind, undo ------------------------------------------------------


def filled() -> list[Event]:
    return [
        *session_start(),
        user("hi", "greet"),
        action("booking_form"),
        ActiveLoop(name="booking_form"),
        SlotSet(name="city", value="Berlin"),
        ConversationPaused(),
        FollowupAction(name="utter_x"),
    ]


def test_restart_resets_everything_and_asks_for_a_session_start() -> None:
    t = tracker(*filled(), Restarted())
    assert t.slots == INITIAL
    assert t.latest_message is None
    assert t.latest_action == {}
    assert t.active_loop is None
    assert t.paused is False
    assert t.followup_action == ACTION_SESSION_START
    assert t.applied_events() == []
    assert len(t.events) == len(filled()) + 1
    state = t.to_rasa()
    assert state["followup_action"] == ACTION_SESSION_START
    assert state["latest_message"] == EMPTY_PARSE_DATA
    assert state["active_loop"] == {}


def test_session_started_resets_the_state() -> None:
    t = tracker(*filled(), SessionStarted())
    assert t.slots == INITIAL
    assert t.latest_message is None
    assert t.active_loop is None
    assert t.paused is False
    assert followup(t) == ACTION_LISTEN
    assert t.applied_events() == []
    carried = SlotSet(name="city", value="Berlin")
    t.extend([carried, listen()])
    assert t.get_slot("city") == "Berlin"
    assert followup(t) is None
    assert t.applied_events() == [carried, t.events[-1]]


def test_rewind_forgets_the_last_user_message_and_the_listen_before_it() -> None:
    first = user("hi", "greet")
    events = [
        *session_start(),
        first,
        action("utter_greet"),
        listen(),
        user("gibberish", "nlu_fallback"),
        action("action_default_fallback"),
        SlotSet(name="city", value="nowhere"),
        BotUttered(text="Sorry?"),
    ]
    t = tracker(*events)
    t.update(UserUtteranceReverted())
    assert t.latest_message == first
    assert t.latest_action_name == "utter_greet"
    assert t.get_slot("city") is None
    assert t.latest_bot_utterance is None
    assert t.applied_events() == [events[2], first, events[4]]
    assert len(t.events) == len(events) + 1  # nothing leaves the log


def test_rewind_of_the_only_message_leaves_an_empty_state() -> None:
    t = tracker(*session_start(), user("hi", "greet"), action("x"), UserUtteranceReverted())
    assert t.applied_events() == []
    assert t.latest_message is None
    assert t.followup_action == ACTION_LISTEN


def test_undo_forgets_the_last_action_and_what_came_after_it() -> None:
    greet = user("hi", "greet")
    events = [
        *session_start(),
        greet,
        action("utter_greet"),
        BotUttered(text="Hi"),
        action("action_set"),
        SlotSet(name="count", value=5),
    ]
    t = tracker(*events, ActionReverted())
    assert t.get_slot("count") == 0
    assert t.latest_action_name == "utter_greet"
    assert t.latest_message == greet
    assert t.applied_events() == events[2:6]


def test_undo_and_rewind_replay_from_the_last_session_start() -> None:
    t = tracker(
        SlotSet(name="city", value="before"),
        SessionStarted(),
        listen(),
        user("hi", "greet"),
        UserUtteranceReverted(),
    )
    assert t.get_slot("city") is None  # the session start had reset it


def test_replaying_the_log_gives_the_same_state() -> None:
    events = [
        *filled(),
        ConversationResumed(),
        ActionExecutionRejected(name="booking_form"),
        action("utter_chitchat"),
        UserUtteranceReverted(),
        listen(),
        user("Berlin", "inform"),
        ActionReverted(),
    ]
    incremental = tracker()
    for event in events:
        incremental.update(event)
    assert tracker(*events).to_rasa() == incremental.to_rasa()
    assert incremental.copy().to_rasa() == incremental.to_rasa()
    assert Tracker("alice", INITIAL, events).copy().events == events


# -- pause -------------------------------------------------------------------------------------


def test_pause_and_resume() -> None:
    t = tracker(ConversationPaused())
    assert t.paused is True
    assert t.to_rasa()["paused"] is True
    t.update(ConversationResumed())
    assert t.paused is False


# -- active loop -------------------------------------------------------------------------------


def test_active_loop_records_the_message_that_triggered_it() -> None:
    trigger = user("book a flight", "book", [{"entity": "city", "value": "Rome"}])
    t = tracker(*session_start(), trigger, action("booking_form"), ActiveLoop(name="booking_form"))
    assert t.active_loop_name == "booking_form"
    assert t.to_rasa()["active_loop"] == {
        "name": "booking_form",
        "is_interrupted": False,
        "rejected": False,
        "trigger_message": trigger.parse_data,
    }
    t.update(ActiveLoop(name=None))
    assert t.active_loop is None
    assert t.to_rasa()["active_loop"] == {}


def test_a_loop_activated_before_any_message_is_triggered_by_the_empty_one() -> None:
    t = tracker(ActiveLoop(name="f"))
    assert t.to_rasa()["active_loop"]["trigger_message"] == EMPTY_PARSE_DATA


def loop_events() -> list[Event]:
    return [
        *session_start(),
        user("book", "book"),
        action("booking_form"),
        ActiveLoop(name="booking_form"),
        SlotSet(name="requested_slot", value="city"),
        listen(),
        user("what?", "chitchat"),
    ]


def test_a_rejection_of_the_active_loop_marks_it_and_its_next_run_clears_it() -> None:
    t = tracker(*loop_events(), ActionExecutionRejected(name="some_other_action"))
    assert t.active_loop is not None
    assert not loop(t).rejected
    t.update(ActionExecutionRejected(name="booking_form", policy="RulePolicy"))
    assert loop(t).rejected
    assert t.to_rasa()["active_loop"]["rejected"] is True
    t.update(action("utter_chitchat"))
    assert loop(t).rejected  # another action does not clear it
    t.extend([listen(), user("Berlin", "inform"), action("booking_form")])
    assert not loop(t).rejected
    assert t.to_rasa()["active_loop"]["rejected"] is False


def test_a_rejection_without_an_active_loop_changes_nothing() -> None:
    t = tracker(ActionExecutionRejected(name="booking_form"))
    assert t.active_loop is None


def test_loop_interrupted_marks_the_loop_until_it_runs_again() -> None:
    t = tracker(*loop_events(), LoopInterrupted(is_interrupted=True))
    assert t.active_loop is not None
    assert loop(t).validate is False
    assert t.to_rasa()["active_loop"]["is_interrupted"] is True
    t.update(action("booking_form"))
    assert loop(t).validate is True
    assert t.to_rasa()["active_loop"]["is_interrupted"] is False
    t.update(LoopInterrupted(is_interrupted=False))
    assert t.to_rasa()["active_loop"]["is_interrupted"] is False


def test_loop_interrupted_without_an_active_loop_changes_nothing() -> None:
    t = tracker(LoopInterrupted(is_interrupted=True))
    assert t.active_loop is None


def test_an_interruption_lasts_until_the_loop_runs_again() -> None:
    """Rasa clears ``is_interrupted`` on any action and has RulePolicy emit it again with
    the loop's prediction; Parley keeps it until the loop itself runs, which the agent
    relies on (the loop's next run asks again instead of validating)."""
    t = tracker(*loop_events(), LoopInterrupted(is_interrupted=True), action("utter_chitchat"))
    assert t.to_rasa()["active_loop"]["is_interrupted"] is True
    assert t.active_loop is not None
    t.update(action(t.active_loop.name))
    assert t.to_rasa()["active_loop"]["is_interrupted"] is False


# -- entities and featurization of the latest message --------------------------------------


def test_entities_added_after_listen_join_the_latest_message() -> None:
    nlu = {"entity": "city", "value": "Rome", "role": "to"}
    policy = {"entity": "date", "value": "today"}
    t = tracker(listen(), user("Rome today", "book", [nlu]), EntitiesAdded(entities=[nlu, policy]))
    assert t.latest_message is not None
    assert t.latest_message.entities == [nlu, policy]  # no duplicate
    assert t.to_rasa()["latest_message"]["entities"] == [nlu, policy]
    assert t.latest_entity_values("date") == ["today"]
    assert t.latest_entity_values("city", role="to") == ["Rome"]
    assert t.events[1] == user("Rome today", "book", [nlu])  # the logged event is untouched


def test_entities_added_after_another_action_are_ignored() -> None:
    t = tracker(
        listen(),
        user("hi", "greet"),
        action("utter_greet"),
        EntitiesAdded(entities=[{"entity": "x", "value": 1}]),
    )
    assert t.latest_message is not None
    assert t.latest_message.entities == []


def test_user_featurization_applies_to_the_message_just_heard() -> None:
    t = tracker(listen(), user("hi", "greet"))
    assert featurization(t) is None
    t.update(UserFeaturization(use_text_for_featurization=True))
    assert featurization(t) is True
    t.update(action("utter_greet"))
    t.update(UserFeaturization(use_text_for_featurization=False))
    assert featurization(t) is True  # not after another action
    t.extend([listen(), user("bye", "goodbye")])
    assert featurization(t) is None


# -- applied events and the JSON ---------------------------------------------------------------


def conversation() -> list[Event]:
    return [
        action(ACTION_SESSION_START, at=1.0),
        SessionStarted(timestamp=1.1),
        listen(),
        user("hi", "greet", at=2.0),
        action("utter_greet", at=2.1),
        Restarted(timestamp=3.0),
        action(ACTION_SESSION_START, at=3.1),
        SessionStarted(timestamp=3.2),
        listen(),
        user("hello", "greet", channel="socketio", at=4.0),
        action("action_x", at=4.1),
        SlotSet(name="city", value="Rome", timestamp=4.2),
        UserUtteranceReverted(timestamp=4.3),
        listen(),
        user("book", "book", at=5.0),
    ]


def test_applied_events_start_after_the_last_reset_without_the_reverted_ones() -> None:
    events = conversation()
    t = tracker(*events)
    assert t.applied_events() == [events[13], events[14]]
    assert list(t.applied()) == t.applied_events()


def test_a_loops_happy_path_turns_fold_into_its_first_run() -> None:
    """As Rasa's applied_events: policies see the form once, with the slots it filled."""
    events = [
        listen(),
        user("book", "book"),
        action("booking_form"),
        ActiveLoop(name="booking_form"),
        SlotSet(name="requested_slot", value="city"),
        listen(),
        user("Berlin", "inform"),
        action("booking_form"),
    ]
    t = tracker(*events)
    assert t.featurized_events() == events[:5]
    assert t.applied_events() == events  # the state still follows every event
    assert t.latest_message is not None
    assert t.latest_message.text == "Berlin"


@pytest.mark.parametrize(
    ("verbosity", "expected"),
    [("all", slice(0, None)), ("after_restart", slice(6, None)), ("applied", None)],
)
def test_to_rasa_event_verbosity(verbosity: str, expected: slice | None) -> None:
    events = conversation()
    t = tracker(*events)
    state = t.to_rasa(events=verbosity)
    assert set(state) == CURRENT_STATE_KEYS
    chosen = events[expected] if expected is not None else t.applied_events()
    assert state["events"] == [event.to_rasa() for event in chosen]


def test_to_rasa_without_events() -> None:
    state = tracker(*conversation()).to_rasa(events="none")
    assert set(state) == CURRENT_STATE_KEYS
    assert state["events"] is None


def test_to_rasa_refuses_an_unknown_verbosity() -> None:
    with pytest.raises(ValueError, match="valid: all, after_restart, applied, none"):
        tracker().to_rasa(events="everything")


def test_to_rasa_is_rasa_current_state() -> None:
    events = conversation()
    t = tracker(*events)
    latest = events[-1]
    assert isinstance(latest, UserUttered)
    assert t.to_rasa() == {
        "sender_id": "alice",
        "slots": INITIAL,
        "latest_message": latest.parse_data,
        "latest_event_time": 5.0,
        "followup_action": None,
        "paused": False,
        "events": [event.to_rasa() for event in events],
        "latest_input_channel": "rest",
        "active_loop": {},
        "latest_action": {"action_name": ACTION_LISTEN},
        "latest_action_name": ACTION_LISTEN,
    }


def test_to_rasa_is_json_and_reads_back_into_the_same_tracker() -> None:
    events = [
        *loop_events(),
        ActionExecutionRejected(name="booking_form"),
        LoopInterrupted(is_interrupted=True),
        EntitiesAdded(entities=[{"entity": "city", "value": "Rome"}]),
        FollowupAction(name="utter_x"),
    ]
    state = json.loads(json.dumps(tracker(*events).to_rasa()))
    again = Tracker("alice", INITIAL, [event_from_rasa(e) for e in state["events"]])
    assert again.to_rasa() == state


def test_to_rasa_returns_copies() -> None:
    t = tracker(SlotSet(name="tags", value=["x"]))
    state = t.to_rasa()
    state["slots"]["tags"].append("y")
    state["latest_action"]["action_name"] = "hacked"
    assert t.get_slot("tags") == ["x"]
    assert t.latest_action == {}
