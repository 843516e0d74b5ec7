"""Events read and write exactly the JSON Rasa's ``Event.as_dict()`` gives.

Each case below is an event as Rasa 3.x serialises it (``rasa/shared/core/events.py``): the
fields every type always writes, ``metadata`` only when set (but always for ``user`` and
``bot``), ``parse_data`` with ``intent``, ``entities``, ``text``, ``message_id`` and
``metadata`` always present. Parsing it and writing it back must give it unchanged.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.core.events import (
    EVENT_TYPES,
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserFeaturization,
    UserUtteranceReverted,
    UserUttered,
    event_from_rasa,
    events_from_rasa,
)
from parley.core.tracker import Tracker
from parley.errors import EventError

T = 1_700_000_000.25

ENTITY_WITH_ROLE = {
    "entity": "city",
    "start": 14,
    "end": 20,
    "confidence_entity": 0.98,
    "role": "destination",
    "value": "Berlin",
    "extractor": "DIETClassifier",
}

PARSE_DATA = {
    "intent": {"name": "book_flight", "confidence": 0.93},
    "entities": [ENTITY_WITH_ROLE],
    "text": "I want to go to Berlin",
    "message_id": "4b1c",
    "metadata": {"locale": "de"},
    "intent_ranking": [
        {"name": "book_flight", "confidence": 0.93},
        {"name": "greet", "confidence": 0.07},
    ],
    "response_selector": {"all_retrieval_intents": [], "default": {"response": {}}},
}

BOT_DATA = {
    "elements": None,
    "quick_replies": None,
    "buttons": [{"title": "Yes", "payload": "/affirm"}],
    "attachment": None,
    "image": None,
    "custom": None,
}

# (Rasa's JSON of the event, the class it is read as). Together they cover every type.
RASA_JSON: list[tuple[dict[str, Any], type[Event]]] = [
    (
        {
            "event": "user",
            "timestamp": T,
            "metadata": {"locale": "de"},
            "text": "I want to go to Berlin",
            "parse_data": PARSE_DATA,
            "input_channel": "rest",
            "message_id": "4b1c",
        },
        UserUttered,
    ),
    (
        {
            "event": "user",
            "timestamp": T,
            "text": "/greet",
            "parse_data": {
                "intent": {"name": "greet", "confidence": 1.0},
                "entities": [],
                "text": "/greet",
                "message_id": None,
                "metadata": {},
            },
            "input_channel": None,
            "message_id": None,
            "metadata": {},
        },
        UserUttered,
    ),
    (
        {
            "event": "bot",
            "timestamp": T,
            "metadata": {"utter_action": "utter_ask"},
            "text": "Shall I book it?",
            "data": BOT_DATA,
        },
        BotUttered,
    ),
    ({"event": "bot", "timestamp": T, "text": None, "data": {}, "metadata": {}}, BotUttered),
    (
        {
            "event": "action",
            "timestamp": T,
            "name": "utter_greet",
            "policy": "RulePolicy",
            "confidence": 1.0,
            "action_text": None,
            "hide_rule_turn": True,
        },
        ActionExecuted,
    ),
    (
        {
            "event": "action",
            "timestamp": T,
            "metadata": {"model_id": "abc"},
            "name": None,
            "policy": None,
            "confidence": None,
            "action_text": "Hello there!",
            "hide_rule_turn": False,
        },
        ActionExecuted,
    ),
    ({"event": "slot", "timestamp": T, "name": "city", "value": "Berlin"}, SlotSet),
    ({"event": "slot", "timestamp": T, "name": "city", "value": None}, SlotSet),
    ({"event": "active_loop", "timestamp": T, "name": "booking_form"}, ActiveLoop),
    ({"event": "active_loop", "timestamp": T, "name": None}, ActiveLoop),
    ({"event": "loop_interrupted", "timestamp": T, "is_interrupted": True}, LoopInterrupted),
    ({"event": "loop_interrupted", "timestamp": T, "is_interrupted": False}, LoopInterrupted),
    (
        {
            "event": "action_execution_rejected",
            "timestamp": T,
            "name": "booking_form",
            "policy": "RulePolicy",
            "confidence": 0.8,
        },
        ActionExecutionRejected,
    ),
    ({"event": "followup", "timestamp": T, "name": "action_listen"}, FollowupAction),
    ({"event": "reset_slots", "timestamp": T}, AllSlotsReset),
    ({"event": "restart", "timestamp": T}, Restarted),
    ({"event": "rewind", "timestamp": T}, UserUtteranceReverted),
    ({"event": "undo", "timestamp": T}, ActionReverted),
    ({"event": "pause", "timestamp": T}, ConversationPaused),
    ({"event": "resume", "timestamp": T}, ConversationResumed),
    ({"event": "session_started", "timestamp": T, "metadata": {"x": 1}}, SessionStarted),
    ({"event": "export", "timestamp": T}, StoryExported),
    (
        {
            "event": "reminder",
            "timestamp": T,
            "intent": "EXTERNAL_remind",
            "date_time": "2030-01-02T03:04:05+00:00",
            "entities": [{"entity": "name", "value": "Ada"}],
            "name": "remind_ada",
            "kill_on_user_msg": False,
        },
        ReminderScheduled,
    ),
    ({"event": "cancel_reminder", "timestamp": T}, ReminderCancelled),
    (
        {"event": "agent", "timestamp": T, "text": "an agent speaks", "data": {"k": ["v"]}},
        AgentUttered,
    ),
    ({"event": "entities", "timestamp": T, "entities": [ENTITY_WITH_ROLE]}, EntitiesAdded),
    (
        {"event": "user_featurization", "timestamp": T, "use_text_for_featurization": True},
        UserFeaturization,
    ),
]


def _case_id(case: tuple[dict[str, Any], type[Event]]) -> str:
    data, _ = case
    return f"{data['event']}-{RASA_JSON.index(case)}"


def test_the_cases_cover_every_event_type() -> None:
    assert {data["event"] for data, _ in RASA_JSON} == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == 21


@pytest.mark.parametrize("case", RASA_JSON, ids=_case_id)
def test_rasa_json_round_trips_unchanged(case: tuple[dict[str, Any], type[Event]]) -> None:
    data, cls = case
    event = event_from_rasa(json.loads(json.dumps(data)))
    assert type(event) is cls
    assert event.timestamp == T
    written = event.to_rasa()
    assert written == data
    assert list(written)[:2] == ["event", "timestamp"]
    assert json.loads(json.dumps(written)) == data


@pytest.mark.parametrize("case", RASA_JSON, ids=_case_id)
def test_writing_what_was_read_twice_is_stable(case: tuple[dict[str, Any], type[Event]]) -> None:
    data, _ = case
    once = event_from_rasa(data)
    twice = event_from_rasa(once.to_rasa())
    assert twice == once
    assert twice.to_rasa() == data


def test_typed_fields_are_read_from_the_json() -> None:
    user = event_from_rasa(RASA_JSON[0][0])
    assert isinstance(user, UserUttered)
    assert user.text == "I want to go to Berlin"
    assert user.intent_name == "book_flight"
    assert user.intent_confidence == pytest.approx(0.93)
    assert user.entities == [ENTITY_WITH_ROLE]
    assert user.input_channel == "rest"
    assert user.message_id == "4b1c"
    assert user.metadata == {"locale": "de"}

    action = event_from_rasa(RASA_JSON[4][0])
    assert action == ActionExecuted(
        name="utter_greet", policy="RulePolicy", confidence=1.0, hide_rule_turn=True, timestamp=T
    )
    reminder = event_from_rasa(RASA_JSON[22][0])
    assert reminder == ReminderScheduled(
        intent="EXTERNAL_remind",
        date_time="2030-01-02T03:04:05+00:00",
        entities=[{"entity": "name", "value": "Ada"}],
        name="remind_ada",
        kill_on_user_message=False,
        timestamp=T,
    )


# -- fields always present, metadata ---------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "keys"),
    [
        (UserUttered(text="hi"), {"text", "parse_data", "input_channel", "message_id", "metadata"}),
        (BotUttered(text="hi"), {"text", "data", "metadata"}),
        (
            ActionExecuted(name="action_listen"),
            {"name", "policy", "confidence", "action_text", "hide_rule_turn"},
        ),
        (SlotSet(name="s"), {"name", "value"}),
        (ActiveLoop(name=None), {"name"}),
        (LoopInterrupted(), {"is_interrupted"}),
        (ActionExecutionRejected(name="f"), {"name", "policy", "confidence"}),
        (FollowupAction(name="a"), {"name"}),
        (AllSlotsReset(), set()),
        (Restarted(), set()),
        (UserUtteranceReverted(), set()),
        (ActionReverted(), set()),
        (ConversationPaused(), set()),
        (ConversationResumed(), set()),
        (SessionStarted(), set()),
        (StoryExported(), set()),
        (
            ReminderScheduled(intent="i", date_time="2030-01-01T00:00:00"),
            {"intent", "date_time", "entities", "name", "kill_on_user_msg"},
        ),
        (ReminderCancelled(), set()),
        (AgentUttered(), {"text", "data"}),
        (EntitiesAdded(), {"entities"}),
        (UserFeaturization(), {"use_text_for_featurization"}),
    ],
    ids=lambda value: value.type_name if isinstance(value, Event) else "fields",
)
def test_fields_written_without_metadata(event: Event, keys: set[str]) -> None:
    assert set(event.to_rasa()) == {"event", "timestamp", *keys}


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=lambda c: c.type_name)
def test_metadata_is_written_when_set(cls: type[Event]) -> None:
    data = next(data for data, kind in RASA_JSON if kind is cls)
    with_metadata = event_from_rasa({**data, "metadata": {"source": "test", "n": [1]}})
    assert with_metadata.metadata == {"source": "test", "n": [1]}
    assert with_metadata.to_rasa()["metadata"] == {"source": "test", "n": [1]}


@pytest.mark.parametrize("metadata", [None, {}])
def test_empty_metadata_is_left_out_except_for_user_and_bot(metadata: Any) -> None:
    slot = event_from_rasa({"event": "slot", "name": "s", "value": 1, "metadata": metadata})
    assert slot.metadata == {}
    assert "metadata" not in slot.to_rasa()
    user = event_from_rasa({"event": "user", "text": "hi", "metadata": metadata})
    assert user.to_rasa()["metadata"] == {}
    bot = event_from_rasa({"event": "bot", "text": "hi", "metadata": metadata})
    assert bot.to_rasa()["metadata"] == {}


def test_a_missing_or_null_timestamp_is_now_and_an_integer_one_is_kept() -> None:
    before = time.time()
    missing = event_from_rasa({"event": "restart"})
    null = event_from_rasa({"event": "restart", "timestamp": None})
    after = time.time()
    assert before <= missing.timestamp <= after
    assert before <= null.timestamp <= after
    assert event_from_rasa({"event": "restart", "timestamp": 1700000000}).timestamp == 1.7e9


def test_user_parse_data_gets_the_keys_rasa_always_writes() -> None:
    """Rasa's ``UserUttered`` starts its ``parse_data`` from the event's own fields and
    lays NLU's result over it; an action server's partial parse data is completed so."""
    event = event_from_rasa(
        {
            "event": "user",
            "timestamp": T,
            "text": "injected",
            "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": []},
            "input_channel": "diag",
            "message_id": "m-7",
            "metadata": {"k": "v"},
        }
    )
    assert event.to_rasa()["parse_data"] == {
        "intent": {"name": "greet", "confidence": 1.0},
        "entities": [],
        "text": "injected",
        "message_id": "m-7",
        "metadata": {"k": "v"},
    }
    bare = event_from_rasa({"event": "user", "timestamp": T})
    assert bare.to_rasa() == {
        "event": "user",
        "timestamp": T,
        "metadata": {},
        "text": None,
        "parse_data": {
            "intent": {},
            "entities": [],
            "text": None,
            "message_id": None,
            "metadata": {},
        },
        "input_channel": None,
        "message_id": None,
    }


def test_optional_fields_default_as_in_rasa() -> None:
    action = event_from_rasa({"event": "action", "name": "utter_x"})
    assert action.to_rasa() | {"timestamp": 0} == {
        "event": "action",
        "timestamp": 0,
        "name": "utter_x",
        "policy": None,
        "confidence": None,
        "action_text": None,
        "hide_rule_turn": False,
    }
    loop = event_from_rasa({"event": "loop_interrupted"})
    assert isinstance(loop, LoopInterrupted)
    assert loop.is_interrupted is False
    reminder = event_from_rasa(
        {"event": "reminder", "intent": "EXTERNAL_x", "date_time": "2030-01-01T00:00:00"}
    )
    assert isinstance(reminder, ReminderScheduled)
    assert reminder.kill_on_user_message is True
    assert reminder.to_rasa()["kill_on_user_msg"] is True
    bot = event_from_rasa({"event": "bot", "data": None})
    assert bot.to_rasa()["data"] == {}


def test_export_and_cancel_reminder_keep_their_fields_only_when_set() -> None:
    """Rasa writes neither ``path`` nor the reminder selector; rasa-sdk sends the selector,
    and Parley keeps it rather than lose which reminders to cancel."""
    sdk = {
        "event": "cancel_reminder",
        "timestamp": T,
        "intent": "EXTERNAL_diag",
        "entities": [{"entity": "name", "value": "Ada"}],
        "name": "diag_reminder",
    }
    cancel = event_from_rasa(sdk)
    assert cancel == ReminderCancelled(
        name="diag_reminder",
        intent="EXTERNAL_diag",
        entities=[{"entity": "name", "value": "Ada"}],
        timestamp=T,
    )
    assert cancel.to_rasa() == sdk
    partial = event_from_rasa(
        {"event": "cancel_reminder", "timestamp": T, "name": "r", "intent": None}
    )
    assert partial.to_rasa() == {"event": "cancel_reminder", "timestamp": T, "name": "r"}
    exported = event_from_rasa({"event": "export", "timestamp": T, "path": "stories.yml"})
    assert exported == StoryExported(path="stories.yml", timestamp=T)
    assert exported.to_rasa() == {"event": "export", "timestamp": T, "path": "stories.yml"}


# -- legacy events -----------------------------------------------------------------------------


def test_legacy_form_event_reads_as_active_loop() -> None:
    event = event_from_rasa({"event": "form", "timestamp": T, "name": "booking_form"})
    assert event == ActiveLoop(name="booking_form", timestamp=T)
    assert event.to_rasa() == {"event": "active_loop", "timestamp": T, "name": "booking_form"}
    ended = event_from_rasa({"event": "form", "timestamp": T, "name": None})
    assert ended == ActiveLoop(name=None, timestamp=T)


@pytest.mark.parametrize(
    ("legacy", "interrupted"),
    [({"validate": False}, True), ({"validate": True}, False), ({}, False)],
)
def test_legacy_form_validation_reads_as_loop_interrupted(
    legacy: dict[str, Any], interrupted: bool
) -> None:
    data = {"event": "form_validation", "timestamp": T, "metadata": {"m": 1}, **legacy}
    event = event_from_rasa(data)
    assert event == LoopInterrupted(is_interrupted=interrupted, timestamp=T, metadata={"m": 1})
    assert event.to_rasa() == {
        "event": "loop_interrupted",
        "timestamp": T,
        "metadata": {"m": 1},
        "is_interrupted": interrupted,
    }


def test_legacy_events_do_not_change_the_input() -> None:
    data = {"event": "form_validation", "validate": False}
    event_from_rasa(data)
    assert data == {"event": "form_validation", "validate": False}


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["utter", "topic", "flow_started", "session_ended", "", "USER"])
def test_an_unknown_type_is_refused_with_the_valid_ones(kind: str) -> None:
    with pytest.raises(EventError) as caught:
        event_from_rasa({"event": kind, "timestamp": T})
    message = str(caught.value)
    assert repr(kind) in message
    assert "valid types:" in message
    listed = message.split("valid types:", 1)[1]
    assert [name.strip() for name in listed.split(",")] == sorted(EVENT_TYPES)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (["event", "slot"], "JSON object"),
        ("slot", "JSON object"),
        (None, "JSON object"),
        ({"name": "x"}, "`event` field"),
        ({"event": None}, "`event` field"),
        ({"event": 3}, "`event` field"),
        ({"event": "slot", "value": 1}, "needs `name`"),
        ({"event": "slot", "name": 7}, "`name` must be a string"),
        ({"event": "action"}, "needs `name`"),
        ({"event": "action", "name": None, "action_text": None}, "needs `name`"),
        ({"event": "action", "name": ["a"]}, "must be a string"),
        ({"event": "action", "name": "a", "confidence": "high"}, "must be a number"),
        ({"event": "action", "name": "a", "confidence": True}, "must be a number"),
        ({"event": "action", "name": "a", "policy": 1}, "must be a string"),
        ({"event": "user", "parse_data": ["greet"]}, "`parse_data` must be an object"),
        ({"event": "user", "text": 5}, "`text` must be a string"),
        ({"event": "user", "input_channel": {}}, "must be a string"),
        ({"event": "bot", "data": "hello"}, "`data` must be an object"),
        ({"event": "restart", "metadata": ["x"]}, "`metadata` must be an object"),
        ({"event": "slot", "name": "s", "metadata": "x"}, "`metadata` must be an object"),
        ({"event": "followup"}, "needs `name`"),
        ({"event": "action_execution_rejected"}, "needs `name`"),
        ({"event": "active_loop", "name": 1}, "must be a string"),
        ({"event": "reminder", "intent": "i"}, "date_time"),
        ({"event": "reminder", "intent": "i", "date_time": 17}, "date_time"),
        ({"event": "reminder", "intent": "i", "date_time": "next tuesday"}, "date_time"),
        ({"event": "reminder", "date_time": "2030-01-01T00:00:00"}, "needs `intent`"),
        ({"event": "entities", "entities": {"entity": "x"}}, "list of objects"),
        ({"event": "entities", "entities": ["x"]}, "list of objects"),
        ({"event": "export", "path": 3}, "must be a string"),
    ],
)
def test_malformed_events_are_refused(data: Any, fragment: str) -> None:
    with pytest.raises(EventError) as caught:
        event_from_rasa(data)
    assert fragment in str(caught.value)


def test_event_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        event_from_rasa({"event": "nope"})


def test_events_from_rasa_reads_a_list_and_refuses_anything_else() -> None:
    events = events_from_rasa([data for data, _ in RASA_JSON])
    assert [type(e) for e in events] == [cls for _, cls in RASA_JSON]
    assert events_from_rasa([]) == []
    with pytest.raises(EventError, match="JSON list"):
        events_from_rasa({"event": "restart"})
    with pytest.raises(EventError, match="unknown event type 'nope'"):
        events_from_rasa([{"event": "restart"}, {"event": "nope"}])


# -- any JSON as a slot value ------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


@given(name=st.text(min_size=1, max_size=30), value=JSON_VALUES)
def test_any_json_slot_value_round_trips(name: str, value: Any) -> None:
    data = {"event": "slot", "timestamp": T, "name": name, "value": value}
    event = event_from_rasa(json.loads(json.dumps(data)))
    assert isinstance(event, SlotSet)
    assert event.value == value
    written = json.loads(json.dumps(event.to_rasa()))
    assert written == data
    assert event_from_rasa(written) == event

    tracker = Tracker("h", {name: None}, [event])
    assert tracker.get_slot(name) == value
    assert json.loads(json.dumps(tracker.to_rasa()))["slots"] == {name: value}


@given(value=JSON_VALUES, metadata=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3))
def test_any_json_in_data_and_metadata_round_trips(value: Any, metadata: dict[str, Any]) -> None:
    for data in (
        {"event": "agent", "timestamp": T, "text": "t", "data": value},
        {"event": "bot", "timestamp": T, "text": "t", "data": {"custom": value}, "metadata": {}},
    ):
        if metadata:
            data["metadata"] = metadata
        written = event_from_rasa(json.loads(json.dumps(data))).to_rasa()
        assert json.loads(json.dumps(written)) == data


def test_floats_survive_exactly() -> None:
    value = [0.1, -0.0, 1e308, 5e-324, math.pi]
    event = event_from_rasa({"event": "slot", "name": "f", "value": value})
    assert json.loads(json.dumps(event.to_rasa()))["value"] == value
