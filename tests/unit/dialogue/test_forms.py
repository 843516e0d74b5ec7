"""Forms (Rasa 3's FormAction) in whole conversations: the happy path, slots filled before
activation, validation through ``validate_<form>`` on the (fake) action server — the
request as rasa-sdk reads it, a value refused, a candidate left alone, a slot chosen —,
rejection and interruption with the return to the form, deactivation, and how the form
asks for a slot."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.support.fake_action_server import (
    FakeActionServer,
    Reply,
    Request,
    answers,
    fails,
    rejects,
    reply,
    slot_set,
    slots_to_validate,
)

from parley.agent import Agent
from parley.core.domain import Domain
from parley.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    Event,
    LoopInterrupted,
    SlotSet,
    UserUttered,
)
from parley.core.messages import UserMessage
from parley.core.tracker import ACTION_LISTEN, REQUESTED_SLOT, Tracker
from parley.dialogue.actions import ActionContext
from parley.dialogue.dialogue_model import DialogueModel
from parley.dialogue.form import FormAction
from parley.dialogue.responses import ResponseGenerator
from parley.dialogue.slots import initial_slot_values
from parley.errors import ActionRejectedError
from parley.project.domain_file import DomainAssembler, DomainFile
from parley.project.reader import load_project
from parley.project.schema import validate_file
from parley.project.source_map import SourceMap
from parley.project.yaml_file import read_yaml_text

DOMAIN = """
version: "3.1"
intents: [greet, request_restaurant, inform, affirm, deny, chitchat, stop]
entities: [cuisine, number, seating]
slots:
  cuisine:
    type: text
    mappings: [{type: from_entity, entity: cuisine}]
  num_people:
    type: float
    mappings: [{type: from_entity, entity: number}]
  outdoor:
    type: bool
    mappings:
    - type: from_intent
      intent: affirm
      value: true
      conditions: [{active_loop: restaurant_form, requested_slot: outdoor}]
    - type: from_intent
      intent: deny
      value: false
      conditions: [{active_loop: restaurant_form, requested_slot: outdoor}]
  booking:
    type: text
    influence_conversation: false
    mappings:
    - {type: from_trigger_intent, intent: request_restaurant, value: table}
  seating:
    type: text
    influence_conversation: false
    mappings:
    - {type: from_entity, entity: seating, conditions: [{active_loop: restaurant_form}]}
forms:
  restaurant_form:
    required_slots: [cuisine, num_people, outdoor]
responses:
  utter_greet: [{text: "Hello!"}]
  utter_ask_cuisine: [{text: "What cuisine?"}]
  utter_ask_num_people: [{text: "For how many people?"}]
  utter_ask_outdoor: [{text: "Outside?"}]
  utter_submit: [{text: "Booked a {booking}: {cuisine} for {num_people}, outdoor {outdoor}."}]
  utter_chitchat: [{text: "I'm a bot."}]
  utter_stopped: [{text: "OK, stopped."}]
  utter_default: [{text: "Something went wrong."}]
"""

RULES = """
version: "3.1"
rules:
- rule: greet
  steps: [{intent: greet}, {action: utter_greet}]
- rule: activate the form
  steps:
  - intent: request_restaurant
  - action: restaurant_form
  - active_loop: restaurant_form
- rule: submit the form
  condition:
  - active_loop: restaurant_form
  steps:
  - action: restaurant_form
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
  - action: utter_submit
- rule: chitchat
  steps: [{intent: chitchat}, {action: utter_chitchat}]
- rule: stop the form
  condition:
  - active_loop: restaurant_form
  steps:
  - intent: stop
  - action: action_deactivate_loop
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
  - action: utter_stopped
"""

VALIDATOR = "validate_restaurant_form"


def build(
    tmp_path: Path,
    server: FakeActionServer | None = None,
    extra: str = "",
    *,
    domain: str = DOMAIN,
) -> Agent:
    (tmp_path / "domain.yml").write_text(domain + textwrap.dedent(extra))
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "rules.yml").write_text(RULES)
    (tmp_path / "config.yml").write_text("policies:\n- name: RulePolicy\n")
    project = load_project(tmp_path)
    dialogue, problems = DialogueModel.train(
        project.domain, project.stories, project.rules, project.config.policies
    )
    assert not problems, problems
    return Agent(dialogue, action_client=server, response_seed=0)


@pytest.fixture
def agent(tmp_path: Path) -> Agent:
    return build(tmp_path)


def with_validator(tmp_path: Path, handler: Any) -> tuple[Agent, FakeActionServer]:
    server = FakeActionServer({VALIDATOR: handler})
    return build(tmp_path, server, f"actions: [{VALIDATOR}]\n"), server


def describe(event: Event) -> str:
    if isinstance(event, UserUttered):
        return f"user:{event.text}"
    if isinstance(event, ActionExecuted):
        return f"action:{event.name}"
    if isinstance(event, BotUttered):
        return f"bot:{event.text}"
    if isinstance(event, SlotSet):
        return f"slot:{event.name}={event.value}"
    if isinstance(event, ActiveLoop):
        return f"loop:{event.name}"
    if isinstance(event, ActionExecutionRejected):
        return f"rejected:{event.name}"
    if isinstance(event, LoopInterrupted):
        return "interrupted"
    return event.type_name


def turn(agent: Agent, text: str) -> list[str]:
    """The events of one turn (without a session start), described."""
    events = agent.handle_turn(UserMessage(text=text, sender_id="ann")).events
    first_user = next(i for i, e in enumerate(events) if isinstance(e, UserUttered))
    return [describe(e) for e in events[first_user:]]


def said(agent: Agent, text: str) -> list[str | None]:
    return [m.text for m in agent.handle(UserMessage(text=text, sender_id="ann"))]


# -- the happy path ------------------------------------------------------------------------


def test_a_form_asks_for_each_required_slot_then_submits(agent: Agent) -> None:
    assert turn(agent, "/request_restaurant") == [
        "user:/request_restaurant",
        "action:restaurant_form",
        "loop:restaurant_form",
        "slot:booking=table",
        "slot:requested_slot=cuisine",
        "bot:What cuisine?",
        "action:action_listen",
    ]
    assert turn(agent, '/inform{"cuisine": "thai"}') == [
        'user:/inform{"cuisine": "thai"}',
        "slot:cuisine=thai",
        "action:restaurant_form",
        "slot:cuisine=thai",
        "slot:requested_slot=num_people",
        "bot:For how many people?",
        "action:action_listen",
    ]
    assert said(agent, '/inform{"number": 4}') == ["Outside?"]
    assert turn(agent, "/affirm") == [
        "user:/affirm",
        "slot:outdoor=True",
        "action:restaurant_form",
        "slot:outdoor=True",
        "loop:None",
        "slot:requested_slot=None",
        "action:utter_submit",
        "bot:Booked a table: thai for 4, outdoor True.",
        "action:action_listen",
    ]
    tracker = agent.tracker("ann")
    assert tracker.active_loop is None
    assert tracker.get_slot(REQUESTED_SLOT) is None


def test_slots_given_with_the_request_are_not_asked_for(agent: Agent) -> None:
    assert said(agent, '/request_restaurant{"cuisine": "thai", "number": 2}') == ["Outside?"]
    assert agent.tracker("ann").get_slot(REQUESTED_SLOT) == "outdoor"


def test_the_trigger_intent_fills_its_slot_when_the_form_is_activated(agent: Agent) -> None:
    said(agent, "/request_restaurant")
    assert agent.tracker("ann").slots["booking"] == "table"


def test_a_mapping_conditioned_on_the_form_applies_from_its_activation(agent: Agent) -> None:
    said(agent, '/request_restaurant{"seating": "terrace"}')
    assert agent.tracker("ann").slots["seating"] == "terrace"


# -- validation ----------------------------------------------------------------------------


def accept_all(request: Request) -> Reply:
    return reply(*(slot_set(k, v) for k, v in slots_to_validate(request).items()))


def test_the_validation_request_ends_with_the_candidates_as_rasa_sdk_reads_them(
    tmp_path: Path,
) -> None:
    agent, server = with_validator(tmp_path, accept_all)
    said(agent, "/request_restaurant")
    said(agent, '/inform{"cuisine": "thai"}')
    request = server.last_request(VALIDATOR)
    assert slots_to_validate(request) == {"cuisine": "thai"}
    assert request["sender_id"] == "ann"
    assert request["domain"]["forms"]["restaurant_form"]["required_slots"] == [
        "cuisine",
        "num_people",
        "outdoor",
    ]
    tracker = request["tracker"]
    assert tracker["active_loop"]["name"] == "restaurant_form"
    assert tracker["slots"]["requested_slot"] == "cuisine"
    assert tracker["latest_message"]["intent"]["name"] == "inform"
    assert tracker["events"][-2]["event"] == "action"
    assert tracker["events"][-2]["name"] == "restaurant_form"


def test_slots_filled_before_activation_are_validated_on_activation(tmp_path: Path) -> None:
    agent, server = with_validator(tmp_path, accept_all)
    said(agent, '/request_restaurant{"cuisine": "thai"}')
    assert [slots_to_validate(r) for r in server.requests_for(VALIDATOR)] == [{"cuisine": "thai"}]


def test_a_refused_value_is_asked_for_again(tmp_path: Path) -> None:
    def only_thai(request: Request) -> Reply:
        cuisine = slots_to_validate(request).get("cuisine")
        if cuisine == "thai":
            return reply(slot_set("cuisine", "thai"))
        return reply(slot_set("cuisine", None), text=f"We don't serve {cuisine}.")

    agent, _ = with_validator(tmp_path, only_thai)
    said(agent, "/request_restaurant")
    assert said(agent, '/inform{"cuisine": "sushi"}') == ["We don't serve sushi.", "What cuisine?"]
    tracker = agent.tracker("ann")
    assert tracker.slots["cuisine"] is None
    assert tracker.get_slot(REQUESTED_SLOT) == "cuisine"
    assert said(agent, '/inform{"cuisine": "thai"}') == ["For how many people?"]


def test_a_validation_action_can_change_the_value(tmp_path: Path) -> None:
    def lower(request: Request) -> Reply:
        return reply(*(slot_set(k, str(v).lower()) for k, v in slots_to_validate(request).items()))

    agent, _ = with_validator(tmp_path, lower)
    said(agent, "/request_restaurant")
    said(agent, '/inform{"cuisine": "THAI"}')
    assert agent.tracker("ann").slots["cuisine"] == "thai"


def test_a_candidate_the_validation_action_says_nothing_about_stays_valid(
    tmp_path: Path,
) -> None:
    # A custom validation action (no FormValidationAction) that only checks `num_people`.
    def people_only(request: Request) -> Reply:
        return reply()

    agent, _ = with_validator(tmp_path, people_only)
    said(agent, "/request_restaurant")
    assert said(agent, '/inform{"cuisine": "thai"}') == ["For how many people?"]
    assert agent.tracker("ann").slots["cuisine"] == "thai"


def test_a_validation_action_can_choose_the_next_slot(tmp_path: Path) -> None:
    def outdoor_first(request: Request) -> Reply:
        return reply(
            *[slot_set(k, v) for k, v in slots_to_validate(request).items()],
            slot_set(REQUESTED_SLOT, "outdoor"),
        )

    agent, _ = with_validator(tmp_path, outdoor_first)
    said(agent, "/request_restaurant")
    assert said(agent, '/inform{"cuisine": "thai"}') == ["Outside?"]
    assert agent.tracker("ann").get_slot(REQUESTED_SLOT) == "outdoor"


def test_a_validation_action_can_end_the_form(tmp_path: Path) -> None:
    def enough(request: Request) -> Reply:
        return reply(slot_set("cuisine", "thai"), slot_set(REQUESTED_SLOT, None))

    agent, _ = with_validator(tmp_path, enough)
    said(agent, "/request_restaurant")
    turn_events = turn(agent, '/inform{"cuisine": "thai"}')
    assert "loop:None" in turn_events
    assert turn_events[-2] == "bot:Booked a table: thai for None, outdoor None."
    assert agent.tracker("ann").active_loop is None


# -- rejection, interruption, deactivation -------------------------------------------------


def test_a_message_that_fills_nothing_rejects_the_form_and_the_form_asks_again(
    agent: Agent,
) -> None:
    said(agent, "/request_restaurant")
    assert turn(agent, "/chitchat") == [
        "user:/chitchat",
        "rejected:restaurant_form",
        "interrupted",
        "action:utter_chitchat",
        "bot:I'm a bot.",
        "action:restaurant_form",
        "slot:requested_slot=cuisine",
        "bot:What cuisine?",
        "action:action_listen",
    ]
    tracker = agent.tracker("ann")
    assert tracker.active_loop_name == "restaurant_form"
    assert said(agent, '/inform{"cuisine": "thai"}') == ["For how many people?"]


def test_after_an_interruption_the_form_goes_on_to_the_end(agent: Agent) -> None:
    said(agent, "/request_restaurant")
    said(agent, '/inform{"cuisine": "thai"}')
    assert said(agent, "/chitchat") == ["I'm a bot.", "For how many people?"]
    assert said(agent, '/inform{"number": 3}') == ["Outside?"]
    assert said(agent, "/deny") == ["Booked a table: thai for 3, outdoor False."]


def test_a_validation_action_refusing_to_run_rejects_the_form(tmp_path: Path) -> None:
    agent, server = with_validator(tmp_path, accept_all)
    said(agent, "/request_restaurant")
    server[VALIDATOR] = rejects("I can't validate this")
    # Rejected, the form lets the other policies choose: no rule fits, so the core
    # fallback answers and takes the message back.
    assert turn(agent, '/inform{"cuisine": "thai"}') == [
        'user:/inform{"cuisine": "thai"}',
        "slot:cuisine=thai",
        "rejected:restaurant_form",
        "interrupted",
        "action:action_default_fallback",
        "bot:Something went wrong.",
        "rewind",
        "action:action_listen",
    ]
    server[VALIDATOR] = accept_all
    assert said(agent, '/inform{"cuisine": "thai"}') == ["For how many people?"]


def test_the_user_can_stop_the_form(agent: Agent) -> None:
    said(agent, "/request_restaurant")
    assert turn(agent, "/stop") == [
        "user:/stop",
        "rejected:restaurant_form",
        "interrupted",
        "action:action_deactivate_loop",
        "loop:None",
        "slot:requested_slot=None",
        "action:utter_stopped",
        "bot:OK, stopped.",
        "action:action_listen",
    ]
    assert agent.tracker("ann").active_loop is None
    assert said(agent, "/greet") == ["Hello!"]


def test_a_validation_server_that_is_down_does_not_end_the_conversation(
    tmp_path: Path,
) -> None:
    agent, server = with_validator(tmp_path, accept_all)
    said(agent, "/request_restaurant")
    server[VALIDATOR] = fails("connection refused")
    assert said(agent, '/inform{"cuisine": "thai"}') == ["Something went wrong."]
    assert agent.tracker("ann").latest_action_name == ACTION_LISTEN
    server[VALIDATOR] = accept_all
    assert said(agent, '/inform{"cuisine": "thai"}') == ["For how many people?"]


# -- asking --------------------------------------------------------------------------------

ASKING = """
version: "3.1"
intents: [inform]
slots:
  city: {type: text, mappings: [{type: from_text}]}
forms:
  trip_form: {required_slots: [city]}
"""


def domain_for(asks: list[str]) -> Domain:
    actions = [a for a in asks if a.startswith("action_")]
    responses = {a: [{"text": a}] for a in asks if a.startswith("utter_")}
    text = ASKING + f"actions: {json.dumps(actions)}\nresponses: {json.dumps(responses)}\n"
    file = read_yaml_text(Path("domain.yml"), text)
    schema, problems = validate_file(DomainFile, file)
    assert schema is not None, problems
    assembler = DomainAssembler()
    assembler.add(schema, file)
    return assembler.build(SourceMap())


ALL_ASKS = [
    "action_ask_trip_form_city",
    "utter_ask_trip_form_city",
    "action_ask_city",
    "utter_ask_city",
]


@pytest.mark.parametrize("first", range(len(ALL_ASKS)))
def test_the_form_asks_with_the_first_of_rasas_four_ways(first: int) -> None:
    asks = ALL_ASKS[first:]
    domain = domain_for(asks)
    server = FakeActionServer(
        {name: answers(text=name) for name in asks if name.startswith("action_")}
    )
    context = ActionContext(
        domain=domain, responses=ResponseGenerator(domain), action_client=server
    )
    tracker = Tracker(
        "ann",
        initial_slot_values(domain),
        [ActionExecuted(name=ACTION_LISTEN), UserUttered(text="trip", parse_data={})],
    )
    events = FormAction("trip_form").run(tracker, context)
    assert [e.text for e in events if isinstance(e, BotUttered)] == [asks[0]]
    if asks[0].startswith("action_"):
        request = server.last_request(asks[0])
        assert request["tracker"]["slots"][REQUESTED_SLOT] == "city"
        assert request["tracker"]["active_loop"]["name"] == "trip_form"


def test_a_form_without_a_way_to_ask_still_requests_the_slot() -> None:
    domain = domain_for([])
    context = ActionContext(domain=domain, responses=ResponseGenerator(domain))
    tracker = Tracker("ann", initial_slot_values(domain), [ActionExecuted(name=ACTION_LISTEN)])
    events = FormAction("trip_form").run(tracker, context)
    assert [(e.name, e.value) for e in events if isinstance(e, SlotSet)] == [
        (REQUESTED_SLOT, "city")
    ]


def test_a_form_rejects_when_the_requested_slot_was_not_filled() -> None:
    domain = domain_for(["utter_ask_city"])
    context = ActionContext(domain=domain, responses=ResponseGenerator(domain))
    tracker = Tracker(
        "ann",
        initial_slot_values(domain),
        [
            ActiveLoop(name="trip_form"),
            SlotSet(name=REQUESTED_SLOT, value="city"),
            ActionExecuted(name=ACTION_LISTEN),
            UserUttered(text="hm", parse_data={"intent": {"name": "inform"}}),
        ],
    )
    with pytest.raises(ActionRejectedError, match="city"):
        FormAction("trip_form").run(tracker, context)
