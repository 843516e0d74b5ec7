"""Reading domain files: every part of the format, several files merged, and Rasa 2.x domains
converted the way ``rasa data migrate`` converts them."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.core.domain import (
    Action,
    Button,
    Domain,
    Entity,
    Form,
    Intent,
    MappingCondition,
    MappingType,
    SessionConfig,
    SlotMapping,
    SlotType,
)
from parley.core.problem import Problem
from parley.project.domain_file import DomainAssembler, DomainFile, slot_type
from parley.project.schema import validate_file
from parley.project.source_map import SourceMap
from parley.project.yaml_file import read_yaml_text


def assemble(*texts: str) -> tuple[Domain, list[Problem], SourceMap]:
    assembler = DomainAssembler()
    problems: list[Problem] = []
    for number, text in enumerate(texts, start=1):
        file = read_yaml_text(Path(f"domain/part{number}.yml"), text)
        schema, found = validate_file(DomainFile, file)
        problems.extend(found)
        assert schema is not None, found
        assembler.add(schema, file)
    sources = SourceMap()
    domain = assembler.build(sources)
    return domain, [*problems, *assembler.problems], sources


FULL_3X = """\
version: "3.1"
intents:
  - greet
  - inform:
      use_entities: [city]
  - chitchat:
      ignore_entities: [city]
entities:
  - city:
      roles: [from, to]
      groups: [1]
  - mood:
      influence_conversation: false
slots:
  city:
    type: text
    mappings:
      - type: from_entity
        entity: city
        role: from
        conditions:
          - active_loop: travel_form
            requested_slot: city
  count:
    type: float
    min_value: 1
    max_value: 9
    initial_value: 2
    mappings:
      - type: from_intent
        intent: inform
        not_intent: [chitchat]
        value: 1
  size:
    type: categorical
    values: [small, large]
    influence_conversation: false
    mappings:
      - type: custom
        action: action_size
responses:
  utter_greet:
    - text: "Hi {city}!"
      buttons:
        - title: Yes
          payload: /affirm
          type: postback
      condition:
        - type: slot
          name: size
          value: small
      channel: rest
      quick_replies: [a, b]
    - image: https://example.org/x.png
actions:
  - action_size
  - action_lookup:
      send_domain: true
forms:
  travel_form:
    required_slots: [city]
    ignored_intents: chitchat
e2e_actions:
  - Hello there
session_config:
  session_expiration_time: 0
  carry_over_slots_to_new_session: false
config:
  store_entities_as_slots: false
"""


def test_every_part_of_a_3x_domain_is_read() -> None:
    domain, problems, _ = assemble(FULL_3X)
    assert problems == []
    assert domain.intents == [
        Intent(name="greet"),
        Intent(name="inform", use_entities=["city"]),
        Intent(name="chitchat", ignore_entities=["city"]),
    ]
    assert domain.entities == [
        Entity(name="city", roles=["from", "to"], groups=["1"]),
        Entity(name="mood", influence_conversation=False),
    ]
    city, count, size = domain.slots
    assert city.type is SlotType.TEXT
    assert city.mappings == [
        SlotMapping(
            type=MappingType.FROM_ENTITY,
            entity="city",
            role="from",
            conditions=[MappingCondition(active_loop="travel_form", requested_slot="city")],
        )
    ]
    assert (count.min_value, count.max_value, count.initial_value) == (1.0, 9.0, 2)
    assert count.mappings[0].intent == ["inform"]
    assert count.mappings[0].not_intent == ["chitchat"]
    assert size.values == ["small", "large"]
    assert size.influence_conversation is False
    assert size.mappings == [SlotMapping(type=MappingType.CUSTOM, action="action_size")]
    first, second = domain.responses["utter_greet"]
    assert first.text == "Hi {city}!"
    # YAML 1.2, as Rasa reads it: `Yes` is a string, not a boolean.
    assert first.buttons == [Button(title="Yes", payload="/affirm", type="postback")]
    assert first.channel == "rest"
    assert first.condition[0].name == "size"
    assert first.model_extra == {"quick_replies": ["a", "b"]}
    assert second.image == "https://example.org/x.png"
    assert domain.actions == [
        Action(name="action_size"),
        Action(name="action_lookup", send_domain=True),
    ]
    assert domain.forms == [
        Form(name="travel_form", required_slots=["city"], ignored_intents=["chitchat"])
    ]
    assert domain.e2e_actions == ["Hello there"]
    assert domain.session_config == SessionConfig(
        session_expiration_time=0, carry_over_slots_to_new_session=False
    )
    assert domain.store_entities_as_slots is False


def test_defaults_follow_rasa() -> None:
    domain, problems, _ = assemble("slots:\n  a:\n    type: any\n    mappings: []\n")
    assert problems == []
    # `any` slots cannot influence the conversation; the session defaults are Rasa's.
    assert domain.slots[0].influence_conversation is False
    assert domain.session_config == SessionConfig()
    assert domain.store_entities_as_slots is True


def test_files_of_a_domain_folder_are_merged_and_a_second_definition_is_reported() -> None:
    domain, problems, sources = assemble(
        "intents: [greet]\nresponses:\n  utter_greet:\n  - text: hi\n",
        "intents: [bye, greet]\nresponses:\n  utter_greet:\n  - text: hello\n",
    )
    assert domain.intent_names == ["greet", "bye"]
    assert domain.responses["utter_greet"][0].text == "hi"
    duplicates = [p for p in problems if p.code == "duplicate-definition"]
    assert [str(p.location) for p in duplicates] == [
        "domain/part2.yml:1:16",
        "domain/part2.yml:3:3",
    ]
    assert "domain/part1.yml:1:11" in duplicates[0].message
    assert str(sources.locate(("domain", "intents", 1))) == "domain/part2.yml:1:11"


def test_locations_reach_inside_slots_forms_and_responses() -> None:
    _, _, sources = assemble(FULL_3X)
    slot_path = ("domain", "slots", 1)
    assert str(sources.locate(slot_path)) == "domain/part1.yml:24:3"
    assert str(sources.locate((*slot_path, "min_value"))) == "domain/part1.yml:26:5"
    mapping = (*slot_path, "mappings", 0, "not_intent")
    assert str(sources.locate(mapping)) == "domain/part1.yml:32:9"
    condition = ("domain", "responses", "utter_greet", 0, "condition", 0)
    assert str(sources.locate(condition)) == "domain/part1.yml:49:11"
    assert str(sources.locate(("domain", "forms", 0, "required_slots", 0))) == (
        "domain/part1.yml:61:22"
    )


LEGACY_2X = """\
version: "2.0"
entities: [city, date]
slots:
  city:
    type: rasa.shared.core.slots.TextSlot
  date:
    type: unfeaturized
    auto_fill: false
  confirm:
    type: bool
  note:
    type: text
forms:
  trip_form:
    required_slots:
      city:
        - type: from_entity
          entity: city
        - type: from_text
          not_intent: stop
      confirm:
        - type: from_intent
          intent: affirm
          value: true
"""


def test_a_2x_domain_is_converted_as_rasa_data_migrate_does() -> None:
    domain, problems, _ = assemble(LEGACY_2X)
    assert [p.code for p in problems] == ["legacy-format"]
    assert not problems[0].is_error
    city = domain.slot("city")
    assert city is not None
    assert city.type is SlotType.TEXT
    # Form mappings get the form as condition; from_text also the requested slot. The
    # form's from_entity mapping and auto_fill's are the same mapping, so it appears once
    # with the form condition, and auto_fill adds the unconditional one.
    assert city.mappings == [
        SlotMapping(
            type=MappingType.FROM_ENTITY,
            entity="city",
            conditions=[MappingCondition(active_loop="trip_form")],
        ),
        SlotMapping(
            type=MappingType.FROM_TEXT,
            not_intent=["stop"],
            conditions=[MappingCondition(active_loop="trip_form", requested_slot="city")],
        ),
        SlotMapping(type=MappingType.FROM_ENTITY, entity="city"),
    ]
    date = domain.slot("date")
    assert date is not None
    # unfeaturized → any, not influencing; auto_fill: false → no entity mapping, so custom
    assert (date.type, date.influence_conversation) == (SlotType.ANY, False)
    assert date.mappings == [SlotMapping(type=MappingType.CUSTOM)]
    confirm = domain.slot("confirm")
    assert confirm is not None
    assert confirm.mappings[0].value is True
    assert confirm.mappings[0].conditions == [
        MappingCondition(active_loop="trip_form", requested_slot="confirm")
    ]
    note = domain.slot("note")
    assert note is not None
    assert note.mappings == [SlotMapping(type=MappingType.CUSTOM)]
    assert domain.forms == [Form(name="trip_form", required_slots=["city", "confirm"])]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("text", SlotType.TEXT),
        ("rasa.shared.core.slots.BooleanSlot", SlotType.BOOL),
        ("rasa.core.slots.CategoricalSlot", SlotType.CATEGORICAL),
        ("FloatSlot", SlotType.FLOAT),
        ("list", SlotType.LIST),
        ("unfeaturized", SlotType.ANY),
        ("banana", None),
    ],
)
def test_slot_types_accept_rasa_2_class_paths(written: str, expected: SlotType | None) -> None:
    assert slot_type(written) is expected


def test_an_entry_with_two_names_is_reported() -> None:
    file = read_yaml_text(Path("domain.yml"), "intents:\n  - a: {}\n    b: {}\n")
    schema, problems = validate_file(DomainFile, file)
    assert problems == []
    assert schema is not None
    assembler = DomainAssembler()
    assembler.add(schema, file)
    (problem,) = assembler.problems
    assert problem.code == "invalid-value"
    assert str(problem.location) == "domain.yml:2:5"
    assert "exactly one key" in problem.message


def test_triggers_of_rasa_2_are_ignored_with_a_warning() -> None:
    domain, problems, _ = assemble("intents:\n  - greet:\n      triggers: utter_greet\n")
    assert domain.intent_names == ["greet"]
    (warning,) = problems
    assert warning.code == "deprecated-key"
    assert str(warning.location) == "domain/part1.yml:3:7"
