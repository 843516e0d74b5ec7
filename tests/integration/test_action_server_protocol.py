"""Parley's side of the action-server protocol, checked against the real rasa-sdk.

(a) The tracker JSON Parley sends (``Tracker.to_rasa()``) is what rasa_sdk's own ``Tracker``
parsing reads back as Parley's state: ``action_inspect_tracker`` reports what rasa_sdk made of
it. (b) What ``action_emit_all_events`` answers is turned into events by
``RemoteAction.reply_events`` exactly as documented in ``tests/action_server/diagnostics.py``,
and applying them gives the state Rasa's tracker would reach, event by event.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.support.action_server import (
    documented_json,
    require_rasa_sdk_venv,
    running_action_server,
)

from parley.core.domain import (
    Action,
    Domain,
    Entity,
    Form,
    Intent,
    MappingType,
    ResponseVariation,
    Slot,
    SlotMapping,
    SlotType,
)
from parley.core.events import (
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
)
from parley.core.tracker import ACTION_LISTEN, ACTION_SESSION_START, Tracker
from parley.dialogue.actions import ActionContext
from parley.dialogue.domain_json import domain_json
from parley.dialogue.remote_action import RemoteAction
from parley.dialogue.responses import ResponseGenerator
from parley.dialogue.slots import initial_slot_values

pytestmark = pytest.mark.integration

T0 = 1_700_000_000.0
SENDER = "protocol-check"
VERSION = "3.6.0"


@pytest.fixture(scope="module")
def webhook() -> Iterator[str]:
    require_rasa_sdk_venv()  # skips, or fails under CI=true, without the rasa-sdk venv
    with running_action_server("diagnostics") as url:
        yield url


# -- the conversation -------------------------------------------------------------------------


def text_slot(name: str, **extra: Any) -> Slot:
    return Slot(
        name=name, type=SlotType.TEXT, mappings=[SlotMapping(type=MappingType.CUSTOM)], **extra
    )


DOMAIN = Domain(
    intents=[Intent(name=name) for name in ("greet", "inform", "book", "nlu_fallback")],
    entities=[
        Entity(name="city", roles=["departure", "destination"]),
        Entity(name="number", groups=["1"]),
        Entity(name="date"),
    ],
    slots=[
        Slot(
            name="city",
            type=SlotType.TEXT,
            mappings=[SlotMapping(type=MappingType.FROM_ENTITY, entity="city")],
        ),
        Slot(name="count", type=SlotType.FLOAT, mappings=[SlotMapping(type=MappingType.CUSTOM)]),
        Slot(
            name="confirmed",
            type=SlotType.BOOL,
            initial_value=False,
            mappings=[SlotMapping(type=MappingType.CUSTOM)],
        ),
        Slot(name="tags", type=SlotType.LIST, mappings=[SlotMapping(type=MappingType.CUSTOM)]),
        Slot(
            name="kind",
            type=SlotType.CATEGORICAL,
            values=["economy", "business"],
            initial_value="economy",
            mappings=[SlotMapping(type=MappingType.CUSTOM)],
        ),
        Slot(name="extra", type=SlotType.ANY, mappings=[SlotMapping(type=MappingType.CUSTOM)]),
        text_slot("diag_text"),
        Slot(
            name="diag_number", type=SlotType.FLOAT, mappings=[SlotMapping(type=MappingType.CUSTOM)]
        ),
        Slot(name="diag_list", type=SlotType.LIST, mappings=[SlotMapping(type=MappingType.CUSTOM)]),
        text_slot("diag_none", initial_value="preset"),
    ],
    responses={
        "utter_greet": [ResponseVariation(text="Hey!")],
        "utter_ask_count": [ResponseVariation(text="How many?")],
        "utter_diag": [
            ResponseVariation.model_validate(
                {
                    "text": "Hello {name}, {count} tickets to {city}",
                    "buttons": [{"title": "Book {count}", "payload": "/book"}],
                }
            )
        ],
    },
    actions=[Action(name="action_inspect_tracker"), Action(name="action_emit_all_events")],
    forms=[Form(name="travel_form", required_slots=["city", "count"])],
)

CITY_FROM = {
    "entity": "city",
    "start": 5,
    "end": 11,
    "value": "Berlin",
    "role": "departure",
    "confidence_entity": 0.97,
    "extractor": "DIETClassifier",
}
CITY_TO = {
    "entity": "city",
    "start": 15,
    "end": 20,
    "value": "Paris",
    "role": "destination",
    "confidence_entity": 0.95,
    "extractor": "DIETClassifier",
}
NUMBER_1 = {"entity": "number", "start": 22, "end": 25, "value": 2, "group": "1"}
NUMBER_2 = {"entity": "number", "start": 30, "end": 31, "value": 3, "group": "1"}
DATE = {"entity": "date", "value": "tomorrow", "extractor": "TEDPolicy"}


def user(
    text: str, intent: str, entities: list[dict[str, Any]], channel: str, at: float
) -> UserUttered:
    message_id = f"msg-{int(at)}"
    return UserUttered(
        text=text,
        parse_data={
            "intent": {"name": intent, "confidence": 0.91},
            "entities": entities,
            "text": text,
            "message_id": message_id,
            "metadata": {"client": "test"},
            "intent_ranking": [
                {"name": intent, "confidence": 0.91},
                {"name": "nlu_fallback", "confidence": 0.09},
            ],
        },
        input_channel=channel,
        message_id=message_id,
        metadata={"client": "test"},
        timestamp=at,
    )


def at(step: float) -> float:
    return T0 + step


def conversation() -> list[Event]:
    """A session with a greeting, a misunderstood message taken back, a booking message with
    entities (roles, groups, one added by a policy) that starts a form, slots of each type,
    bot messages, a pause, an interrupted loop, a followup and the form's slot candidates."""
    return [
        ActionExecuted(name=ACTION_SESSION_START, timestamp=at(0)),
        SessionStarted(timestamp=at(0.1)),
        ActionExecuted(name=ACTION_LISTEN, timestamp=at(0.2)),
        user("hello", "greet", [], "rest", at(1)),
        ActionExecuted(name="utter_greet", policy="RulePolicy", confidence=1.0, timestamp=at(1.1)),
        BotUttered(text="Hey!", metadata={"utter_action": "utter_greet"}, timestamp=at(1.2)),
        ActionExecuted(name=ACTION_LISTEN, timestamp=at(1.3)),
        user("asdfgh", "nlu_fallback", [], "rest", at(2)),
        ActionExecuted(name="action_default_fallback", timestamp=at(2.1)),
        BotUttered(text="Sorry?", timestamp=at(2.2)),
        UserUtteranceReverted(timestamp=at(2.3)),
        ActionExecuted(name=ACTION_LISTEN, timestamp=at(2.4)),
        user(
            "from Berlin to Paris, two of them, 3",
            "book",
            [CITY_FROM, CITY_TO, NUMBER_1, NUMBER_2],
            "socketio",
            at(3),
        ),
        EntitiesAdded(entities=[DATE], timestamp=at(3.05)),
        UserFeaturization(use_text_for_featurization=False, timestamp=at(3.06)),
        ActionExecuted(name="travel_form", policy="RulePolicy", confidence=1.0, timestamp=at(3.1)),
        ActiveLoop(name="travel_form", timestamp=at(3.2)),
        SlotSet(name="requested_slot", value="count", timestamp=at(3.3)),
        BotUttered(
            text="How many?",
            data={"buttons": [{"title": "2", "payload": '/inform{"count": 2}'}]},
            metadata={"utter_action": "utter_ask_count"},
            timestamp=at(3.4),
        ),
        ConversationPaused(timestamp=at(3.5)),
        ConversationResumed(timestamp=at(3.6)),
        SlotSet(name="confirmed", value=True, timestamp=at(3.7)),
        SlotSet(name="tags", value=["window", "vegan"], timestamp=at(3.8)),
        SlotSet(name="kind", value="business", timestamp=at(3.9)),
        SlotSet(name="extra", value={"nested": [1, {"a": None}], "ok": True}, timestamp=at(4)),
        LoopInterrupted(is_interrupted=True, timestamp=at(4.1)),
        FollowupAction(name="utter_greet", timestamp=at(4.2)),
        SlotSet(name="city", value="Paris", timestamp=at(4.3)),
        SlotSet(name="count", value=2.0, timestamp=at(4.4)),
    ]


def make_tracker() -> Tracker:
    return Tracker(SENDER, initial_slot_values(DOMAIN), conversation())


def post(url: str, action: str, tracker: Tracker) -> dict[str, Any]:
    body = {
        "next_action": action,
        "sender_id": tracker.sender_id,
        "tracker": tracker.to_rasa(),
        "domain": domain_json(DOMAIN),
        "version": VERSION,
    }
    reply = httpx.post(url, json=body, timeout=30.0)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    assert set(result) == {"events", "responses"}
    return result


def context() -> ActionContext:
    return ActionContext(domain=DOMAIN, responses=ResponseGenerator(DOMAIN, seed=0))


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


# -- (a) rasa_sdk reads Parley's tracker as Parley holds it ------------------------------------


def test_the_tracker_is_the_state_parley_holds(webhook: str) -> None:
    tracker = make_tracker()
    assert tracker.active_loop is not None
    assert tracker.latest_message is not None
    result = post(webhook, "action_inspect_tracker", tracker)
    assert result["events"] == []
    [message] = result["responses"]
    report = message["custom"]

    assert report["sender_id"] == SENDER
    assert report["slots"] == as_json(tracker.slots)
    assert report["slots"] == {
        "city": "Paris",
        "count": 2.0,
        "confirmed": True,
        "tags": ["window", "vegan"],
        "kind": "business",
        "extra": {"nested": [1, {"a": None}], "ok": True},
        "diag_text": None,
        "diag_number": None,
        "diag_list": None,
        "diag_none": "preset",
        "requested_slot": "count",
        "session_started_metadata": None,
    }
    assert report["get_slot"] == report["slots"]

    entities = [CITY_FROM, CITY_TO, NUMBER_1, NUMBER_2, DATE]
    assert tracker.latest_message.entities == entities
    assert report["latest_message"] == {
        "intent": tracker.intent_name,
        "entities": entities,
        "text": tracker.latest_message.text,
    }
    assert report["latest_message"]["intent"] == "book"
    assert report["latest_entity_values"] == {
        "city:departure": tracker.latest_entity_values("city", role="departure"),
        "city:destination": tracker.latest_entity_values("city", role="destination"),
        "number::1": tracker.latest_entity_values("number", group="1"),
        "date": tracker.latest_entity_values("date"),
    }
    assert report["latest_entity_values"] == {
        "city:departure": ["Berlin"],
        "city:destination": ["Paris"],
        "number::1": [2, 3],
        "date": ["tomorrow"],
    }
    assert report["intent_of_latest_message"] == "book"

    assert report["latest_action_name"] == tracker.latest_action_name == "travel_form"
    assert report["active_loop"] == as_json(tracker.active_loop.to_rasa())
    assert report["active_loop"] == {
        "name": "travel_form",
        "is_interrupted": True,
        "rejected": False,
        "trigger_message": as_json(tracker.latest_parse_data()),
    }
    assert report["active_loop_name"] == tracker.active_loop_name == "travel_form"
    assert report["followup_action"] == tracker.followup_action == "utter_greet"
    assert report["paused"] is tracker.paused is False

    assert report["event_count"] == len(tracker.events) == len(conversation())
    assert report["event_types"] == [event.type_name for event in tracker.events]
    # rasa_sdk's applied events forget only what restarts and reverts take back (not what a
    # session start does), so they are Parley's applied events after the session start.
    assert report["applied_event_types"] == [
        "action",
        "session_started",
        *(event.type_name for event in tracker.applied_events()),
    ]
    assert "rewind" not in report["applied_event_types"]
    assert report["latest_input_channel"] == tracker.latest_input_channel() == "socketio"
    assert report["slots_to_validate"] == {"city": "Paris", "count": 2.0}
    assert report["user_id"] is None
    assert report["domain_keys"] == sorted(domain_json(DOMAIN))


def test_an_empty_tracker_is_read_as_an_empty_conversation(webhook: str) -> None:
    tracker = Tracker("nobody", initial_slot_values(DOMAIN))
    report = post(webhook, "action_inspect_tracker", tracker)["responses"][0]["custom"]
    assert report["slots"] == as_json(tracker.slots)
    assert report["latest_message"] == {"intent": None, "entities": [], "text": None}
    assert report["latest_action_name"] is None
    assert report["active_loop"] == {}
    assert report["active_loop_name"] is None
    assert report["followup_action"] == tracker.followup_action
    assert report["event_count"] == 0
    assert report["latest_input_channel"] is None
    assert report["intent_of_latest_message"] is None


# -- (b) the events an action returns are applied exactly --------------------------------------

DOCUMENTED_EVENTS = "action_emit_all_events events"
DOCUMENTED_RESPONSES = "action_emit_all_events responses"
REMINDER_ENTITIES = [{"entity": "name", "value": "Ada"}]
INJECTED_PARSE_DATA = {
    "intent": {"name": "greet", "confidence": 1.0},
    "entities": [],
    "text": "injected text",
}

EXPECTED_EVENTS: list[Event] = [
    SlotSet(name="diag_text", value="hello", timestamp=0),
    SlotSet(name="diag_number", value=42, timestamp=1700000000.5),
    SlotSet(name="diag_list", value=["a", "b"], timestamp=0),
    SlotSet(name="diag_none", value=None, timestamp=0),
    Restarted(timestamp=0),
    AllSlotsReset(timestamp=0),
    ReminderScheduled(
        intent="EXTERNAL_diag",
        date_time="2030-01-02T03:04:05+00:00",
        entities=REMINDER_ENTITIES,
        name="diag_reminder",
        kill_on_user_message=False,
        timestamp=0,
    ),
    ReminderCancelled(
        name="diag_reminder", intent="EXTERNAL_diag", entities=REMINDER_ENTITIES, timestamp=0
    ),
    ActionReverted(timestamp=0),
    UserUtteranceReverted(timestamp=0),
    ActionExecuted(name="action_diag_marker", policy="diag_policy", confidence=0.75, timestamp=0),
    BotUttered(
        text="bot says hi",
        data={"buttons": [{"title": "Yes", "payload": "/affirm"}]},
        metadata={"source": "diagnostics"},
        timestamp=0,
    ),
    UserUttered(
        text="injected text", parse_data=INJECTED_PARSE_DATA, input_channel="diag", timestamp=0
    ),
    AgentUttered(text="agent says hi", data={"k": "v"}, timestamp=0),
    FollowupAction(name="action_listen", timestamp=0),
    ConversationPaused(timestamp=0),
    ConversationResumed(timestamp=0),
    ActiveLoop(name="diag_form", timestamp=0),
    LoopInterrupted(is_interrupted=True, timestamp=0),
    ActionExecutionRejected(name="diag_form", policy="diag_policy", confidence=0.5, timestamp=0),
    ActiveLoop(name=None, timestamp=0),
    StoryExported(timestamp=0),
    SessionStarted(timestamp=0),
]


@pytest.fixture(scope="module")
def emitted(webhook: str) -> dict[str, Any]:
    return post(webhook, "action_emit_all_events", make_tracker())


def test_the_reply_is_the_documented_one(emitted: dict[str, Any]) -> None:
    assert emitted["events"] == documented_json("diagnostics", DOCUMENTED_EVENTS)
    assert emitted["responses"] == documented_json("diagnostics", DOCUMENTED_RESPONSES)


def returned_events(emitted: dict[str, Any]) -> list[Event]:
    return RemoteAction("action_emit_all_events").reply_events(
        {"events": emitted["events"], "responses": []}, make_tracker(), context()
    )


def test_the_returned_events_are_the_documented_ones(emitted: dict[str, Any]) -> None:
    before = time.time()
    events = returned_events(emitted)
    after = time.time()
    documented = documented_json("diagnostics", DOCUMENTED_EVENTS)
    assert len(events) == len(documented) == len(EXPECTED_EVENTS)
    for event, sent, expected in zip(events, documented, EXPECTED_EVENTS, strict=True):
        stamped = event
        if sent["timestamp"] is None:
            assert before <= event.timestamp <= after  # Rasa stamps them when it reads them
            stamped = dataclasses.replace(event, timestamp=0)
        assert stamped == expected
        written = event.to_rasa()
        for key, value in sent.items():
            if key == "timestamp":
                continue
            if key == "parse_data":  # completed with the keys Rasa always writes
                assert written[key] == {"message_id": None, "metadata": {}, **value}
            else:
                assert written[key] == value, (sent["event"], key)


def checkpoints(expected_initial: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """After the event at each index (of :data:`EXPECTED_EVENTS`), these parts of the tracker's
    ``current_state`` (as Rasa's tracker would hold them)."""
    empty_message: dict[str, Any] = {
        "intent": {},
        "entities": [],
        "text": None,
        "message_id": None,
        "metadata": {},
    }
    injected = {**INJECTED_PARSE_DATA, "message_id": None, "metadata": {}}
    reset = {
        "slots": expected_initial,
        "latest_message": empty_message,
        "latest_action": {},
        "latest_action_name": None,
        "active_loop": {},
        "paused": False,
    }
    return {
        3: {
            "slots_subset": {
                "diag_text": "hello",
                "diag_number": 42,
                "diag_list": ["a", "b"],
                "diag_none": None,
                "city": "Paris",
            },
            "latest_action_name": "action_emit_all_events",
            "followup_action": None,
        },
        4: {**reset, "followup_action": ACTION_SESSION_START, "applied": 0},
        5: {**reset, "followup_action": ACTION_SESSION_START, "applied": 1},
        7: {**reset, "followup_action": ACTION_SESSION_START, "applied": 3},
        8: {**reset, "followup_action": ACTION_LISTEN, "applied": 0},
        9: {**reset, "followup_action": ACTION_LISTEN, "applied": 0},
        10: {
            **reset,
            "latest_action": {"action_name": "action_diag_marker"},
            "latest_action_name": "action_diag_marker",
            "followup_action": None,
            "applied": 1,
        },
        11: {"bot_text": "bot says hi", "followup_action": None},
        12: {
            "latest_message": injected,
            "latest_input_channel": "diag",
            "latest_action_name": "action_diag_marker",
        },
        14: {"followup_action": ACTION_LISTEN, "paused": False},
        15: {"paused": True},
        16: {"paused": False, "followup_action": ACTION_LISTEN},
        17: {
            "active_loop": {
                "name": "diag_form",
                "is_interrupted": False,
                "rejected": False,
                "trigger_message": injected,
            }
        },
        18: {
            "active_loop": {
                "name": "diag_form",
                "is_interrupted": True,
                "rejected": False,
                "trigger_message": injected,
            }
        },
        19: {
            "active_loop": {
                "name": "diag_form",
                "is_interrupted": True,
                "rejected": True,
                "trigger_message": injected,
            }
        },
        20: {"active_loop": {}, "latest_message": injected},
        21: {"active_loop": {}, "latest_message": injected, "followup_action": ACTION_LISTEN},
        22: {
            **reset,
            "followup_action": ACTION_LISTEN,
            "latest_input_channel": "diag",
            "applied": 0,
        },
    }


def test_applying_the_returned_events_gives_rasa_s_state_step_by_step(
    emitted: dict[str, Any],
) -> None:
    tracker = make_tracker()
    before = len(tracker.events)
    # As the agent logs a custom action: its `action` event, then what it returned.
    tracker.update(ActionExecuted(name="action_emit_all_events", policy="RulePolicy"))
    events = returned_events(emitted)
    initial = as_json(initial_slot_values(DOMAIN))
    expected = checkpoints(initial)
    for index, event in enumerate(events):
        tracker.update(event)
        if index not in expected:
            continue
        state = as_json(tracker.to_rasa(events="none"))
        for key, value in expected[index].items():
            if key == "slots_subset":
                assert {k: state["slots"][k] for k in value} == value, index
            elif key == "applied":
                assert len(tracker.applied_events()) == value, index
            elif key == "bot_text":
                assert tracker.latest_bot_utterance is not None
                assert tracker.latest_bot_utterance.text == value, index
            else:
                assert state[key] == value, (index, key)
    assert tracker.events[before + 1 :] == events  # logged exactly as returned
    final = as_json(tracker.to_rasa(events="after_restart"))
    assert final["slots"] == initial
    assert final["latest_event_time"] == events[-1].timestamp
    # after the restart: reset_slots … session_started, the 18 events that followed it
    assert [e["event"] for e in final["events"]] == [e.type_name for e in events[5:]]


# -- responses become bot events -----------------------------------------------------------


def test_responses_become_bot_events_in_order(emitted: dict[str, Any]) -> None:
    plain = emitted["responses"][:4]  # the fifth names a domain response (below)
    said = RemoteAction("action_emit_all_events").reply_events(
        {"events": [], "responses": plain}, make_tracker(), context()
    )
    assert all(isinstance(event, BotUttered) for event in said)
    bots = [event for event in said if isinstance(event, BotUttered)]
    assert [bot.text for bot in bots] == ["plain text", "pick one", None, None]
    assert [bot.data.get("buttons") for bot in bots] == [
        None,
        [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        None,
        None,
    ]
    assert [bot.data.get("image") for bot in bots] == [
        None,
        None,
        "https://example.invalid/diag.png",
        None,
    ]
    assert [bot.data.get("custom") for bot in bots] == [
        None,
        None,
        None,
        {"kind": "diag", "nested": {"n": 1, "list": [1, 2]}},
    ]
    assert [bot.metadata for bot in bots] == [{}, {}, {}, {}]
    assert [bot.message() for bot in bots] == [
        {"text": "plain text"},
        {
            "text": "pick one",
            "buttons": [
                {"title": "Yes", "payload": "/affirm"},
                {"title": "No", "payload": "/deny"},
            ],
        },
        {"image": "https://example.invalid/diag.png"},
        {"custom": {"kind": "diag", "nested": {"n": 1, "list": [1, 2]}}},
    ]


def test_a_named_response_is_filled_from_the_domain_with_the_values(
    emitted: dict[str, Any],
) -> None:
    tracker = make_tracker()
    events = RemoteAction("action_emit_all_events").reply_events(emitted, tracker, context())
    bots, rest = events[:5], events[5:]
    assert all(isinstance(bot, BotUttered) for bot in bots)
    assert [bot.text for bot in bots if isinstance(bot, BotUttered)] == [
        "plain text",
        "pick one",
        None,
        None,
        "Hello Ada, 3 tickets to Paris",
    ]
    diag = bots[4]
    assert isinstance(diag, BotUttered)
    assert diag.data["buttons"] == [{"title": "Book 3", "payload": "/book"}]
    # as Rasa's create_bot_utterance: the response's name and the values in the metadata
    assert diag.metadata == {
        "utter_action": "utter_diag",
        "template": "utter_diag",
        "name": "Ada",
        "count": 3,
    }
    assert [type(e) for e in rest] == [type(e) for e in EXPECTED_EVENTS]
