"""Conversations through the agent with custom actions on a real rasa-sdk action server:
formbot's form validated by ``validate_restaurant_form``, and an action server that is
slow, down, refusing (400) or failing (500), after which the conversation goes on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.action_server import ActionServerPool, action_server_pool

from parley.agent import Agent
from parley.clients.action_server import HttpActionClient
from parley.core.events import ActionExecuted, ActionExecutionRejected, BotUttered, SlotSet
from parley.core.messages import UserMessage
from parley.dialogue.dialogue_model import DialogueModel
from parley.project import load_project
from parley.project.reader import read_project

pytestmark = [pytest.mark.integration]

FALLBACK = "Sorry, something went wrong."


@pytest.fixture(scope="module")
def servers() -> Iterator[ActionServerPool]:
    with action_server_pool(env={"ACTION_SLOW_SECONDS": "3"}) as pool:
        yield pool


def say(agent: Agent, text: str, sender: str = "user") -> list[str]:
    return [m.text or "" for m in agent.handle(UserMessage(text=text, sender_id=sender))]


def test_a_form_validates_each_answer_on_the_action_server(
    servers: ActionServerPool, shared_dir: Path
) -> None:
    """rasa-3x-form-examples/05-validation: ``validate_name_form`` on the real server
    cleans each name down to its letters and refuses one with none."""
    folder = shared_dir / "bench" / "bots" / "rasa-3x-form-examples" / "05-validation"
    project = load_project(folder)
    dialogue, _ = DialogueModel.train(
        project.domain, project.stories, project.rules, project.config.policies
    )
    with HttpActionClient(servers.url("form_examples_05")) as client:
        agent = Agent(dialogue, action_client=client, response_seed=0)
        assert say(agent, "/request_names") == ["What is your first name?"]
        # No letters: refused by the server, and the form asks again.
        assert say(agent, "1234") == ["That must've been a typo.", "What is your first name?"]
        assert agent.tracker("user").get_slot("first_name") is None
        assert say(agent, "V1ncent!") == ["What is your last name?"]
        assert agent.tracker("user").get_slot("first_name") == "Vncent"  # as the server set it
        done = say(agent, "Moreau")
    assert done == ["Ok. Thanks!", "I will remember that your name is Vncent Moreau!"]
    tracker = agent.tracker("user")
    assert tracker.active_loop is None
    assert tracker.get_slot("requested_slot") is None
    assert tracker.latest_action_name == "action_listen"


DOMAIN = """
version: "3.1"
intents: [greet, slow, refuse, crash, unknown]
actions: [action_slow, action_reject, action_crash, action_not_on_the_server]
responses:
  utter_greet:
  - text: Hello!
  utter_default:
  - text: Sorry, something went wrong.
"""
RULES = """
version: "3.1"
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: slow
  steps:
  - intent: slow
  - action: action_slow
- rule: refuse
  steps:
  - intent: refuse
  - action: action_reject
- rule: crash
  steps:
  - intent: crash
  - action: action_crash
- rule: unknown action
  steps:
  - intent: unknown
  - action: action_not_on_the_server
"""


@pytest.fixture(scope="module")
def diagnostics_dialogue(tmp_path_factory: pytest.TempPathFactory) -> DialogueModel:
    root = tmp_path_factory.mktemp("faults")
    (root / "data").mkdir()
    (root / "domain.yml").write_text(DOMAIN, encoding="utf-8")
    (root / "data" / "rules.yml").write_text(RULES, encoding="utf-8")
    (root / "config.yml").write_text("policies:\n- name: RulePolicy\n", encoding="utf-8")
    project = read_project(root).project
    dialogue, _ = DialogueModel.train(
        project.domain, project.stories, project.rules, project.config.policies
    )
    return dialogue


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("intent", "action"),
    [
        ("slow", "action_slow"),  # answers after 3 s; the client waits 0.5 s
        ("crash", "action_crash"),  # HTTP 500
        ("unknown", "action_not_on_the_server"),  # HTTP 404
    ],
)
def test_a_failing_action_gives_the_fallback_and_the_conversation_goes_on(
    servers: ActionServerPool, diagnostics_dialogue: DialogueModel, intent: str, action: str
) -> None:
    with HttpActionClient(servers.url("diagnostics"), timeout=0.5) as client:
        agent = Agent(diagnostics_dialogue, action_client=client)
        assert say(agent, f"/{intent}") == [FALLBACK]
        events = agent.tracker("user").events
        assert any(isinstance(e, ActionExecutionRejected) and e.name == action for e in events)
        assert not any(isinstance(e, ActionExecuted) and e.name == action for e in events)
        assert agent.tracker("user").latest_action_name == "action_listen"
        assert say(agent, "/greet") == ["Hello!"]


def test_an_action_server_that_is_down_gives_the_fallback(
    diagnostics_dialogue: DialogueModel,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/webhook"
    with HttpActionClient(url, timeout=1.0) as client:
        agent = Agent(diagnostics_dialogue, action_client=client)
        assert say(agent, "/slow") == [FALLBACK]
        assert say(agent, "/greet") == ["Hello!"]


def test_a_refused_action_is_logged_as_rejected_and_the_bot_listens(
    servers: ActionServerPool, diagnostics_dialogue: DialogueModel
) -> None:
    with HttpActionClient(servers.url("diagnostics")) as client:
        agent = Agent(diagnostics_dialogue, action_client=client)
        assert say(agent, "/refuse") == []
        tracker = agent.tracker("user")
        assert any(
            isinstance(e, ActionExecutionRejected) and e.name == "action_reject"
            for e in tracker.events
        )
        assert tracker.latest_action_name == "action_listen"
        assert not any(isinstance(e, BotUttered) for e in tracker.events)
        assert not any(isinstance(e, SlotSet) for e in tracker.events)
        assert say(agent, "/greet") == ["Hello!"]
