"""Conversation tests: does the assistant follow its own test stories (``tests/test_*.yml``)?

Each test story is replayed as Rasa's ``rasa test`` replays it: every action of the story
is compared with what the policies predict at that point, after the story's user turns (a
text without an intent is parsed by the model's NLU). With ``e2e`` (Rasa's ``--e2e``), user
turns that give both text and intent are parsed too, and the NLU's intent and entities must
match the story's for it to pass; without it, the NLU is scored on those messages
separately (``parley test nlu``). The story's own events are then applied (the gold path),
so one mistake does not hide the steps after it, and a story fails at its first diverging
step. Where the story
skips a form's turns (``- action: my_form`` straight to ``- active_loop: null``), a form
prediction that the story contradicts is taken as the form rejecting the message, as
Rasa does.

When the agent has an action server, each custom action of the story is also run on it
against the replayed conversation, so a test also fails when an action crashes; its
events are not applied (the story says what happens next).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from parley.agent import Agent
from parley.core.events import ActionExecuted, ActionExecutionRejected, Event, UserUttered
from parley.core.story import (
    ActionStep,
    ActiveLoopStep,
    CheckpointStep,
    OrStep,
    Rule,
    SlotWasSetStep,
    Story,
    UserStep,
)
from parley.core.tracker import ACTION_LISTEN, ACTION_SESSION_START, Tracker
from parley.dialogue.actions import ActionContext
from parley.dialogue.form import FormAction
from parley.dialogue.remote_action import RemoteAction
from parley.dialogue.slots import slots_for_entities
from parley.dialogue.story_events import ended, step_events, user_event
from parley.errors import ActionError, ActionRejectedError, ServiceError


@dataclass(frozen=True)
class StepResult:
    """One checked step: ``kind`` is ``intent``, ``entities``, ``action`` or
    ``action run`` (a custom action that failed on the action server)."""

    step: int
    """Index of the step in the story (0-based), as written."""
    kind: str
    expected: str
    predicted: str
    policy: str | None = None
    confidence: float | None = None
    text: str | None = None

    @property
    def passed(self) -> bool:
        return self.expected == self.predicted


@dataclass
class StoryResult:
    name: str
    steps: list[StepResult] = field(default_factory=list)
    skipped: str | None = None
    """Why the story was not run (a checkpoint or an ``or`` step), or None."""

    @property
    def passed(self) -> bool:
        return self.skipped is None and all(step.passed for step in self.steps)

    @property
    def first_failure(self) -> StepResult | None:
        return next((step for step in self.steps if not step.passed), None)

    def to_json(self) -> dict[str, Any]:
        failure = self.first_failure
        return {
            "story": self.name,
            "passed": self.passed,
            "skipped": self.skipped,
            "first_failure": None if failure is None else _step_json(failure),
            "failures": [_step_json(s) for s in self.steps if not s.passed],
        }


@dataclass
class ConversationReport:
    stories: list[StoryResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for story in self.stories if story.passed)

    @property
    def failed(self) -> int:
        return len(self.stories) - self.passed

    @property
    def pass_rate(self) -> float:
        return self.passed / len(self.stories) if self.stories else 1.0

    def action_pairs(self) -> list[tuple[str, str]]:
        return [
            (step.expected, step.predicted)
            for story in self.stories
            for step in story.steps
            if step.kind == "action"
        ]

    def to_json(self) -> dict[str, Any]:
        actions = self.action_pairs()
        correct = sum(1 for expected, predicted in actions if expected == predicted)
        return {
            "stories": len(self.stories),
            "passed": self.passed,
            "failed": self.failed,
            "pass_rate": round(self.pass_rate, 4),
            "actions": len(actions),
            "action_accuracy": round(correct / len(actions), 4) if actions else None,
            "results": [story.to_json() for story in self.stories],
        }


def _step_json(step: StepResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "step": step.step,
        "kind": step.kind,
        "expected": step.expected,
        "predicted": step.predicted,
    }
    if step.policy is not None:
        data["policy"] = step.policy
        data["confidence"] = None if step.confidence is None else round(step.confidence, 4)
    if step.text is not None:
        data["text"] = step.text
    return data


def replay_test_stories(
    agent: Agent,
    stories: Sequence[Story | Rule],
    *,
    run_actions: bool = True,
    e2e: bool = False,
) -> ConversationReport:
    """Replay every story against ``agent``; custom actions run on its action server when
    it has one and ``run_actions``."""
    report = ConversationReport()
    for story in stories:
        report.stories.append(_replay(agent, story, run_actions=run_actions, e2e=e2e))
    return report


def _replay(agent: Agent, story: Story | Rule, *, run_actions: bool, e2e: bool) -> StoryResult:
    result = StoryResult(name=story.name)
    unsupported = next((s for s in story.steps if isinstance(s, CheckpointStep | OrStep)), None)
    if unsupported is not None:
        result.skipped = f"a test story cannot hold `{unsupported.kind}` steps"
        return result
    tracker = agent.dialogue.tracker(f"test: {story.name}")
    context = agent.action_context(None)
    events: list[Event] = []

    def apply(new: Sequence[Event], position: int | None = None) -> None:
        """Apply the story's events; each action among them is first checked against
        the prediction (``position``: the step it comes from)."""
        for event in new:
            if position is not None and isinstance(event, ActionExecuted):
                _check_action(
                    agent,
                    tracker=tracker,
                    gold=event,
                    position=position,
                    result=result,
                    context=context,
                    run_actions=run_actions,
                )
            tracker.update(event)
            events.append(event)

    apply(agent.actions.get(ACTION_SESSION_START).run(tracker, context))
    if isinstance(story, Rule):
        for condition in story.condition:
            apply(step_events(condition, events))
    for position, step in enumerate(story.steps):
        if isinstance(step, UserStep):
            listen = [e for e in step_events(step, events) if isinstance(e, ActionExecuted)]
            apply(listen, position)
            said = _user_turn(agent, step, position, result, e2e=e2e)
            apply([said, *slots_for_entities(agent.domain, said.entities)])
        elif isinstance(step, ActionStep):
            apply(step_events(step, events), position)
        elif isinstance(step, ActiveLoopStep | SlotWasSetStep):
            apply(step_events(step, events))
    if isinstance(story, Story):
        # The end of a story is the bot listening: that is checked too.
        apply(ended(events)[len(events) :], len(story.steps))
    return result


def _user_turn(
    agent: Agent, step: UserStep, position: int, result: StoryResult, *, e2e: bool
) -> UserUttered:
    """The story's user event (gold); with ``e2e``, after checking what NLU makes of its
    text."""
    gold = user_event(step)
    if step.user is None or gold.text is None or (step.intent is not None and not e2e):
        return gold
    parsed = agent.parse(gold.text)
    predicted_intent = (parsed.get("intent") or {}).get("name")
    if step.intent is None:
        # An end-to-end turn without an intent: the conversation goes on with NLU's reading.
        return UserUttered(text=gold.text, parse_data={**parsed, "text": gold.text})
    result.steps.append(
        StepResult(
            step=position,
            kind="intent",
            expected=step.intent,
            predicted=str(predicted_intent),
            text=gold.text,
        )
    )
    # Entities the domain does not declare (a Duckling dimension nobody maps) cannot change
    # the conversation, so they are not held against the story.
    known = set(agent.domain.entity_names)
    expected = _entity_labels(gold.entities)
    predicted = _entity_labels([e for e in parsed.get("entities", []) if e.get("entity") in known])
    if expected != "(none)" or predicted != "(none)":
        result.steps.append(
            StepResult(
                step=position,
                kind="entities",
                expected=expected,
                predicted=predicted,
                text=gold.text,
            )
        )
    return gold


def _entity_labels(entities: Sequence[dict[str, Any]]) -> str:
    labels = sorted(
        f"{e.get('entity')}[{e.get('start')}:{e.get('end')}]"
        + (f"#{e['role']}" if e.get("role") else "")
        + (f"@{e['group']}" if e.get("group") else "")
        for e in entities
    )
    return ", ".join(labels) or "(none)"


def _check_action(
    agent: Agent,
    *,
    tracker: Tracker,
    gold: ActionExecuted,
    position: int,
    result: StoryResult,
    context: ActionContext,
    run_actions: bool,
) -> None:
    expected = gold.name if gold.name is not None else (gold.action_text or "")
    prediction = agent.predict(tracker)
    predicted = prediction.action if prediction else ACTION_LISTEN
    loop = tracker.active_loop_name
    if predicted != expected and predicted == loop and loop in agent.domain.form_names:
        # The story leaves the form's path here: as if the form rejected the message.
        tracker.update(ActionExecutionRejected(name=loop))
        prediction = agent.predict(tracker)
        predicted = prediction.action if prediction else ACTION_LISTEN
    result.steps.append(
        StepResult(
            step=position,
            kind="action",
            expected=expected,
            predicted=predicted,
            policy=prediction.policy if prediction else None,
            confidence=prediction.confidence if prediction else None,
        )
    )
    if run_actions and agent.action_client is not None and gold.name is not None:
        failure = _run_on_action_server(agent, tracker, gold.name, context)
        if failure is not None:
            result.steps.append(
                StepResult(step=position, kind="action run", expected="ran", predicted=failure)
            )


def _run_on_action_server(
    agent: Agent, tracker: Tracker, name: str, context: ActionContext
) -> str | None:
    """Run a custom action (or a form, which may call its validation action) on a copy of
    the replayed conversation; the failure, or None when it ran (or was rejected, which
    is a normal outcome)."""
    action = agent.actions.get(name)
    if not isinstance(action, RemoteAction | FormAction):
        return None
    try:
        action.run(tracker.copy(), context)
    except ActionRejectedError:
        return None
    except (ServiceError, ActionError) as error:
        return f"failed: {error}"
    return None
