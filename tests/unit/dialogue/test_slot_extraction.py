"""``action_extract_slots``: every kind of slot mapping, their intent filters and conditions,
a form's ignored intents, the unique-entity rule inside forms, and custom mapping actions
on the (fake) action server."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.support.fake_action_server import (
    FakeActionServer,
    answers,
    fails,
    followup,
    reply,
    slot_set,
)

from parley.core.domain import Domain
from parley.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from parley.core.tracker import ACTION_LISTEN, REQUESTED_SLOT, Tracker
from parley.dialogue.actions import ActionContext
from parley.dialogue.responses import ResponseGenerator
from parley.dialogue.slot_extraction import ActionExtractSlots
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


def message(intent: str | None, text: str = "some text", *entities: dict[str, Any]) -> UserUttered:
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
    }
    return UserUttered(text=text, parse_data=parse)


def entity(
    name: str, value: Any, role: str | None = None, group: str | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {"entity": name, "value": value, "start": 0, "end": 1}
    if role is not None:
        found["role"] = role
    if group is not None:
        found["group"] = group
    return found


def extract(
    domain: Domain,
    latest: UserUttered,
    before: list[Event] | None = None,
    server: FakeActionServer | None = None,
) -> dict[str, Any]:
    """The slots ``action_extract_slots`` sets for ``latest`` (name → value)."""
    tracker = Tracker(
        "ann",
        initial_slot_values(domain),
        [*(before or []), ActionExecuted(name=ACTION_LISTEN), latest],
    )
    context = ActionContext(
        domain=domain, responses=ResponseGenerator(domain), action_client=server
    )
    events = ActionExtractSlots("action_extract_slots").run(tracker, context)
    assert all(isinstance(e, SlotSet | BotUttered) for e in events), events
    return {e.name: e.value for e in events if isinstance(e, SlotSet)}


# -- from_entity ---------------------------------------------------------------------------

CITY = """
entities:
  - city:
      roles: [from, to]
      groups: [1, 2]
slots:
  city: {type: text, mappings: [{type: from_entity, entity: city}]}
  cities: {type: list, mappings: [{type: from_entity, entity: city}]}
  departure: {type: text, mappings: [{type: from_entity, entity: city, role: from}]}
  first_city: {type: text, mappings: [{type: from_entity, entity: city, group: "1"}]}
"""


def test_from_entity_fills_the_slot_with_the_entity_value() -> None:
    assert extract(domain_of(CITY), message("inform", "Paris", entity("city", "Paris"))) == {
        "city": "Paris",
        "cities": ["Paris"],
    }


def test_from_entity_takes_the_last_value_and_a_list_slot_takes_them_all() -> None:
    found = extract(
        domain_of(CITY),
        message("inform", "Paris or Rome", entity("city", "Paris"), entity("city", "Rome")),
    )
    assert found["city"] == "Rome"
    assert found["cities"] == ["Paris", "Rome"]


def test_from_entity_without_the_entity_fills_nothing() -> None:
    assert extract(domain_of(CITY), message("inform", "hello")) == {}


def test_from_entity_with_a_role_takes_only_the_entity_with_that_role() -> None:
    found = extract(
        domain_of(CITY),
        message(
            "inform",
            "from Paris to Rome",
            entity("city", "Paris", role="from"),
            entity("city", "Rome", role="to"),
        ),
    )
    assert found == {"departure": "Paris"}


def test_from_entity_without_a_role_ignores_entities_that_have_one() -> None:
    # As Rasa: a mapping matches the entity's role and group exactly, none included.
    found = extract(
        domain_of(CITY),
        message("inform", "to Rome", entity("city", "Rome", role="to")),
    )
    assert found == {}


def test_from_entity_with_a_group_takes_only_the_entity_of_that_group() -> None:
    found = extract(
        domain_of(CITY),
        message("inform", "Paris", entity("city", "Paris", group="1")),
    )
    assert found == {"first_city": "Paris"}


INTENT_FILTERS = """
intents: [inform, chitchat, deny]
entities: [city]
slots:
  only_inform:
    type: text
    mappings: [{type: from_entity, entity: city, intent: inform}]
  not_chitchat:
    type: text
    mappings: [{type: from_entity, entity: city, not_intent: [chitchat, deny]}]
"""


@pytest.mark.parametrize(
    ("intent", "expected"),
    [
        ("inform", {"only_inform": "Oslo", "not_chitchat": "Oslo"}),
        ("chitchat", {}),
        ("greet", {"not_chitchat": "Oslo"}),
    ],
)
def test_from_entity_follows_intent_and_not_intent(intent: str, expected: dict[str, Any]) -> None:
    found = extract(domain_of(INTENT_FILTERS), message(intent, "Oslo", entity("city", "Oslo")))
    assert found == expected


# -- from_text, from_intent ----------------------------------------------------------------

TEXT_AND_INTENT = """
intents: [inform, affirm, deny, chitchat]
slots:
  feedback:
    type: text
    mappings: [{type: from_text, not_intent: chitchat}]
  note:
    type: text
    mappings: [{type: from_text, intent: inform}]
  agreed:
    type: bool
    mappings:
    - {type: from_intent, intent: affirm, value: true}
    - {type: from_intent, intent: deny, value: false}
  answered:
    type: any
    mappings: [{type: from_intent, value: yes, not_intent: chitchat}]
"""


def test_from_text_fills_the_slot_with_the_message_text() -> None:
    found = extract(domain_of(TEXT_AND_INTENT), message("inform", "The soup was cold"))
    assert found["feedback"] == "The soup was cold"
    assert found["note"] == "The soup was cold"


def test_from_text_follows_intent_and_not_intent() -> None:
    found = extract(domain_of(TEXT_AND_INTENT), message("chitchat", "how are you"))
    assert "feedback" not in found
    assert "note" not in found


@pytest.mark.parametrize(("intent", "agreed"), [("affirm", True), ("deny", False)])
def test_from_intent_fills_the_value_of_the_mapping_of_the_intent(
    intent: str, agreed: bool
) -> None:
    found = extract(domain_of(TEXT_AND_INTENT), message(intent, "sure"))
    assert found["agreed"] is agreed


def test_from_intent_without_an_intent_applies_to_every_intent_but_the_excluded() -> None:
    assert extract(domain_of(TEXT_AND_INTENT), message("inform", "x"))["answered"] == "yes"
    assert "answered" not in extract(domain_of(TEXT_AND_INTENT), message("chitchat", "x"))


def test_a_slot_already_holding_the_value_is_set_again() -> None:
    # As Rasa: a form reads the slot events after the message as the user's answer.
    domain = domain_of(TEXT_AND_INTENT)
    found = extract(domain, message("affirm", "yes"), before=[SlotSet(name="agreed", value=True)])
    assert found["agreed"] is True


def test_the_first_mapping_that_gives_a_value_wins() -> None:
    domain = domain_of(
        """
        entities: [city]
        slots:
          place:
            type: text
            mappings:
            - {type: from_entity, entity: city}
            - {type: from_text}
        """
    )
    assert extract(domain, message("inform", "to Oslo", entity("city", "Oslo"))) == {
        "place": "Oslo"
    }
    assert extract(domain, message("inform", "somewhere warm")) == {"place": "somewhere warm"}


# -- from_trigger_intent -------------------------------------------------------------------

TRIGGER = """
intents: [buy_insurance, ask_quote, inform]
slots:
  wants_insurance:
    type: bool
    mappings: [{type: from_trigger_intent, intent: buy_insurance, value: true}]
  quoted:
    type: bool
    mappings:
    - type: from_trigger_intent
      intent: ask_quote
      value: true
      conditions: [{active_loop: quote_form}]
  email: {type: text, mappings: [{type: from_text, intent: inform}]}
forms:
  insurance_form: {required_slots: [email]}
  quote_form: {required_slots: [email]}
"""


def test_from_trigger_intent_fills_nothing_while_no_form_is_active() -> None:
    # It fills when the message activates a form: the form extracts again once active.
    assert extract(domain_of(TRIGGER), message("buy_insurance", "I want insurance")) == {}


def test_from_trigger_intent_fills_its_value_once_a_form_is_active() -> None:
    found = extract(
        domain_of(TRIGGER),
        message("buy_insurance", "I want insurance"),
        before=[ActiveLoop(name="insurance_form")],
    )
    assert found == {"wants_insurance": True}


def test_from_trigger_intent_with_conditions_fills_only_for_their_forms() -> None:
    domain = domain_of(TRIGGER)
    quote = message("ask_quote", "a quote please")
    assert extract(domain, quote, before=[ActiveLoop(name="quote_form")]) == {"quoted": True}
    assert extract(domain, quote, before=[ActiveLoop(name="insurance_form")]) == {}


def test_from_trigger_intent_follows_its_intent() -> None:
    found = extract(
        domain_of(TRIGGER), message("inform", "a@b.c"), before=[ActiveLoop(name="insurance_form")]
    )
    assert found == {"email": "a@b.c"}


# -- conditions ----------------------------------------------------------------------------

CONDITIONS = """
intents: [inform]
slots:
  name:
    type: text
    mappings:
    - type: from_text
      conditions:
      - {active_loop: profile_form, requested_slot: name}
  nickname:
    type: text
    mappings:
    - type: from_text
      conditions: [{active_loop: profile_form}, {active_loop: alias_form}]
  outside:
    type: text
    mappings:
    - type: from_text
      conditions: [{active_loop: null}]
  anywhere: {type: text, mappings: [{type: from_text}]}
forms:
  profile_form: {required_slots: [name, nickname]}
  alias_form: {required_slots: [nickname]}
"""


def form_state(form: str, requested: str | None) -> list[Event]:
    return [ActiveLoop(name=form), SlotSet(name=REQUESTED_SLOT, value=requested)]


@pytest.mark.parametrize(
    ("before", "filled"),
    [
        ([], {"outside", "anywhere"}),
        (form_state("profile_form", "name"), {"name", "nickname", "anywhere"}),
        (form_state("profile_form", "nickname"), {"nickname", "anywhere"}),
        (form_state("alias_form", "nickname"), {"nickname", "anywhere"}),
    ],
    ids=["no form", "name requested", "nickname requested", "another form"],
)
def test_a_mapping_with_conditions_applies_only_when_one_of_them_holds(
    before: list[Event], filled: set[str]
) -> None:
    found = extract(domain_of(CONDITIONS), message("inform", "Annie"), before=before)
    assert set(found) == filled


# -- forms: ignored intents, unique entity mappings ----------------------------------------

IGNORED = """
intents: [inform, chitchat]
entities: [cuisine]
slots:
  cuisine: {type: text, mappings: [{type: from_entity, entity: cuisine}]}
  mood: {type: text, mappings: [{type: from_entity, entity: cuisine}]}
forms:
  restaurant_form:
    ignored_intents: [chitchat]
    required_slots: [cuisine]
"""


def test_an_active_form_ignores_its_ignored_intents_for_its_slots() -> None:
    domain = domain_of(IGNORED)
    chat = message("chitchat", "I love thai food", entity("cuisine", "thai"))
    assert extract(domain, chat, before=form_state("restaurant_form", "cuisine")) == {
        "mood": "thai"
    }
    assert extract(domain, chat) == {"cuisine": "thai", "mood": "thai"}


FLIGHT = """
intents: [inform]
entities:
  - city: {roles: [from, to]}
slots:
  departure:
    type: text
    mappings:
    - {type: from_entity, entity: city, role: from}
    - {type: from_entity, entity: city}
  arrival:
    type: text
    mappings:
    - {type: from_entity, entity: city, role: to}
    - {type: from_entity, entity: city}
forms:
  flight_form: {required_slots: [departure, arrival]}
"""


def test_in_a_form_an_entity_mapped_by_several_slots_fills_only_the_requested_one() -> None:
    found = extract(
        domain_of(FLIGHT),
        message("inform", "Berlin", entity("city", "Berlin")),
        before=form_state("flight_form", "departure"),
    )
    assert found == {"departure": "Berlin"}


def test_in_a_form_a_unique_entity_mapping_fills_its_slot_even_when_not_requested() -> None:
    found = extract(
        domain_of(FLIGHT),
        message("inform", "to Rome", entity("city", "Rome", role="to")),
        before=form_state("flight_form", "departure"),
    )
    assert found == {"arrival": "Rome"}


def test_outside_a_form_the_same_entity_fills_every_slot_that_maps_it() -> None:
    found = extract(domain_of(FLIGHT), message("inform", "Berlin", entity("city", "Berlin")))
    assert found == {"departure": "Berlin", "arrival": "Berlin"}


# -- custom mappings -----------------------------------------------------------------------

CUSTOM = """
intents: [inform]
actions: [action_extract_weekday]
slots:
  weekday:
    type: text
    mappings: [{type: custom, action: action_extract_weekday}]
  weekday_number:
    type: float
    mappings: [{type: custom, action: action_extract_weekday}]
  handoff_done:
    type: bool
    mappings: [{type: custom}]
"""


def test_a_custom_mapping_runs_its_action_once_per_turn_and_keeps_its_slot_events() -> None:
    server = FakeActionServer(
        {
            "action_extract_weekday": answers(
                slot_set("weekday", "monday"), slot_set("weekday_number", 1)
            )
        }
    )
    found = extract(domain_of(CUSTOM), message("inform", "next monday"), server=server)
    assert found == {"weekday": "monday", "weekday_number": 1}
    assert server.called == ["action_extract_weekday"]
    request = server.requests[0]
    assert request["tracker"]["latest_message"]["text"] == "next monday"


def test_a_custom_mapping_action_keeps_bot_messages_and_drops_other_events(
    caplog: pytest.LogCaptureFixture,
) -> None:
    domain = domain_of(CUSTOM)
    server = FakeActionServer(
        {
            "action_extract_weekday": lambda request: reply(
                slot_set("weekday", "friday"), followup("action_listen"), text="Got it"
            )
        }
    )
    tracker = Tracker(
        "ann",
        initial_slot_values(domain),
        [ActionExecuted(name=ACTION_LISTEN), message("inform", "friday")],
    )
    context = ActionContext(
        domain=domain, responses=ResponseGenerator(domain), action_client=server
    )
    with caplog.at_level(logging.INFO, logger="parley.dialogue.slot_extraction"):
        events = ActionExtractSlots("action_extract_slots").run(tracker, context)
    assert [e.type_name for e in events] == ["bot", "slot"]
    assert "followup" in caplog.text


def test_a_failing_custom_mapping_action_fills_nothing_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeActionServer({"action_extract_weekday": fails("timed out after 10s")})
    with caplog.at_level(logging.ERROR, logger="parley.dialogue.slot_extraction"):
        found = extract(domain_of(CUSTOM), message("inform", "monday"), server=server)
    assert found == {}
    assert "action_extract_weekday" in caplog.text
    assert "timed out" in caplog.text


def test_a_custom_mapping_without_an_action_is_left_to_custom_actions() -> None:
    server = FakeActionServer({"action_extract_weekday": answers()})
    assert extract(domain_of(CUSTOM), message("inform", "done"), server=server) == {}
    assert server.called == ["action_extract_weekday"]
