"""Responses as Rasa's templated NLG says them: which variation (channel, conditions, chance),
what fills its ``{placeholders}``, and the ``bot`` event a response action logs."""

from __future__ import annotations

import logging
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from parley.core.domain import Domain
from parley.core.events import BotUttered, SlotSet
from parley.core.tracker import Tracker
from parley.dialogue.actions import ActionContext, ResponseAction
from parley.dialogue.responses import ResponseGenerator
from parley.dialogue.slots import initial_slot_values
from parley.project.domain_file import DomainAssembler, DomainFile
from parley.project.schema import validate_file
from parley.project.source_map import SourceMap
from parley.project.yaml_file import read_yaml_text


def domain_of(text: str) -> Domain:
    file = read_yaml_text(Path("domain.yml"), textwrap.dedent(text))
    schema, problems = validate_file(DomainFile, file)
    assert schema is not None, problems
    assembler = DomainAssembler()
    assembler.add(schema, file)
    built = assembler.build(SourceMap())
    assert not [p for p in [*problems, *assembler.problems] if p.is_error]
    return built


def generate(
    text: str, name: str, slots: dict[str, Any] | None = None, channel: str | None = None
) -> dict[str, Any] | None:
    return ResponseGenerator(domain_of(text), seed=0).generate(name, slots or {}, channel)


def said_text(text: str, name: str, slots: dict[str, Any], channel: str | None = None) -> str:
    message = generate(text, name, slots, channel)
    assert message is not None
    return str(message["text"])


# -- the message ---------------------------------------------------------------------------


def test_an_unknown_response_gives_no_message() -> None:
    assert generate("responses: {utter_hi: [{text: Hi}]}", "utter_bye") is None


def test_a_variation_gives_its_text_and_rich_parts() -> None:
    message = generate(
        """
        responses:
          utter_menu:
          - id: menu_1
            text: "Pick one"
            image: "https://example.com/menu.png"
            buttons:
            - title: Pizza
              payload: /order
            custom:
              blocks: [{type: divider}]
            quick_replies:
            - title: Later
            metadata:
              rephrase: true
        """,
        "utter_menu",
    )
    assert message == {
        "text": "Pick one",
        "image": "https://example.com/menu.png",
        "buttons": [{"title": "Pizza", "payload": "/order"}],
        "custom": {"blocks": [{"type": "divider"}]},
        "quick_replies": [{"title": "Later"}],
        "id": "menu_1",
        "metadata": {"rephrase": True},
    }


def test_a_variation_without_buttons_gives_no_buttons_key() -> None:
    assert generate("responses: {utter_hi: [{text: Hi}]}", "utter_hi") == {"text": "Hi"}


def test_variations_are_picked_at_random_and_a_seed_repeats_the_picks() -> None:
    domain = domain_of(
        """
        responses:
          utter_hi:
          - text: Hi
          - text: Hello
          - text: Hey
        """
    )

    def picks(seed: int) -> list[str]:
        generator = ResponseGenerator(domain, seed=seed)
        return [str((generator.generate("utter_hi", {}) or {})["text"]) for _ in range(60)]

    assert picks(3) == picks(3)
    counts = Counter(picks(3))
    assert set(counts) == {"Hi", "Hello", "Hey"}
    assert min(counts.values()) >= 5


# -- channels and conditions ---------------------------------------------------------------

CHANNELS = """
responses:
  utter_ask_game:
  - text: "Which game on Slack?"
    channel: slack
  - text: "Which game?"
"""


@pytest.mark.parametrize(
    ("channel", "expected"),
    [("slack", "Which game on Slack?"), ("socketio", "Which game?"), (None, "Which game?")],
)
def test_a_channel_gets_its_own_variation_and_others_the_general_one(
    channel: str | None, expected: str
) -> None:
    assert said_text(CHANNELS, "utter_ask_game", {}, channel) == expected


def test_a_response_only_for_another_channel_gives_no_message() -> None:
    text = "responses: {utter_hi: [{text: Hi, channel: slack}]}"
    assert generate(text, "utter_hi", channel="rest") is None


CONDITIONS = """
slots:
  logged_in: {type: bool, mappings: [{type: custom}]}
  tier: {type: text, mappings: [{type: custom}]}
responses:
  utter_greet:
  - condition:
    - type: slot
      name: logged_in
      value: true
    text: "Welcome back!"
  - text: "Welcome."
"""


@pytest.mark.parametrize(
    ("logged_in", "expected"),
    [(True, "Welcome back!"), (False, "Welcome."), (None, "Welcome."), ("true", "Welcome.")],
)
def test_a_conditional_variation_is_said_when_its_slot_equals_the_value(
    logged_in: Any, expected: str
) -> None:
    # Rasa compares with ==: the string "true" is not the boolean true.
    assert said_text(CONDITIONS, "utter_greet", {"logged_in": logged_in}) == expected


def test_every_constraint_of_a_condition_must_hold() -> None:
    text = """
        slots:
          logged_in: {type: bool, mappings: [{type: custom}]}
          tier: {type: text, mappings: [{type: custom}]}
        responses:
          utter_greet:
          - condition:
            - {type: slot, name: logged_in, value: true}
            - {type: slot, name: tier, value: gold}
            text: "Welcome back, gold member!"
          - text: "Welcome."
        """
    assert said_text(text, "utter_greet", {"logged_in": True, "tier": "gold"}) == (
        "Welcome back, gold member!"
    )
    assert said_text(text, "utter_greet", {"logged_in": True, "tier": "silver"}) == "Welcome."


def test_every_conditional_variation_that_holds_is_a_candidate() -> None:
    domain = domain_of(
        """
        slots:
          logged_in: {type: bool, mappings: [{type: custom}]}
          upgrade: {type: bool, mappings: [{type: custom}]}
        responses:
          utter_greet:
          - condition: [{type: slot, name: logged_in, value: true}]
            text: "Nice to see you again"
          - condition: [{type: slot, name: upgrade, value: true}]
            text: "You can upgrade"
          - text: "Welcome."
        """
    )
    generator = ResponseGenerator(domain, seed=1)
    slots = {"logged_in": True, "upgrade": True}
    said = {str((generator.generate("utter_greet", slots) or {})["text"]) for _ in range(40)}
    assert said == {"Nice to see you again", "You can upgrade"}


PRIORITY = """
slots:
  vip: {type: bool, mappings: [{type: custom}]}
responses:
  utter_hi:
  - {text: "vip on slack", channel: slack, condition: [{type: slot, name: vip, value: true}]}
  - {text: "anyone on slack", channel: slack}
  - {text: "vip anywhere", condition: [{type: slot, name: vip, value: true}]}
  - {text: "anyone anywhere"}
"""


@pytest.mark.parametrize(
    ("vip", "channel", "expected"),
    [
        (True, "slack", "vip on slack"),
        (False, "slack", "anyone on slack"),
        (True, "rest", "vip anywhere"),
        (False, "rest", "anyone anywhere"),
    ],
)
def test_variations_are_chosen_in_rasas_order_of_channel_and_condition(
    vip: bool, channel: str, expected: str
) -> None:
    assert said_text(PRIORITY, "utter_hi", {"vip": vip}, channel) == expected


def test_a_conditional_variation_beats_a_general_one_when_the_channel_has_none() -> None:
    # Rasa's third choice (conditional, no channel) comes before its fourth.
    text = """
        slots:
          vip: {type: bool, mappings: [{type: custom}]}
        responses:
          utter_hi:
          - text: "vip on slack"
            channel: slack
            condition: [{type: slot, name: vip, value: true}]
          - {text: "vip anywhere", condition: [{type: slot, name: vip, value: true}]}
          - {text: "anyone anywhere"}
        """
    assert said_text(text, "utter_hi", {"vip": True}, "rest") == "vip anywhere"


def test_a_channel_whose_only_variation_does_not_hold_falls_back_to_the_general_one() -> None:
    text = """
        slots:
          vip: {type: bool, mappings: [{type: custom}]}
        responses:
          utter_hi:
          - text: "vip on slack"
            channel: slack
            condition: [{type: slot, name: vip, value: true}]
          - {text: "anyone anywhere"}
        """
    assert said_text(text, "utter_hi", {"vip": False}, "slack") == "anyone anywhere"


# -- placeholders --------------------------------------------------------------------------

FILLED = """
slots:
  name: {type: text, mappings: [{type: custom}]}
  city: {type: text, mappings: [{type: custom}]}
  people: {type: float, mappings: [{type: custom}]}
responses:
  utter_confirm:
  - text: "{name}, a table for {people} in {city}?"
    image: "https://maps.example.com/{city}.png"
    buttons:
    - title: "Yes, {city}"
      payload: '/affirm{{"city": "{city}"}}'
    custom:
      summary: {who: "{name}", where: ["{city}"]}
"""


def test_slots_fill_the_placeholders_of_text_image_buttons_and_custom() -> None:
    slots = {"name": "Ann", "city": "Lyon", "people": 4.0}
    assert generate(FILLED, "utter_confirm", slots) == {
        "text": "Ann, a table for 4.0 in Lyon?",
        "image": "https://maps.example.com/Lyon.png",
        "buttons": [{"title": "Yes, Lyon", "payload": '/affirm{"city": "Lyon"}'}],
        "custom": {"summary": {"who": "Ann", "where": ["Lyon"]}},
    }


def test_values_a_custom_action_passes_win_over_the_slots() -> None:
    generator = ResponseGenerator(domain_of(FILLED), seed=0)
    message = generator.generate(
        "utter_confirm", {"name": "Ann", "city": "Lyon", "people": 2}, name="Sara"
    )
    assert message is not None
    assert message["text"] == "Sara, a table for 2 in Lyon?"


def test_an_empty_slot_is_written_as_none() -> None:
    assert said_text(FILLED, "utter_confirm", {"name": None, "city": "Lyon", "people": 2}) == (
        "None, a table for 2 in Lyon?"
    )


def test_a_placeholder_without_a_value_is_left_as_written_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = "responses: {utter_hi: [{text: 'Hi {nickname}, from {city}'}]}"
    with caplog.at_level(logging.WARNING, logger="parley.dialogue.responses"):
        said = said_text(text, "utter_hi", {"city": "Oslo"})
    assert said == "Hi {nickname}, from Oslo"
    assert "nickname" in caplog.text


def test_doubled_braces_write_single_braces_as_in_rasa() -> None:
    # Rasa's documented button payload: `/intent{{"entity": "value"}}` in domain.yml.
    text = """
        responses:
          utter_insurance:
          - text: "Which one? {{name}} is not a placeholder"
            buttons:
            - title: Motor
              payload: '/inform{{"insurance":"motor"}}'
        """
    message = generate(text, "utter_insurance", {"name": "Ann"})
    assert message == {
        "text": "Which one? {name} is not a placeholder",
        "buttons": [{"title": "Motor", "payload": '/inform{"insurance":"motor"}'}],
    }


# -- the response action -------------------------------------------------------------------


def context_for(domain: Domain, channel: str | None = None) -> ActionContext:
    return ActionContext(
        domain=domain, responses=ResponseGenerator(domain, seed=0), channel=channel
    )


def test_a_response_action_logs_one_bot_event_with_the_message() -> None:
    domain = domain_of(FILLED)
    tracker = Tracker(
        "ann",
        initial_slot_values(domain),
        [SlotSet(name="name", value="Ann"), SlotSet(name="city", value="Lyon")],
    )
    events = ResponseAction("utter_confirm").run(tracker, context_for(domain))
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, BotUttered)
    assert event.text == "Ann, a table for None in Lyon?"
    assert event.data["buttons"] == [{"title": "Yes, Lyon", "payload": '/affirm{"city": "Lyon"}'}]
    assert event.data["image"] == "https://maps.example.com/Lyon.png"
    assert event.metadata["utter_action"] == "utter_confirm"
    assert event.message() == {
        "text": "Ann, a table for None in Lyon?",
        "image": "https://maps.example.com/Lyon.png",
        "buttons": [{"title": "Yes, Lyon", "payload": '/affirm{"city": "Lyon"}'}],
        "custom": {"summary": {"who": "Ann", "where": ["Lyon"]}},
    }


def test_a_response_action_keeps_the_variation_id_and_metadata_in_the_event_metadata() -> None:
    domain = domain_of("responses: {utter_hi: [{id: hi_1, text: Hi, metadata: {rephrase: true}}]}")
    tracker = Tracker("ann", initial_slot_values(domain))
    [event] = ResponseAction("utter_hi").run(tracker, context_for(domain))
    assert isinstance(event, BotUttered)
    assert event.metadata == {"id": "hi_1", "rephrase": True, "utter_action": "utter_hi"}
    assert event.message() == {"text": "Hi"}


def test_a_response_action_uses_the_variation_of_the_message_channel() -> None:
    domain = domain_of(CHANNELS)
    tracker = Tracker("ann", initial_slot_values(domain))
    [event] = ResponseAction("utter_ask_game").run(tracker, context_for(domain, "slack"))
    assert isinstance(event, BotUttered)
    assert event.text == "Which game on Slack?"


def test_a_response_action_with_nothing_for_the_channel_says_nothing_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    domain = domain_of("responses: {utter_hi: [{text: Hi, channel: slack}]}")
    tracker = Tracker("ann", initial_slot_values(domain))
    with caplog.at_level(logging.WARNING, logger="parley.dialogue.actions"):
        events = ResponseAction("utter_hi").run(tracker, context_for(domain, "rest"))
    assert events == []
    assert "utter_hi" in caplog.text
