"""Stories and rules as the events a conversation following them would log."""

from __future__ import annotations

from typing import Any

from tests.unit.dialogue.builders import read_data

from parley.core.domain import Slot, SlotType
from parley.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from parley.dialogue.story_events import (
    MAX_CONVERSATIONS,
    SET_WITHOUT_VALUE,
    rule_conversation,
    story_conversations,
)


def shown(events: list[Event]) -> list[str]:
    """Events as short strings: ``listen``, ``user:intent``, ``user:'text'``, action
    names, ``slot:name=value``, ``loop:name``."""
    out: list[str] = []
    for event in events:
        if isinstance(event, ActionExecuted):
            out.append(
                "listen" if event.name == "action_listen" else str(event.name or event.action_text)
            )
        elif isinstance(event, UserUttered):
            out.append(f"user:{event.intent_name}" if event.intent_name else f"user:{event.text!r}")
        elif isinstance(event, SlotSet):
            out.append(f"slot:{event.name}={event.value}")
        elif isinstance(event, ActiveLoop):
            out.append(f"loop:{event.name}")
    return out


def stories(yaml: str, interpret: Any = None) -> list[list[str]]:
    found, _ = read_data(yaml)
    return sorted(shown(run) for run in story_conversations(found, interpret))


def rules(yaml: str) -> list[list[str]]:
    _, found = read_data(yaml)
    return [shown(run) for rule in found for run in rule_conversation(rule)]


def test_a_story_listens_before_each_user_turn_and_at_its_end() -> None:
    assert stories(
        """
stories:
- story: s
  steps:
  - intent: greet
  - action: utter_greet
  - slot_was_set:
    - name: Ada
  - active_loop: form
  - intent: bye
  - intent: thanks
  - action: utter_bye
  - active_loop: null
"""
    ) == [
        [
            "listen",
            "user:greet",
            "utter_greet",
            "slot:name=Ada",
            "loop:form",
            "listen",
            "user:bye",
            "listen",  # two user messages in a row: the bot listened in between
            "user:thanks",
            "utter_bye",
            "loop:None",
            "listen",  # the story is over: the bot waits for the user (as in Rasa)
        ]
    ]


def test_a_story_ending_in_action_listen_gets_no_second_one() -> None:
    assert stories(
        """
stories:
- story: s
  steps:
  - intent: greet
  - action: action_listen
"""
    ) == [["listen", "user:greet", "listen"]]


def test_step_entities_and_bare_slots_become_events() -> None:
    found, _ = read_data(
        """
stories:
- story: s
  steps:
  - intent: inform
    entities:
    - city: Paris
      role: to
    - name
  - slot_was_set:
    - visited
  - action: utter_ok
"""
    )
    run = story_conversations(found)[0]

    message = run[1]
    assert isinstance(message, UserUttered)
    assert message.entities == [
        {"entity": "city", "value": "Paris", "role": "to"},
        {"entity": "name", "value": SET_WITHOUT_VALUE},
    ]
    assert shown(run)[2] == f"slot:visited={SET_WITHOUT_VALUE}"


def test_a_story_ending_in_a_checkpoint_continues_in_each_story_starting_with_it() -> None:
    assert stories(
        """
stories:
- story: start
  steps:
  - intent: greet
  - action: utter_greet
  - checkpoint: greeted
- story: happy
  steps:
  - checkpoint: greeted
  - intent: happy
  - action: utter_glad
- story: sad
  steps:
  - checkpoint: greeted
  - intent: sad
  - action: utter_sorry
"""
    ) == [
        ["listen", "user:greet", "utter_greet", "listen", "user:happy", "utter_glad", "listen"],
        ["listen", "user:greet", "utter_greet", "listen", "user:sad", "utter_sorry", "listen"],
    ]


def test_a_checkpoint_with_slot_conditions_continues_only_where_they_hold() -> None:
    assert stories(
        """
stories:
- story: vip
  steps:
  - intent: greet
  - action: action_check
  - slot_was_set:
    - vip: true
  - checkpoint: checked
- story: guest
  steps:
  - intent: hello
  - action: action_check
  - slot_was_set:
    - vip: false
  - checkpoint: checked
- story: for vips
  steps:
  - checkpoint: checked
    slot_was_set:
    - vip: true
  - intent: ask
  - action: utter_lounge
- story: for guests
  steps:
  - checkpoint: checked
    slot_was_set:
    - vip: false
  - intent: ask
  - action: utter_queue
"""
    ) == [
        [
            "listen",
            "user:greet",
            "action_check",
            "slot:vip=True",
            "listen",
            "user:ask",
            "utter_lounge",
            "listen",
        ],
        [
            "listen",
            "user:hello",
            "action_check",
            "slot:vip=False",
            "listen",
            "user:ask",
            "utter_queue",
            "listen",
        ],
    ]


def test_stories_that_only_continue_a_checkpoint_are_not_conversations_of_their_own() -> None:
    found = stories(
        """
stories:
- story: middle
  steps:
  - checkpoint: nowhere
  - intent: ask
  - action: utter_answer
"""
    )

    assert found == []


def test_a_checkpoint_cycle_stays_finite() -> None:
    found = stories(
        """
stories:
- story: start
  steps:
  - intent: greet
  - action: utter_greet
  - checkpoint: loop
- story: again
  steps:
  - checkpoint: loop
  - intent: more
  - action: utter_more
  - checkpoint: loop
"""
    )

    assert len(found) == 1
    assert 1 < found[0].count("utter_more") <= 5


def test_or_steps_fork_a_story() -> None:
    assert stories(
        """
stories:
- story: s
  steps:
  - or:
    - intent: greet
    - intent: hello
  - action: utter_greet
  - or:
    - slot_was_set:
      - mood: good
    - slot_was_set:
      - mood: bad
  - action: utter_ok
"""
    ) == [
        ["listen", "user:greet", "utter_greet", "slot:mood=bad", "utter_ok", "listen"],
        ["listen", "user:greet", "utter_greet", "slot:mood=good", "utter_ok", "listen"],
        ["listen", "user:hello", "utter_greet", "slot:mood=bad", "utter_ok", "listen"],
        ["listen", "user:hello", "utter_greet", "slot:mood=good", "utter_ok", "listen"],
    ]


def test_or_steps_and_checkpoints_combine() -> None:
    found = stories(
        """
stories:
- story: start
  steps:
  - or:
    - intent: greet
    - intent: hello
  - action: utter_greet
  - checkpoint: greeted
- story: next
  steps:
  - checkpoint: greeted
  - or:
    - intent: happy
    - intent: glad
  - action: utter_glad
"""
    )

    assert len(found) == 4
    assert {(run[1], run[4]) for run in found} == {
        ("user:greet", "user:happy"),
        ("user:greet", "user:glad"),
        ("user:hello", "user:happy"),
        ("user:hello", "user:glad"),
    }


def test_or_expansion_is_capped() -> None:
    alternatives = "".join(f"    - intent: i{n}\n" for n in range(10))
    steps = f"  - or:\n{alternatives}  - action: utter_ok\n" * 4  # 10**4 combinations
    found, _ = read_data(f"stories:\n- story: s\n  steps:\n{steps}")

    assert len(story_conversations(found)) == MAX_CONVERSATIONS


E2E = """
stories:
- story: e2e
  steps:
  - user: "I live in [Berlin](city)"
  - bot: "Nice city!"
  - intent: bye
    user: "see you"
  - action: utter_bye
"""


def test_end_to_end_text_without_an_interpreter_stays_text() -> None:
    found, _ = read_data(E2E)
    run = story_conversations(found)[0]

    message = run[1]
    assert isinstance(message, UserUttered)
    assert (message.intent_name, message.text) == (None, "I live in Berlin")
    assert [(e["entity"], e["value"]) for e in message.entities] == [("city", "Berlin")]
    bot = run[2]
    assert isinstance(bot, ActionExecuted)
    assert (bot.name, bot.action_text) == (None, "Nice city!")
    assert shown(run)[3:] == ["listen", "user:bye", "utter_bye", "listen"]


def test_end_to_end_text_gets_the_interpreter_s_intent() -> None:
    asked: list[str] = []

    def interpret(text: str) -> tuple[str | None, list[dict[str, Any]]]:
        asked.append(text)
        return "inform", [{"entity": "found", "value": "by nlu"}]

    found, _ = read_data(E2E)
    run = story_conversations(found, interpret)[0]

    message = run[1]
    assert isinstance(message, UserUttered)
    assert message.intent_name == "inform"
    assert message.text == "I live in Berlin"
    # Entities written in the story win over the interpreter's.
    assert [e["entity"] for e in message.entities] == ["city"]
    # A step that names its intent is not interpreted.
    assert asked == ["I live in Berlin"]
    assert shown(run)[4] == "user:bye"


def test_the_interpreter_s_entities_are_used_when_the_story_gives_none() -> None:
    found, _ = read_data(
        """
stories:
- story: e2e
  steps:
  - user: "hello"
  - action: utter_greet
"""
    )

    run = story_conversations(found, lambda text: ("greet", [{"entity": "e", "value": 1}]))[0]

    message = run[1]
    assert isinstance(message, UserUttered)
    assert (message.intent_name, message.entities) == ("greet", [{"entity": "e", "value": 1}])


def test_a_rule_starts_with_its_conditions_and_ends_listening() -> None:
    assert rules(
        """
rules:
- rule: r
  condition:
  - active_loop: form
  - slot_was_set:
    - vip: true
  steps:
  - intent: chitchat
  - action: utter_chitchat
  - action: form
  - active_loop: form
"""
    ) == [
        [
            "loop:form",
            "slot:vip=True",
            "listen",
            "user:chitchat",
            "utter_chitchat",
            "form",
            "loop:form",
            "listen",
        ]
    ]


def test_a_rule_that_does_not_wait_for_user_input_ends_without_listening() -> None:
    assert rules(
        """
rules:
- rule: r
  wait_for_user_input: false
  steps:
  - intent: greet
  - action: utter_greet
"""
    ) == [["listen", "user:greet", "utter_greet"]]


def test_a_rule_with_or_steps_gives_one_run_per_alternative() -> None:
    assert rules(
        """
rules:
- rule: r
  steps:
  - or:
    - intent: greet
    - intent: hello
  - action: utter_greet
"""
    ) == [
        ["listen", "user:greet", "utter_greet", "listen"],
        ["listen", "user:hello", "utter_greet", "listen"],
    ]


def test_a_user_turn_fills_the_slots_its_entities_map_to() -> None:
    """As Rasa's stories do: a from_entity mapping (not tied to a form) fills its slot
    after the user turn, a list slot with every value; the mapping's role must match."""
    from parley.core.domain import Domain, MappingCondition, MappingType, SlotMapping

    def mapped(name: str, entity: str, **extra: Any) -> Slot:
        kind = extra.pop("kind", SlotType.TEXT)
        conditions = extra.pop("conditions", [])
        mapping = SlotMapping(
            type=MappingType.FROM_ENTITY, entity=entity, conditions=conditions, **extra
        )
        return Slot(name=name, type=kind, mappings=[mapping])

    domain = Domain(
        slots=[
            mapped("city", "city"),
            mapped("cities", "city", kind=SlotType.LIST),
            mapped("origin", "city", role="from"),
            mapped("in_form", "city", conditions=[MappingCondition(active_loop="form")]),
        ]
    )
    found, _ = read_data(
        """
stories:
- story: s
  steps:
  - intent: travel
    entities:
    - city: Berlin
    - city: Paris
  - action: utter_ok
"""
    )
    [run] = story_conversations(found, domain=domain)
    assert shown(run) == [
        "listen",
        "user:travel",
        "slot:city=Paris",
        "slot:cities=['Berlin', 'Paris']",
        "utter_ok",
        "listen",
    ]
    # Without a domain, nothing is added.
    assert shown(story_conversations(found)[0]) == [
        "listen",
        "user:travel",
        "utter_ok",
        "listen",
    ]
