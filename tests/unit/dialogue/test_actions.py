"""Rasa's default actions, end-to-end bot texts, retrieval responses, and which action a
name stands for. Each default action is run on a tracker and the events it returns are
checked, then applied, to see the conversation state they lead to; the two-stage fallback,
a loop over several turns, is driven through an agent."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from parley.agent import Agent
from parley.core.domain import Domain
from parley.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from parley.core.messages import UserMessage
from parley.core.tracker import ACTION_LISTEN, ACTION_SESSION_START, REQUESTED_SLOT, Tracker
from parley.dialogue.action_lookup import ActionLookup
from parley.dialogue.actions import (
    ACTION_BACK,
    ACTION_DEACTIVATE_LOOP,
    ACTION_DEFAULT_ASK_AFFIRMATION,
    ACTION_DEFAULT_ASK_REPHRASE,
    ACTION_DEFAULT_FALLBACK,
    ACTION_EXTRACT_SLOTS,
    ACTION_RESTART,
    ACTION_REVERT_FALLBACK_EVENTS,
    ACTION_TWO_STAGE_FALLBACK,
    ACTION_UNLIKELY_INTENT,
    DEFAULT_ACTION_NAMES,
    DEFAULT_FALLBACK_TEXT,
    ActionContext,
    ResponseAction,
    RetrievalAction,
    TextAction,
)
from parley.dialogue.dialogue_model import DialogueModel
from parley.dialogue.form import FormAction
from parley.dialogue.remote_action import RemoteAction
from parley.dialogue.responses import ResponseGenerator
from parley.dialogue.slot_extraction import ActionExtractSlots
from parley.dialogue.slots import SESSION_STARTED_METADATA, initial_slot_values
from parley.errors import ActionError
from parley.project.domain_file import DomainAssembler, DomainFile
from parley.project.reader import load_project
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


def context_for(domain: Domain, **extra: Any) -> ActionContext:
    return ActionContext(domain=domain, responses=ResponseGenerator(domain, seed=0), extra=extra)


def user(intent: str, text: str | None = None, **entities: Any) -> UserUttered:
    parse = {
        "text": text or f"/{intent}",
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": k, "value": v} for k, v in entities.items()],
    }
    return UserUttered(text=text or f"/{intent}", parse_data=parse)


def listen() -> ActionExecuted:
    return ActionExecuted(name=ACTION_LISTEN)


def run(
    domain: Domain, name: str, events: list[Event], **extra: Any
) -> tuple[list[Event], Tracker]:
    """Run the action ``name`` on a tracker of ``events``; its events, and the tracker
    after the agent would log them (the `action` event, then the events)."""
    tracker = Tracker("ann", initial_slot_values(domain), events)
    action = ActionLookup(domain).get(name)
    produced = action.run(tracker, context_for(domain, **extra))
    tracker.update(action.executed_event(None, None))
    tracker.extend(produced)
    return produced, tracker


def texts(events: list[Event]) -> list[str | None]:
    return [e.text for e in events if isinstance(e, BotUttered)]


GREETING = """
slots:
  name: {type: text, mappings: [{type: from_entity, entity: name}]}
  city: {type: text, mappings: [{type: custom}]}
entities: [name]
intents: [greet, inform, goodbye]
responses:
  utter_greet: [{text: "Hello {name}!"}]
"""


# -- action_listen, action_unlikely_intent -------------------------------------------------


@pytest.mark.parametrize("name", [ACTION_LISTEN, ACTION_UNLIKELY_INTENT])
def test_listen_and_unlikely_intent_change_nothing(name: str) -> None:
    domain = domain_of(GREETING)
    produced, tracker = run(domain, name, [listen(), user("greet")])
    assert produced == []
    assert tracker.latest_action_name == name


# -- action_restart ------------------------------------------------------------------------


def test_restart_forgets_everything_and_asks_for_a_session_start() -> None:
    domain = domain_of(GREETING)
    produced, tracker = run(
        domain,
        ACTION_RESTART,
        [listen(), user("inform", name="Ann"), SlotSet(name="name", value="Ann")],
    )
    assert [type(e) for e in produced] == [Restarted]
    assert tracker.slots["name"] is None
    assert tracker.latest_message is None
    assert tracker.followup_action == ACTION_SESSION_START


def test_restart_says_utter_restart_first_when_the_domain_has_it() -> None:
    domain = domain_of(GREETING + "  utter_restart: [{text: 'Starting over.'}]\n")
    produced, _ = run(domain, ACTION_RESTART, [listen(), user("restart")])
    assert texts(produced) == ["Starting over."]
    assert isinstance(produced[-1], Restarted)


# -- action_session_start ------------------------------------------------------------------


def test_session_start_carries_the_set_slots_over_and_ends_listening() -> None:
    domain = domain_of(GREETING + "forms: {survey: {required_slots: [city]}}\n")
    before = [
        listen(),
        user("inform", name="Ann"),
        SlotSet(name="name", value="Ann"),
        SlotSet(name="city", value=None),
        SlotSet(name=REQUESTED_SLOT, value="city"),
    ]
    produced, tracker = run(domain, ACTION_SESSION_START, before)
    assert isinstance(produced[0], SessionStarted)
    assert [(e.name, e.value) for e in produced if isinstance(e, SlotSet)] == [("name", "Ann")]
    assert isinstance(produced[-1], ActionExecuted)
    assert produced[-1].name == ACTION_LISTEN
    assert tracker.slots["name"] == "Ann"
    assert tracker.get_slot(REQUESTED_SLOT) is None
    assert tracker.latest_message is None


def test_session_start_forgets_the_slots_when_the_domain_says_so() -> None:
    domain = domain_of(GREETING + "session_config: {carry_over_slots_to_new_session: false}\n")
    produced, tracker = run(
        domain, ACTION_SESSION_START, [listen(), user("inform"), SlotSet(name="name", value="A")]
    )
    assert [type(e) for e in produced] == [SessionStarted, ActionExecuted]
    assert tracker.slots["name"] is None


def test_session_start_keeps_the_messages_metadata_in_its_slot() -> None:
    domain = domain_of(GREETING)
    metadata = {"locale": "fr", "page": "/pricing"}
    produced, tracker = run(domain, ACTION_SESSION_START, [], session_metadata=metadata)
    assert [(e.name, e.value) for e in produced if isinstance(e, SlotSet)] == [
        (SESSION_STARTED_METADATA, metadata)
    ]
    assert tracker.slots[SESSION_STARTED_METADATA] == metadata


# -- action_default_fallback ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("responses", "said"),
    [("  utter_default: [{text: 'Say again?'}]\n", "Say again?"), ("", DEFAULT_FALLBACK_TEXT)],
)
def test_default_fallback_says_utter_default_and_forgets_the_message(
    responses: str, said: str
) -> None:
    domain = domain_of(GREETING + responses)
    first = user("greet")
    produced, tracker = run(
        domain,
        ACTION_DEFAULT_FALLBACK,
        [listen(), first, ActionExecuted(name="utter_greet"), listen(), user("gibberish")],
    )
    assert texts(produced) == [said]
    assert isinstance(produced[-1], UserUtteranceReverted)
    assert tracker.latest_message == first
    assert tracker.latest_action_name == "utter_greet"


# -- action_deactivate_loop ----------------------------------------------------------------


def test_deactivate_loop_ends_the_form_and_its_requested_slot() -> None:
    domain = domain_of(GREETING + "forms: {survey: {required_slots: [city]}}\n")
    produced, tracker = run(
        domain,
        ACTION_DEACTIVATE_LOOP,
        [ActiveLoop(name="survey"), SlotSet(name=REQUESTED_SLOT, value="city")],
    )
    assert [type(e) for e in produced] == [ActiveLoop, SlotSet]
    assert tracker.active_loop is None
    assert tracker.get_slot(REQUESTED_SLOT) is None


# -- action_back ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("responses", "said"), [("  utter_back: [{text: 'Going back.'}]\n", ["Going back."]), ("", [])]
)
def test_back_takes_back_the_back_and_the_message_before(responses: str, said: list[str]) -> None:
    domain = domain_of(GREETING + responses)
    greet = user("greet")
    produced, tracker = run(
        domain,
        ACTION_BACK,
        [
            listen(),
            greet,
            ActionExecuted(name="utter_greet"),
            listen(),
            user("inform", name="Bob"),
            SlotSet(name="name", value="Bob"),
            ActionExecuted(name="utter_greet"),
            listen(),
            user("back"),
        ],
    )
    assert texts(produced) == said
    assert [type(e) for e in produced if not isinstance(e, BotUttered)] == [
        UserUtteranceReverted,
        UserUtteranceReverted,
    ]
    assert tracker.latest_message == greet
    assert tracker.slots["name"] is None


# -- asking to affirm or rephrase ----------------------------------------------------------


def unclear(text: str, *ranking: str) -> UserUttered:
    parse = {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "entities": [],
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.3},
            *({"name": name, "confidence": 0.2} for name in ranking),
        ],
    }
    return UserUttered(text=text, parse_data=parse)


def test_ask_affirmation_offers_the_likeliest_real_intent_with_yes_and_no_buttons() -> None:
    domain = domain_of(GREETING)
    produced, _ = run(
        domain, ACTION_DEFAULT_ASK_AFFIRMATION, [listen(), unclear("hullo", "greet", "goodbye")]
    )
    assert len(produced) == 1
    said = produced[0]
    assert isinstance(said, BotUttered)
    assert said.text == "Did you mean 'greet'?"
    assert said.data["buttons"] == [
        {"title": "Yes", "payload": "/greet"},
        {"title": "No", "payload": "/out_of_scope"},
    ]


def test_ask_affirmation_says_utter_ask_affirmation_filled_with_the_intent() -> None:
    domain = domain_of(GREETING + "  utter_ask_affirmation: [{text: 'You wanted {intent}?'}]\n")
    produced, _ = run(domain, ACTION_DEFAULT_ASK_AFFIRMATION, [listen(), unclear("x", "goodbye")])
    assert texts(produced) == ["You wanted goodbye?"]


@pytest.mark.parametrize(
    ("responses", "said"),
    [
        ("  utter_ask_rephrase: [{text: 'Rephrase please'}]\n", "Rephrase please"),
        ("", "I'm sorry, I didn't quite understand that. Could you rephrase?"),
    ],
)
def test_ask_rephrase_says_utter_ask_rephrase_or_a_default(responses: str, said: str) -> None:
    domain = domain_of(GREETING + responses)
    produced, _ = run(domain, ACTION_DEFAULT_ASK_REPHRASE, [listen(), unclear("x", "greet")])
    assert texts(produced) == [said]


def test_revert_fallback_events_replaces_the_unclear_message_by_the_affirmed_one() -> None:
    # Rasa 2's two-stage fallback: a rule runs it after the user affirmed.
    domain = domain_of(GREETING)
    before = [listen(), user("greet"), ActionExecuted(name="utter_greet")]
    affirmed = user("goodbye")
    produced, tracker = run(
        domain,
        ACTION_REVERT_FALLBACK_EVENTS,
        [
            *before,
            listen(),
            unclear("cya?", "goodbye"),
            ActionExecuted(name=ACTION_DEFAULT_ASK_AFFIRMATION),
            BotUttered(text="Did you mean 'goodbye'?"),
            listen(),
            affirmed,
        ],
    )
    assert [type(e) for e in produced] == [
        UserUtteranceReverted,
        UserUtteranceReverted,
        ActionExecuted,
        UserUttered,
    ]
    applied = tracker.applied_events()
    assert [type(e) for e in applied[-2:]] == [ActionExecuted, UserUttered]
    assert tracker.latest_action_name == ACTION_LISTEN
    assert tracker.latest_message == affirmed
    assert not any(isinstance(e, BotUttered) for e in applied)
    assert [e for e in applied if isinstance(e, UserUttered)] == [before[1], affirmed]


def test_revert_fallback_events_does_nothing_without_a_fallback_question() -> None:
    domain = domain_of(GREETING)
    produced, _ = run(domain, ACTION_REVERT_FALLBACK_EVENTS, [listen(), user("greet")])
    assert produced == []


# -- action_two_stage_fallback, through an agent -------------------------------------------

TWO_STAGE_DOMAIN = """
version: "3.1"
intents: [greet, goodbye, nlu_fallback, out_of_scope]
responses:
  utter_greet: [{text: "Hello!"}]
  utter_goodbye: [{text: "Bye!"}]
  utter_default: [{text: "I give up."}]
  utter_ask_rephrase: [{text: "Rephrase?"}]
"""
TWO_STAGE_RULES = """
version: "3.1"
rules:
- rule: greet
  steps: [{intent: greet}, {action: utter_greet}]
- rule: goodbye
  steps: [{intent: goodbye}, {action: utter_goodbye}]
- rule: two-stage fallback
  steps:
  - intent: nlu_fallback
  - action: action_two_stage_fallback
  - active_loop: action_two_stage_fallback
"""


@pytest.fixture
def two_stage(tmp_path: Path) -> Agent:
    (tmp_path / "domain.yml").write_text(TWO_STAGE_DOMAIN)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rules.yml").write_text(TWO_STAGE_RULES)
    (tmp_path / "config.yml").write_text("policies:\n- name: RulePolicy\n")
    project = load_project(tmp_path)
    dialogue, problems = DialogueModel.train(
        project.domain, project.stories, project.rules, project.config.policies
    )
    assert not problems
    return Agent(dialogue, response_seed=0)


def say(agent: Agent, text: str) -> list[str | None]:
    if text.startswith("/"):
        message = UserMessage(text=text, sender_id="ann")
    else:
        # NLU was unsure: the likeliest real intent is second in the ranking.
        event = unclear(text, "greet")
        message = UserMessage(text=text, sender_id="ann", parse_data=event.parse_data)
    return [m.text for m in agent.handle(message)]


def applied_users(agent: Agent) -> list[str | None]:
    return [e.text for e in agent.tracker("ann").applied_events() if isinstance(e, UserUttered)]


def test_two_stage_fallback_asks_to_affirm_and_goes_on_with_the_affirmed_intent(
    two_stage: Agent,
) -> None:
    assert say(two_stage, "/goodbye") == ["Bye!"]
    assert say(two_stage, "hullo") == ["Did you mean 'greet'?"]
    assert two_stage.tracker("ann").active_loop_name == ACTION_TWO_STAGE_FALLBACK
    assert say(two_stage, "/greet") == ["Hello!"]
    tracker = two_stage.tracker("ann")
    assert tracker.active_loop is None
    assert applied_users(two_stage) == ["/goodbye", "/greet"]
    assert say(two_stage, "/goodbye") == ["Bye!"]


def test_two_stage_fallback_asks_to_rephrase_after_a_no(two_stage: Agent) -> None:
    assert say(two_stage, "hullo") == ["Did you mean 'greet'?"]
    assert say(two_stage, "/out_of_scope") == ["Rephrase?"]
    assert say(two_stage, "/greet") == ["Hello!"]
    assert two_stage.tracker("ann").active_loop is None
    assert applied_users(two_stage) == ["/greet"]


def test_an_unclear_rephrasing_is_asked_to_be_affirmed_again(two_stage: Agent) -> None:
    say(two_stage, "hullo")
    say(two_stage, "/out_of_scope")
    assert say(two_stage, "helo?") == ["Did you mean 'greet'?"]
    assert say(two_stage, "/greet") == ["Hello!"]
    assert applied_users(two_stage) == ["/greet"]


def test_a_no_to_the_second_affirmation_gives_up(two_stage: Agent) -> None:
    say(two_stage, "hullo")
    say(two_stage, "/out_of_scope")
    say(two_stage, "helo?")
    assert say(two_stage, "/out_of_scope") == ["I give up."]
    tracker = two_stage.tracker("ann")
    assert tracker.active_loop is None
    assert applied_users(two_stage) == []
    assert tracker.latest_action_name == ACTION_LISTEN
    assert say(two_stage, "/greet") == ["Hello!"]


def test_two_unclear_messages_in_a_row_give_up(two_stage: Agent) -> None:
    assert say(two_stage, "/goodbye") == ["Bye!"]
    say(two_stage, "hullo")
    assert say(two_stage, "hmm") == ["I give up."]
    assert two_stage.tracker("ann").active_loop is None
    assert applied_users(two_stage) == ["/goodbye"]
    assert say(two_stage, "/greet") == ["Hello!"]


# -- end-to-end texts and retrieval responses ----------------------------------------------


def test_an_end_to_end_bot_text_is_said_as_written_and_logged_by_its_text() -> None:
    domain = domain_of(GREETING + "e2e_actions: ['Nice to meet you!']\n")
    action = ActionLookup(domain).get("Nice to meet you!")
    assert isinstance(action, TextAction)
    produced, tracker = run(domain, "Nice to meet you!", [listen(), user("greet")])
    assert texts(produced) == ["Nice to meet you!"]
    executed = action.executed_event("RulePolicy", 1.0)
    assert (executed.name, executed.action_text) == (None, "Nice to meet you!")
    assert tracker.latest_action == {"action_text": "Nice to meet you!"}


RETRIEVAL = """
intents: [faq]
responses:
  utter_faq/ask_price: [{text: "It costs 5 euros."}]
  utter_faq/ask_hours: [{text: "We open at 9."}]
"""


def faq_question(key: str | None) -> UserUttered:
    parse: dict[str, Any] = {"text": "how much?", "intent": {"name": "faq", "confidence": 0.9}}
    if key is not None:
        parse["response_selector"] = {
            "all_retrieval_intents": ["faq"],
            "faq": {"response": {"intent_response_key": key, "confidence": 0.8}, "ranking": []},
        }
    return UserUttered(text="how much?", parse_data=parse)


def test_a_retrieval_action_says_the_response_the_selector_chose() -> None:
    domain = domain_of(RETRIEVAL)
    assert isinstance(ActionLookup(domain).get("utter_faq"), RetrievalAction)
    produced, _ = run(domain, "utter_faq", [listen(), faq_question("faq/ask_hours")])
    assert texts(produced) == ["We open at 9."]


def test_a_retrieval_action_without_a_selection_says_nothing() -> None:
    produced, _ = run(domain_of(RETRIEVAL), "utter_faq", [listen(), faq_question(None)])
    assert produced == []


# -- which action a name stands for --------------------------------------------------------

LOOKUP = """
intents: [greet]
slots:
  city: {type: text, mappings: [{type: from_text}]}
actions: [action_fetch, action_session_start]
forms:
  survey: {required_slots: [city]}
responses:
  utter_greet: [{text: Hi}]
"""


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("utter_greet", ResponseAction),
        ("survey", FormAction),
        ("action_fetch", RemoteAction),
        # A custom action of a default action's name replaces it, as in Rasa.
        ("action_session_start", RemoteAction),
        (ACTION_EXTRACT_SLOTS, ActionExtractSlots),
        (ACTION_BACK, type(ActionLookup(Domain()).get(ACTION_BACK))),
    ],
)
def test_a_name_stands_for_its_kind_of_action(name: str, kind: type) -> None:
    action = ActionLookup(domain_of(LOOKUP)).get(name)
    assert type(action) is kind
    assert action.name == name


def test_every_default_action_is_known_without_the_domain() -> None:
    lookup = ActionLookup(Domain())
    for name in DEFAULT_ACTION_NAMES:
        assert lookup.get(name).name == name
    assert set(DEFAULT_ACTION_NAMES) <= set(lookup.names())


def test_an_unknown_action_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(ActionError, match="action_fetch") as raised:
        ActionLookup(domain_of(LOOKUP)).get("action_missing")
    assert "action_missing" in str(raised.value)
