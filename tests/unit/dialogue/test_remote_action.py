"""Custom actions over the Rasa SDK webhook protocol, against the in-memory action server:
the request Parley sends, the reply's responses turned into ``bot`` events (domain
responses filled with the values the action passed), the reply's events read as Rasa
event JSON, and the errors of a reply that is not the protocol's."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.support.fake_action_server import (
    FakeActionServer,
    Request,
    active_loop,
    answers,
    fails,
    followup,
    rejects,
    slot_set,
)

from parley.core.domain import Domain
from parley.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    ReminderScheduled,
    SlotSet,
    UserUttered,
)
from parley.core.tracker import ACTION_LISTEN, Tracker
from parley.dialogue.actions import ActionContext
from parley.dialogue.remote_action import RemoteAction
from parley.dialogue.responses import ResponseGenerator
from parley.dialogue.slots import initial_slot_values
from parley.errors import ActionError, ActionRejectedError, ActionServerError
from parley.project.domain_file import DomainAssembler, DomainFile
from parley.project.schema import validate_file
from parley.project.source_map import SourceMap
from parley.project.yaml_file import read_yaml_text

DOMAIN = """
version: "3.1"
intents: [greet, inform]
entities: [name]
slots:
  name: {type: text, mappings: [{type: from_entity, entity: name}]}
  visits: {type: float, initial_value: 0, influence_conversation: false, mappings: [{type: custom}]}
actions: [action_hello, validate_profile_form]
forms:
  profile_form: {required_slots: [name]}
responses:
  utter_greet:
  - text: "Hello {name}!"
    buttons: [{title: "Thanks", payload: /thanks}]
  utter_greet_slack:
  - {text: "Hello on Slack!", channel: slack}
"""


def domain_of(text: str) -> Domain:
    file = read_yaml_text(Path("domain.yml"), textwrap.dedent(text))
    schema, problems = validate_file(DomainFile, file)
    assert schema is not None, problems
    assembler = DomainAssembler()
    assembler.add(schema, file)
    return assembler.build(SourceMap())


def greeting() -> list[Event]:
    parse = {
        "text": "hi, I'm Ann",
        "intent": {"name": "greet", "confidence": 0.97},
        "entities": [{"entity": "name", "value": "Ann", "start": 8, "end": 11}],
    }
    return [
        ActionExecuted(name=ACTION_LISTEN),
        UserUttered(text="hi, I'm Ann", parse_data=parse, input_channel="rest"),
        SlotSet(name="name", value="Ann"),
    ]


def run_remote(
    handler: Any, *, channel: str | None = None, events: list[Event] | None = None
) -> tuple[list[Event], FakeActionServer]:
    domain = domain_of(DOMAIN)
    server = FakeActionServer({"action_hello": handler})
    context = ActionContext(
        domain=domain,
        responses=ResponseGenerator(domain, seed=0),
        action_client=server,
        channel=channel,
    )
    tracker = Tracker("ann", initial_slot_values(domain), greeting() if events is None else events)
    return RemoteAction("action_hello").run(tracker, context), server


# -- the request ---------------------------------------------------------------------------


def test_the_request_names_the_action_and_carries_the_tracker_domain_and_version() -> None:
    _, server = run_remote(answers())
    [request] = server.requests
    assert set(request) == {"next_action", "sender_id", "tracker", "domain", "version"}
    assert request["next_action"] == "action_hello"
    assert request["sender_id"] == "ann"
    assert request["version"] == "3.6.0"


def test_the_request_tracker_is_rasas_current_state_with_every_event() -> None:
    _, server = run_remote(answers())
    tracker = server.requests[0]["tracker"]
    assert tracker["sender_id"] == "ann"
    assert tracker["slots"]["name"] == "Ann"
    assert tracker["slots"]["visits"] == 0
    assert tracker["latest_message"]["intent"] == {"name": "greet", "confidence": 0.97}
    assert tracker["latest_message"]["entities"][0]["value"] == "Ann"
    assert tracker["latest_input_channel"] == "rest"
    assert tracker["latest_action_name"] == ACTION_LISTEN
    assert tracker["paused"] is False
    assert tracker["active_loop"] == {}
    assert [e["event"] for e in tracker["events"]] == ["action", "user", "slot"]
    assert tracker["events"][2] == {
        "event": "slot",
        "timestamp": tracker["events"][2]["timestamp"],
        "name": "name",
        "value": "Ann",
    }


def test_the_request_domain_is_rasas_domain_dictionary() -> None:
    _, server = run_remote(answers())
    domain = server.requests[0]["domain"]
    assert domain["intents"] == ["greet", "inform"]
    assert domain["actions"] == ["action_hello", "validate_profile_form"]
    assert domain["forms"] == {"profile_form": {"required_slots": ["name"]}}
    assert domain["config"] == {"store_entities_as_slots": True}
    # rasa-sdk's FormValidationAction reads every slot's initial value and influence.
    assert domain["slots"]["visits"]["initial_value"] == 0
    assert domain["slots"]["visits"]["influence_conversation"] is False
    assert domain["slots"]["requested_slot"]["type"] == "text"
    assert domain["responses"]["utter_greet"][0]["text"] == "Hello {name}!"


def test_without_an_action_server_a_custom_action_fails_naming_the_setting() -> None:
    domain = domain_of(DOMAIN)
    context = ActionContext(domain=domain, responses=ResponseGenerator(domain))
    tracker = Tracker("ann", initial_slot_values(domain), greeting())
    with pytest.raises(ActionServerError, match="action_endpoint") as raised:
        RemoteAction("action_hello").run(tracker, context)
    assert "PARLEY_ACTION_ENDPOINT" in str(raised.value)


# -- the reply: responses ------------------------------------------------------------------


def bots(events: list[Event]) -> list[BotUttered]:
    return [e for e in events if isinstance(e, BotUttered)]


def responding(*responses: dict[str, Any]) -> Any:
    return lambda request: {"events": [], "responses": list(responses)}


def test_a_text_response_becomes_a_bot_event() -> None:
    events, _ = run_remote(responding({"text": "Hi there"}))
    assert [(e.text, e.data) for e in bots(events)] == [
        (
            "Hi there",
            dict.fromkeys(
                ("buttons", "image", "custom", "attachment", "elements", "quick_replies")
            ),
        )
    ]


def test_a_response_key_says_the_domain_response_filled_with_the_slots() -> None:
    events, _ = run_remote(responding({"response": "utter_greet"}))
    [said] = bots(events)
    assert said.text == "Hello Ann!"
    assert said.data["buttons"] == [{"title": "Thanks", "payload": "/thanks"}]
    assert said.metadata["utter_action"] == "utter_greet"


def test_values_passed_with_a_response_fill_its_placeholders_even_called_name() -> None:
    # rasa-sdk: dispatcher.utter_message(response="utter_greet", name="Sara") sends every
    # key of the message, the empty ones too.
    sdk_message: dict[str, Any] = {
        "text": None,
        "buttons": [],
        "elements": [],
        "custom": {},
        "template": "utter_greet",
        "response": "utter_greet",
        "image": None,
        "attachment": None,
        "name": "Sara",
    }
    events, _ = run_remote(responding(sdk_message))
    [said] = bots(events)
    assert said.text == "Hello Sara!"
    assert said.data["buttons"] == [{"title": "Thanks", "payload": "/thanks"}]


def test_the_old_template_key_names_a_domain_response_too() -> None:
    events, _ = run_remote(responding({"template": "utter_greet"}))
    assert [e.text for e in bots(events)] == ["Hello Ann!"]


def test_buttons_sent_with_a_response_are_added_to_its_own() -> None:
    events, _ = run_remote(
        responding({"response": "utter_greet", "buttons": [{"title": "Bye", "payload": "/bye"}]})
    )
    [said] = bots(events)
    assert said.data["buttons"] == [
        {"title": "Thanks", "payload": "/thanks"},
        {"title": "Bye", "payload": "/bye"},
    ]


def test_a_response_with_no_variation_for_the_channel_says_nothing() -> None:
    events, _ = run_remote(responding({"response": "utter_greet_slack"}), channel="rest")
    assert bots(events) == []
    events, _ = run_remote(responding({"response": "utter_greet_slack"}), channel="slack")
    assert [e.text for e in bots(events)] == ["Hello on Slack!"]


def test_rich_parts_of_a_response_are_kept() -> None:
    events, _ = run_remote(
        responding(
            {
                "text": "Look",
                "image": "https://example.com/cat.png",
                "json_message": {"kind": "carousel"},
                "quick_replies": [{"title": "More"}],
            }
        )
    )
    [said] = bots(events)
    assert said.message() == {
        "text": "Look",
        "image": "https://example.com/cat.png",
        "custom": {"kind": "carousel"},
        "quick_replies": [{"title": "More"}],
    }


# -- the reply: events ---------------------------------------------------------------------


def test_the_reply_events_are_read_as_rasa_events_after_the_bot_events() -> None:
    def handler(request: Request) -> dict[str, Any]:
        return {
            "events": [
                slot_set("visits", 3),
                active_loop("profile_form"),
                followup("utter_greet"),
                {
                    "event": "reminder",
                    "timestamp": None,
                    "intent": "remind",
                    "date_time": "2030-01-01T10:00:00+00:00",
                    "entities": None,
                    "name": "r1",
                    "kill_on_user_msg": False,
                },
            ],
            "responses": [{"text": "Done"}],
        }

    events, _ = run_remote(handler)
    assert [type(e) for e in events] == [
        BotUttered,
        SlotSet,
        ActiveLoop,
        FollowupAction,
        ReminderScheduled,
    ]
    slot, loop, next_action, reminder = events[1:]
    assert isinstance(slot, SlotSet)
    assert (slot.name, slot.value) == ("visits", 3)
    assert isinstance(loop, ActiveLoop)
    assert loop.name == "profile_form"
    assert isinstance(next_action, FollowupAction)
    assert next_action.name == "utter_greet"
    assert isinstance(reminder, ReminderScheduled)
    assert reminder.kill_on_user_message is False


def test_rasa_2_form_events_are_read_as_active_loop_events() -> None:
    events, _ = run_remote(answers({"event": "form", "timestamp": None, "name": "profile_form"}))
    assert [type(e) for e in events] == [ActiveLoop]


def test_an_event_parley_cannot_read_is_an_action_error_naming_the_action() -> None:
    with pytest.raises(ActionError, match="action_hello") as raised:
        run_remote(answers({"event": "teleport", "timestamp": None}))
    assert "teleport" in str(raised.value)


@pytest.mark.parametrize(
    "reply",
    [["not", "an", "object"], {"events": [], "responses": "hi"}, {"responses": ["hi"]}],
    ids=["a list", "responses not a list", "a response not an object"],
)
def test_a_reply_that_is_not_the_protocols_is_an_action_server_error(reply: Any) -> None:
    with pytest.raises(ActionServerError, match="action_hello"):
        run_remote(lambda request: reply)


def test_an_empty_reply_gives_no_events() -> None:
    events, _ = run_remote(lambda request: {})
    assert events == []


# -- errors of the server ------------------------------------------------------------------


def test_a_refusal_is_raised_as_a_rejection() -> None:
    with pytest.raises(ActionRejectedError, match="not now") as raised:
        run_remote(rejects("not now"))
    assert raised.value.action_name == "action_hello"


def test_a_server_that_is_down_is_raised_as_an_action_server_error() -> None:
    with pytest.raises(ActionServerError, match="timed out"):
        run_remote(fails("timed out after 10 s"))


def test_an_action_the_server_does_not_know_is_an_action_server_error() -> None:
    domain = domain_of(DOMAIN)
    context = ActionContext(
        domain=domain, responses=ResponseGenerator(domain), action_client=FakeActionServer()
    )
    tracker = Tracker("ann", initial_slot_values(domain), greeting())
    with pytest.raises(ActionServerError, match="action_hello"):
        RemoteAction("action_hello").run(tracker, context)
