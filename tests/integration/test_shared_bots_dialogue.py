"""The shared assistants as whole assistants: each trains NLU and dialogue with its own
config.yml, and the bots with test stories pass them, custom actions served by a real
rasa-sdk action server (``tests/action_server/``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.action_server import ActionServerPool, action_server_pool

from parley.clients.action_server import HttpActionClient
from parley.core.events import UserUttered
from parley.core.story import ActionStep, UserStep
from parley.evaluation.conversations import replay_test_stories
from parley.models.loading import load_model
from parley.models.manifest import ModelKind
from parley.nlu.component import ComponentContext
from parley.project import load_project
from parley.training.model import train_model

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ACTION_MODULES = {
    "formbot": "formbot",
    "initial_project": None,
    "e2ebot": None,
    "01-actions": "form_examples_01",
    "02-slots": "form_examples_02",
    "03-conditions": "form_examples_03",
    "04-from-text": None,
    "05-validation": "form_examples_05",
    "retail-demo": "retail_demo",
    "insurance-demo": "insurance_demo",
}
"""The bots whose own test stories must pass, and the action module serving each."""

E2E_NLU_MISSES = {"retail-demo"}
"""Bots whose NLU misreads some test-story messages, so that --e2e fails a few stories on an
intent or entity (retail-demo: "5" and "9" answering a form are read as out_of_scope and
product_stock, which its NLU data pairs with numbers; "don't" after an extra first word is
not tagged as negation, which two training examples annotate only as the second word)."""


def test_a_shared_bot_trains_and_predicts_its_first_story(shared_bot: Path, tmp_path: Path) -> None:
    project = load_project(shared_bot)
    result = train_model(project, tmp_path, context=ComponentContext())
    assert result.manifest.kind is ModelKind.FULL
    assert result.manifest.policies
    agent = load_model(result.path).agent()
    story = next(
        s
        for s in [*project.stories, *(r for r in project.rules if not r.condition)]
        if len(s.steps) > 1
        and isinstance(s.steps[0], UserStep)
        and s.steps[0].intent
        and isinstance(s.steps[1], ActionStep)
        and s.steps[1].action
    )
    first, second = story.steps[0], story.steps[1]
    assert isinstance(first, UserStep)
    assert isinstance(second, ActionStep)
    tracker = agent.dialogue.tracker("first-story")
    context = agent.action_context(None)
    tracker.extend(agent.actions.get("action_session_start").run(tracker, context))
    tracker.update(
        UserUttered(
            text=f"/{first.intent}",
            parse_data={"intent": {"name": first.intent, "confidence": 1.0}, "entities": []},
        )
    )
    prediction = agent.predict(tracker)
    assert prediction is not None
    assert prediction.action == second.action, (story.name, prediction)


@pytest.fixture(scope="module")
def action_servers() -> Iterator[ActionServerPool]:
    with action_server_pool() as pool:
        yield pool


@pytest.mark.parametrize("bot", sorted(ACTION_MODULES))
def test_the_bot_passes_its_own_test_stories(
    bot: str, shared_dir: Path, action_servers: ActionServerPool, tmp_path: Path
) -> None:
    root = shared_dir / "bench" / "bots"
    folder = root / bot if (root / bot).is_dir() else root / "rasa-3x-form-examples" / bot
    project = load_project(folder)
    result = train_model(project, tmp_path, context=ComponentContext())
    module = ACTION_MODULES[bot]
    with contextlib.ExitStack() as stack:
        client = (
            stack.enter_context(HttpActionClient(action_servers.url(module))) if module else None
        )
        agent = load_model(result.path).agent(action_client=client)
        stories = [*project.tests.stories, *project.tests.rules]
        assert stories
        report = replay_test_stories(agent, stories, run_actions=client is not None)
        e2e = replay_test_stories(agent, stories, run_actions=False, e2e=True)
    failures = {story.name: story.first_failure for story in report.stories if not story.passed}
    print(
        f"{bot}: {report.passed}/{len(report.stories)} test stories passed; "
        f"{e2e.passed}/{len(e2e.stories)} with the NLU checked too (--e2e)"
    )
    assert not failures, failures
    # End to end, a story may fail only on what the NLU makes of a message, and only for
    # the bots known to have such misses; the dialogue steps are the ones checked above.
    misses = {
        story.name: story.first_failure
        for story in e2e.stories
        if story.first_failure is not None
        and (story.first_failure.kind not in {"intent", "entities"} or bot not in E2E_NLU_MISSES)
    }
    assert not misses, misses
