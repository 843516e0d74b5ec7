"""The agent's turn: ``/intent{...}`` payloads, session start and expiry on a manual clock,
slot extraction after the message, the predict-and-run loop, what a turn stores (once,
appended) and that the bot messages are the stored ``bot`` events; and an action server
that is down, slow, or refuses (the in-memory twin of the action client)."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from tests.support.fake_action_server import (
    FakeActionServer,
    Request,
    answers,
    fails,
    followup,
    rejects,
    reply,
    slot_set,
)

from parley.agent import MAX_PREDICTIONS, Agent, parse_payload
from parley.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from parley.core.messages import ExtractedEntity, IntentPrediction, ParseResult, UserMessage
from parley.core.stores import InMemoryTrackerStore
from parley.core.tracker import ACTION_LISTEN, Tracker
from parley.dialogue.actions import DEFAULT_FALLBACK_TEXT
from parley.dialogue.dialogue_model import DialogueModel
from parley.dialogue.policy import Policy, PolicyContext, Prediction, TrainingData
from parley.dialogue.slots import SESSION_STARTED_METADATA
from parley.dialogue.state import State
from parley.project.reader import load_project

DOMAIN = """
version: "3.1"
intents: [greet, inform, check, fetch, pause, menu]
entities: [name]
slots:
  name: {type: text, influence_conversation: false, mappings: [{type: from_entity, entity: name}]}
  visits: {type: float, influence_conversation: false, mappings: [{type: custom}]}
actions: [action_check, action_fetch, action_pause]
responses:
  utter_greet:
  - text: "Hello {name}!"
  - text: "Hello {name} on Slack!"
    channel: slack
  utter_menu:
  - text: "Pick one"
    buttons: [{title: Soup, payload: /inform}]
    image: https://example.com/menu.png
    custom: {layout: grid}
  utter_cannot_check: [{text: "I can't check that now."}]
  utter_fetched: [{text: "Fetched."}]
"""

RULES = """
version: "3.1"
rules:
- rule: greet
  steps: [{intent: greet}, {action: utter_greet}]
- rule: menu
  steps: [{intent: menu}, {action: utter_menu}]
- rule: check
  steps: [{intent: check}, {action: action_check}]
- rule: fetch
  steps: [{intent: fetch}, {action: action_fetch}]
- rule: pause
  steps: [{intent: pause}, {action: action_pause}]
- rule: after fetching, listen
  steps: [{action: utter_fetched}]
"""

STORIES = """
version: "3.1"
stories:
- story: when checking is refused
  steps: [{intent: check}, {action: utter_cannot_check}]
"""


class ManualClock:
    """The clock port, moved by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.time = now

    def now(self) -> float:
        return self.time

    def advance(self, *, minutes: float) -> None:
        self.time += minutes * 60


class RecordingStore(InMemoryTrackerStore):
    """The in-memory tracker store, remembering each append."""

    def __init__(self) -> None:
        super().__init__()
        self.appends: list[tuple[str, list[Event]]] = []

    def append(
        self, sender_id: str, events: Sequence[Event], *, model_id: str | None = None
    ) -> None:
        self.appends.append((sender_id, list(events)))
        super().append(sender_id, events, model_id=model_id)


def train(tmp_path: Path, domain: str = DOMAIN) -> DialogueModel:
    (tmp_path / "domain.yml").write_text(textwrap.dedent(domain))
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "rules.yml").write_text(RULES)
    (tmp_path / "data" / "stories.yml").write_text(STORIES)
    (tmp_path / "config.yml").write_text(
        "policies:\n- name: RulePolicy\n- name: MemoizationPolicy\n"
    )
    project = load_project(tmp_path)
    dialogue, problems = DialogueModel.train(
        project.domain, project.stories, project.rules, project.config.policies
    )
    assert not problems, problems
    return dialogue


@pytest.fixture
def dialogue(tmp_path: Path) -> DialogueModel:
    return train(tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store() -> RecordingStore:
    return RecordingStore()


@pytest.fixture
def server() -> FakeActionServer:
    return FakeActionServer()


@pytest.fixture
def agent(
    dialogue: DialogueModel, clock: ManualClock, store: RecordingStore, server: FakeActionServer
) -> Agent:
    return Agent(dialogue, tracker_store=store, action_client=server, clock=clock, response_seed=0)


def message(text: str, **fields: Any) -> UserMessage:
    return UserMessage(text=text, sender_id="ann", **fields)


def describe(event: Event) -> str:
    if isinstance(event, UserUttered):
        return f"user:{event.text}"
    if isinstance(event, ActionExecuted):
        return f"action:{event.name}"
    if isinstance(event, BotUttered):
        return f"bot:{event.text}"
    if isinstance(event, SlotSet):
        return f"slot:{event.name}={event.value}"
    if isinstance(event, ActionExecutionRejected):
        return f"rejected:{event.name}"
    return event.type_name


def turn(agent: Agent, text: str, **fields: Any) -> list[str]:
    return [describe(e) for e in agent.handle_turn(message(text, **fields)).events]


def said(agent: Agent, text: str, **fields: Any) -> list[str | None]:
    return [m.text for m in agent.handle(message(text, **fields))]


SESSION_START = ["action:action_session_start", "session_started", "action:action_listen"]


# -- /intent payloads ----------------------------------------------------------------------


def test_a_payload_gives_the_intent_with_full_confidence() -> None:
    assert parse_payload("/greet") == {
        "text": "/greet",
        "intent": {"name": "greet", "confidence": 1.0},
        "entities": [],
        "intent_ranking": [{"name": "greet", "confidence": 1.0}],
    }


def test_a_payload_gives_its_entities_spanning_the_json_as_rasa_does() -> None:
    text = '/inform{"name": "Ann", "city": "Oslo"}'
    parsed = parse_payload(text)
    assert parsed is not None
    assert parsed["intent"]["name"] == "inform"
    assert parsed["entities"] == [
        {"entity": "name", "value": "Ann", "start": 7, "end": len(text)},
        {"entity": "city", "value": "Oslo", "start": 7, "end": len(text)},
    ]


def test_a_payload_entity_with_a_list_gives_one_entity_per_value() -> None:
    parsed = parse_payload('/order{"topping": ["ham", "olives"]}')
    assert parsed is not None
    assert [(e["entity"], e["value"]) for e in parsed["entities"]] == [
        ("topping", "ham"),
        ("topping", "olives"),
    ]


@pytest.mark.parametrize(("text", "confidence"), [("/greet@0.4", 0.4), ("/greet@7", 1.0)])
def test_a_payload_may_give_the_confidence(text: str, confidence: float) -> None:
    parsed = parse_payload(text)
    assert parsed is not None
    assert parsed["intent"] == {"name": "greet", "confidence": confidence}


@pytest.mark.parametrize(
    "text", ["hello", "greet/", "/", "/inform{not json}", "/greet@x.y.z", "/two words"]
)
def test_text_that_is_not_a_payload_is_left_to_nlu(text: str) -> None:
    assert parse_payload(text) is None


def test_the_agent_reads_a_payload_without_asking_nlu(dialogue: DialogueModel) -> None:
    def nlu(text: str) -> ParseResult:
        raise AssertionError(f"NLU was asked to parse {text!r}")

    agent = Agent(dialogue, nlu, response_seed=0)
    assert said(agent, '/greet{"name": "Ann"}') == ["Hello Ann!"]


def test_the_agent_asks_nlu_for_text(dialogue: DialogueModel) -> None:
    def nlu(text: str) -> ParseResult:
        return ParseResult(
            text=text,
            intent=IntentPrediction(name="greet", confidence=0.93),
            entities=[
                ExtractedEntity(entity="name", start=8, end=11, value="Bob", extractor="CRF")
            ],
        )

    agent = Agent(dialogue, nlu, response_seed=0)
    assert said(agent, "hi, I'm Bob") == ["Hello Bob!"]
    latest = agent.tracker("ann").latest_message
    assert latest is not None
    assert latest.intent_name == "greet"
    assert latest.parse_data["intent"]["confidence"] == 0.93


def test_without_nlu_text_has_no_intent(dialogue: DialogueModel) -> None:
    agent = Agent(dialogue, response_seed=0)
    events = agent.handle_turn(message("hello there")).events
    [event] = [e for e in events if isinstance(e, UserUttered)]
    assert event.parse_data["intent"] == {"name": None, "confidence": 0.0}
    assert event.parse_data["entities"] == []


def test_parse_data_given_with_the_message_is_used_as_is(agent: Agent) -> None:
    parse = {"text": "yo", "intent": {"name": "greet", "confidence": 0.8}, "entities": []}
    assert said(agent, "yo", parse_data=parse) == ["Hello None!"]


# -- the turn ------------------------------------------------------------------------------


def test_a_new_conversation_starts_a_session_before_the_message(agent: Agent) -> None:
    assert turn(agent, "/greet") == [
        *SESSION_START,
        "user:/greet",
        "action:utter_greet",
        "bot:Hello None!",
        "action:action_listen",
    ]
    assert turn(agent, "/greet") == [
        "user:/greet",
        "action:utter_greet",
        "bot:Hello None!",
        "action:action_listen",
    ]


def test_slots_are_extracted_after_the_message_and_before_the_next_action(agent: Agent) -> None:
    assert turn(agent, '/greet{"name": "Ann"}')[3:] == [
        'user:/greet{"name": "Ann"}',
        "slot:name=Ann",
        "action:utter_greet",
        "bot:Hello Ann!",
        "action:action_listen",
    ]


def test_the_user_event_keeps_the_message_id_metadata_channel_and_clock_time(
    agent: Agent, clock: ManualClock
) -> None:
    result = agent.handle_turn(
        message("/greet", message_id="m-1", metadata={"page": "home"}, input_channel="rest")
    )
    [event] = [e for e in result.events if isinstance(e, UserUttered)]
    assert event.message_id == "m-1"
    assert event.metadata == {"page": "home"}
    assert event.input_channel == "rest"
    assert event.timestamp == clock.now()
    assert event.parse_data["message_id"] == "m-1"
    assert event.parse_data["metadata"] == {"page": "home"}


def test_the_channel_of_the_message_chooses_the_response_variation(agent: Agent) -> None:
    assert said(agent, "/greet", input_channel="slack") == ["Hello None on Slack!"]
    assert said(agent, "/greet", input_channel="rest") == ["Hello None!"]


def test_an_action_event_names_the_policy_and_confidence_that_chose_it(agent: Agent) -> None:
    events = agent.handle_turn(message("/greet")).events
    [chosen] = [e for e in events if isinstance(e, ActionExecuted) and e.name == "utter_greet"]
    assert (chosen.policy, chosen.confidence) == ("RulePolicy", 1.0)


def test_the_bot_messages_are_the_bot_events_stored_for_the_turn(
    agent: Agent, store: RecordingStore
) -> None:
    messages = agent.handle(message("/menu"))
    _, stored = store.appends[-1]
    bots = [e for e in stored if isinstance(e, BotUttered)]
    assert [m.model_dump(exclude_none=True) for m in messages] == [
        {"recipient_id": "ann", **e.message()} for e in bots
    ]
    assert [m.model_dump(exclude_none=True) for m in messages] == [
        {
            "recipient_id": "ann",
            "text": "Pick one",
            "buttons": [{"title": "Soup", "payload": "/inform"}],
            "image": "https://example.com/menu.png",
            "custom": {"layout": "grid"},
        }
    ]


def test_each_turn_is_stored_once_after_the_earlier_events(
    agent: Agent, store: RecordingStore
) -> None:
    first = agent.handle_turn(message("/greet")).events
    assert store.retrieve("ann") == first
    second = agent.handle_turn(message("/menu")).events
    assert [(sender, events) for sender, events in store.appends] == [
        ("ann", first),
        ("ann", second),
    ]
    assert store.retrieve("ann") == [*first, *second]


def test_a_turn_for_another_sender_is_stored_apart(agent: Agent, store: RecordingStore) -> None:
    agent.handle(message("/greet"))
    agent.handle(UserMessage(text="/menu", sender_id="bob"))
    assert store.sender_ids() == ["ann", "bob"]
    assert all(not isinstance(e, UserUttered) or e.text == "/menu" for e in store.retrieve("bob"))


def test_execute_runs_the_action_then_predicts_as_after_any_action(
    agent: Agent, store: RecordingStore
) -> None:
    agent.handle(message("/menu"))
    result = agent.execute("ann", "utter_menu")
    assert [describe(e) for e in result.events] == [
        "action:utter_menu",
        "bot:Pick one",
        "action:action_listen",
    ]
    assert store.appends[-1] == ("ann", result.events)


def test_restart_starts_a_new_session_and_the_bot_listens(agent: Agent) -> None:
    agent.handle(message('/greet{"name": "Ann"}'))
    assert turn(agent, "/restart") == [
        "user:/restart",
        "action:action_restart",
        "restart",
        *SESSION_START,
    ]
    tracker = agent.tracker("ann")
    assert tracker.slots["name"] is None
    assert said(agent, "/greet") == ["Hello None!"]


def test_the_session_start_intent_starts_a_session_and_the_bot_listens(agent: Agent) -> None:
    agent.handle(message('/greet{"name": "Ann"}'))
    assert turn(agent, "/session_start") == [
        "user:/session_start",
        *SESSION_START[:2],
        "slot:name=Ann",
        SESSION_START[2],
    ]
    assert agent.tracker("ann").slots["name"] == "Ann"


def test_a_paused_conversation_only_logs_the_message_until_a_restart(
    agent: Agent, server: FakeActionServer
) -> None:
    server["action_pause"] = answers({"event": "pause", "timestamp": None})
    agent.handle(message("/pause"))
    assert agent.tracker("ann").paused
    assert turn(agent, "/greet") == ["user:/greet"]
    assert turn(agent, "/restart")[:2] == ["user:/restart", "action:action_restart"]
    assert not agent.tracker("ann").paused
    assert said(agent, "/greet") == ["Hello None!"]


class Echo(Policy):
    """Always predicts ``utter_greet``: a dialogue that never listens."""

    name: ClassVar[str] = "Echo"

    def train(self, data: TrainingData, context: PolicyContext) -> None: ...

    def predict(
        self, tracker: Tracker, states: Sequence[State], context: PolicyContext
    ) -> Prediction | None:
        return self._prediction("utter_greet", 1.0)

    def persist(self, folder: Path) -> None: ...

    @classmethod
    def load(cls, folder: Path, options: Mapping[str, Any]) -> Echo:
        return cls(options)


def test_a_dialogue_that_never_listens_is_stopped_and_stored(
    dialogue: DialogueModel, store: RecordingStore, caplog: pytest.LogCaptureFixture
) -> None:
    agent = Agent(DialogueModel(dialogue.domain, [Echo()]), tracker_store=store)
    with caplog.at_level(logging.WARNING, logger="parley.agent"):
        messages = agent.handle(message("/greet"))
    assert len(messages) == MAX_PREDICTIONS
    assert "without listening" in caplog.text
    assert len(store.appends) == 1


# -- sessions ------------------------------------------------------------------------------


def test_a_message_after_the_expiration_time_starts_a_new_session_carrying_the_slots(
    agent: Agent, clock: ManualClock
) -> None:
    agent.handle(message('/greet{"name": "Ann"}'))
    clock.advance(minutes=61)
    assert turn(agent, "/greet") == [
        *SESSION_START[:2],
        "slot:name=Ann",
        SESSION_START[2],
        "user:/greet",
        "action:utter_greet",
        "bot:Hello Ann!",
        "action:action_listen",
    ]


def test_a_message_within_the_expiration_time_continues_the_session(
    agent: Agent, clock: ManualClock
) -> None:
    agent.handle(message("/greet"))
    clock.advance(minutes=59)
    assert turn(agent, "/greet")[0] == "user:/greet"


def test_the_expiration_time_counts_from_the_latest_user_message(
    agent: Agent, clock: ManualClock
) -> None:
    agent.handle(message("/greet"))
    clock.advance(minutes=40)
    agent.handle(message("/greet"))
    clock.advance(minutes=40)
    assert turn(agent, "/greet")[0] == "user:/greet"
    clock.advance(minutes=61)
    assert turn(agent, "/greet")[0] == "action:action_session_start"


def test_a_new_session_forgets_the_slots_when_the_domain_says_so(
    tmp_path: Path, clock: ManualClock
) -> None:
    domain = DOMAIN + "session_config:\n  carry_over_slots_to_new_session: false\n"
    agent = Agent(train(tmp_path, domain), clock=clock, response_seed=0)
    agent.handle(message('/greet{"name": "Ann"}'))
    clock.advance(minutes=61)
    assert said(agent, "/greet") == ["Hello None!"]
    assert agent.tracker("ann").slots["name"] is None


def test_sessions_never_expire_with_an_expiration_time_of_zero(
    tmp_path: Path, clock: ManualClock
) -> None:
    domain = DOMAIN + "session_config:\n  session_expiration_time: 0\n"
    agent = Agent(train(tmp_path, domain), clock=clock, response_seed=0)
    agent.handle(message("/greet"))
    clock.advance(minutes=60 * 24 * 365)
    assert turn(agent, "/greet")[0] == "user:/greet"
    starts = [e for e in agent.tracker("ann").events if isinstance(e, SessionStarted)]
    assert len(starts) == 1


def test_the_session_start_keeps_the_message_metadata(agent: Agent) -> None:
    agent.handle(message("/greet", metadata={"locale": "de"}))
    assert agent.tracker("ann").slots[SESSION_STARTED_METADATA] == {"locale": "de"}


# -- custom actions on the action server ---------------------------------------------------


def test_a_custom_actions_messages_and_events_are_logged_after_its_action_event(
    agent: Agent, server: FakeActionServer
) -> None:
    def fetch(request: Request) -> dict[str, Any]:
        visits = request["tracker"]["slots"]["visits"] or 0
        return reply(slot_set("visits", visits + 1), text="Fetching…")

    server["action_fetch"] = fetch
    assert turn(agent, "/fetch")[3:] == [
        "user:/fetch",
        "action:action_fetch",
        "bot:Fetching…",
        "slot:visits=1",
        "action:action_listen",
    ]
    agent.handle(message("/fetch"))
    assert agent.tracker("ann").slots["visits"] == 2


def test_a_followup_action_from_a_custom_action_runs_next(
    agent: Agent, server: FakeActionServer
) -> None:
    server["action_fetch"] = answers(followup("utter_fetched"))
    assert said(agent, "/fetch") == ["Fetched."]
    assert agent.tracker("ann").latest_action_name == ACTION_LISTEN


@pytest.mark.parametrize(
    "reason", ["connection refused", "timed out after 10 s", "HTTP 500 Internal Server Error"]
)
def test_an_action_server_that_fails_gives_the_fallback_message_and_the_bot_listens(
    agent: Agent, server: FakeActionServer, caplog: pytest.LogCaptureFixture, reason: str
) -> None:
    server["action_fetch"] = fails(reason)
    with caplog.at_level(logging.ERROR, logger="parley.agent"):
        assert turn(agent, "/fetch")[3:] == [
            "user:/fetch",
            "rejected:action_fetch",
            f"bot:{DEFAULT_FALLBACK_TEXT}",
            "action:action_listen",
        ]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "action_fetch" in record.getMessage()
    assert reason in record.getMessage()
    # The conversation goes on.
    assert said(agent, "/greet") == ["Hello None!"]
    server["action_fetch"] = answers(text="Fetched it.")
    assert said(agent, "/fetch") == ["Fetched it."]


def test_a_failing_action_says_utter_default_when_the_domain_has_it(
    tmp_path: Path, server: FakeActionServer
) -> None:
    domain = DOMAIN + "  utter_default: [{text: 'Sorry, try later.'}]\n"
    agent = Agent(train(tmp_path, domain), action_client=server, response_seed=0)
    server["action_fetch"] = fails()
    assert said(agent, "/fetch") == ["Sorry, try later."]


def test_a_refused_action_is_logged_rejected_and_another_action_is_predicted(
    agent: Agent, server: FakeActionServer
) -> None:
    server["action_check"] = rejects("the account is locked")
    assert turn(agent, "/check")[3:] == [
        "user:/check",
        "rejected:action_check",
        "action:utter_cannot_check",
        "bot:I can't check that now.",
        "action:action_listen",
    ]
    assert server.called == ["action_check"]


def test_a_refused_action_with_no_other_prediction_leaves_the_bot_listening(
    dialogue: DialogueModel, server: FakeActionServer
) -> None:
    # Only the rule knows /check: once its action is refused, nothing else is predicted.
    [rules] = [p for p in dialogue.policies if p.name == "RulePolicy"]
    only_rules = DialogueModel(dialogue.domain, [rules])
    agent = Agent(only_rules, action_client=server, response_seed=0)
    server["action_check"] = rejects()
    assert turn(agent, "/check")[3:] == [
        "user:/check",
        "rejected:action_check",
        "action:action_listen",
    ]
    assert server.called == ["action_check"]
