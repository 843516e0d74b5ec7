"""Stories and rules as the event sequences policies learn from.

A story becomes the events a real conversation following it would log: ``action_listen``
before each user turn, a ``user`` event with the intent and entities (or the text, for
end-to-end turns), an ``action`` event per action, slot and loop events as written.
Checkpoints join stories (a story ending in ``checkpoint: x`` continues in every story
starting with it whose checkpoint's ``slot_was_set`` conditions hold) and ``or`` steps
fork one; both are expanded here, with a cap so a checkpoint graph with cycles stays
finite.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from parley.core.domain import Domain
from parley.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from parley.core.story import (
    ActionStep,
    ActiveLoopStep,
    CheckpointStep,
    OrStep,
    Rule,
    SlotValue,
    SlotWasSetStep,
    Step,
    Story,
    UserStep,
)
from parley.core.tracker import ACTION_LISTEN
from parley.dialogue.slots import slots_for_entities
from parley.project.annotation import AnnotationError, parse_annotated

STORY_START = "STORY_START"
MAX_JOINED = 3
"""How many checkpoint hops one generated conversation may take."""
MAX_CONVERSATIONS = 5000

SET_WITHOUT_VALUE = "__set__"
"""The value a bare ``- slot_name`` step gives: the slot is set, its value not said."""

Interpreter = Callable[[str], tuple[str | None, list[dict[str, Any]]]]
"""What NLU makes of an end-to-end text: its intent and entities."""


def user_event(step: UserStep, interpret: Interpreter | None = None) -> UserUttered:
    """The ``user`` event of a story's user step. End-to-end text without an intent gets
    the intent NLU gives it when ``interpret`` is passed (so stories written in text and in
    intents teach the same states)."""
    text: str | None = None
    entities: list[dict[str, Any]] = []
    if step.user is not None:
        try:
            text, annotations = parse_annotated(step.user.strip())
        except AnnotationError:
            text, annotations = step.user.strip(), []
        entities = [a.model_dump(exclude_none=True) for a in annotations]
    for given in step.entities:
        entity: dict[str, Any] = {"entity": given.entity}
        entity["value"] = given.value if given.value_given else SET_WITHOUT_VALUE
        if given.role:
            entity["role"] = given.role
        if given.group:
            entity["group"] = given.group
        entities.append(entity)
    intent = step.intent
    if intent is None and text is not None and interpret is not None:
        intent, found = interpret(text)
        entities = entities or found
    parse_data: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0} if intent else {},
        "entities": entities,
    }
    return UserUttered(text=text, parse_data=parse_data)


def slot_events(slots: Sequence[SlotValue]) -> list[Event]:
    return [
        SlotSet(name=slot.name, value=slot.value if slot.value_given else SET_WITHOUT_VALUE)
        for slot in slots
    ]


def step_events(
    step: UserStep | ActionStep | ActiveLoopStep | SlotWasSetStep,
    previous: list[Event],
    interpret: Interpreter | None = None,
    domain: Domain | None = None,
) -> list[Event]:
    """The events one (non-branching) step adds after ``previous``; with the ``domain``, a
    user turn also fills the slots its entities map to (as Rasa's stories do)."""
    if isinstance(step, UserStep):
        listen: list[Event] = [] if _listening(previous) else [ActionExecuted(name=ACTION_LISTEN)]
        said = user_event(step, interpret)
        filled = slots_for_entities(domain, said.entities) if domain is not None else []
        return [*listen, said, *filled]
    if isinstance(step, ActionStep):
        if step.action is not None:
            return [ActionExecuted(name=step.action)]
        return [ActionExecuted(action_text=(step.bot or "").strip())]
    if isinstance(step, ActiveLoopStep):
        return [ActiveLoop(name=step.active_loop)]
    return slot_events(step.slots)


def _user_after(events: list[Event]) -> bool:
    """True when a user event came after the last action (two user steps in a row)."""
    for event in reversed(events):
        if isinstance(event, ActionExecuted):
            return False
        if isinstance(event, UserUttered):
            return True
    return False


def _expand(
    steps: Sequence[Step],
    start: list[Event],
    interpret: Interpreter | None,
    domain: Domain | None = None,
) -> list[list[Event]]:
    """Every event sequence the steps describe (``or`` steps fork), each after ``start``."""
    runs: list[list[Event]] = [list(start)]
    for step in steps:
        if isinstance(step, CheckpointStep):
            continue
        if isinstance(step, OrStep):
            runs = [
                [*run, *step_events(alternative, run, interpret, domain)]
                for run in runs
                for alternative in step.alternatives
            ][:MAX_CONVERSATIONS]
            continue
        for run in runs:
            run.extend(step_events(step, run, interpret, domain))
    return runs


def _checkpoints(steps: Sequence[Step]) -> tuple[list[str], list[str]]:
    """The checkpoints a story starts from and the ones it ends in."""
    starts: list[str] = []
    for step in steps:
        if not isinstance(step, CheckpointStep):
            break
        starts.append(step.checkpoint)
    ends: list[str] = []
    for step in reversed(steps):
        if not isinstance(step, CheckpointStep):
            break
        ends.append(step.checkpoint)
    return starts, ends


def story_conversations(
    stories: Sequence[Story],
    interpret: Interpreter | None = None,
    domain: Domain | None = None,
) -> list[list[Event]]:
    """The conversations a set of stories describes, checkpoints joined."""
    parts = []
    for story in stories:
        starts, ends = _checkpoints(story.steps)
        if len(starts) == len(story.steps):
            ends = []
        parts.append((starts or [STORY_START], story, ends))
    continuing: dict[str, list[Story]] = {}
    for starts, story, _ in parts:
        for name in starts:
            continuing.setdefault(name, []).append(story)
    ends_of = {id(story): ends for _, story, ends in parts}
    conversations: list[list[Event]] = []
    queue: deque[tuple[Story, list[Event], int]] = deque(
        (story, [], 0) for starts, story, _ in parts if starts == [STORY_START]
    )
    while queue and len(conversations) < MAX_CONVERSATIONS:
        story, prefix, hops = queue.popleft()
        for run in _expand(story.steps, prefix, interpret, domain):
            following = [
                nxt
                for name in ends_of[id(story)]
                for nxt in continuing.get(name, [])
                if _meets_checkpoint(nxt, name, run)
            ]
            if following and hops < MAX_JOINED:
                queue.extend((nxt, run, hops + 1) for nxt in following)
            else:
                conversations.append(ended(run))
    return conversations


def _meets_checkpoint(story: Story, name: str, run: list[Event]) -> bool:
    """Whether ``run`` may continue in ``story`` through its start checkpoint ``name``:
    the slots the checkpoint lists (``slot_was_set``) have those values after ``run``."""
    values: dict[str, Any] = {}
    for event in run:
        if isinstance(event, SlotSet):
            values[event.name] = event.value
    for step in story.steps:
        if not isinstance(step, CheckpointStep):
            break
        if step.checkpoint != name:
            continue
        for slot in step.slot_was_set:
            value = values.get(slot.name)
            if (value != slot.value) if slot.value_given else value is None:
                return False
    return True


def ended(events: list[Event]) -> list[Event]:
    """A story's end means the bot listens: ``action_listen`` after its last action."""
    last = events[-1] if events else None
    if last is None or isinstance(last, UserUttered):
        return events
    if _listening(events):
        return events
    return [*events, ActionExecuted(name=ACTION_LISTEN)]


def _listening(events: list[Event]) -> bool:
    """Whether the bot is listening after ``events``: its last action was ``action_listen``
    and no user message has come since."""
    latest = next((e for e in reversed(events) if isinstance(e, ActionExecuted)), None)
    return latest is not None and latest.name == ACTION_LISTEN and not _user_after(events)


def rule_conversation(
    rule: Rule, interpret: Interpreter | None = None, domain: Domain | None = None
) -> list[list[Event]]:
    """A rule's events: its conditions first, then its steps, then ``action_listen``
    unless the rule says ``wait_for_user_input: false``."""
    start: list[Event] = []
    for condition in rule.condition:
        if isinstance(condition, ActiveLoopStep):
            start.append(ActiveLoop(name=condition.active_loop))
        else:
            start.extend(slot_events(condition.slots))
    runs = _expand(rule.steps, start, interpret, domain)
    if rule.wait_for_user_input and rule.steps:
        last = rule.steps[-1]
        if not isinstance(last, UserStep):
            for run in runs:
                run.append(ActionExecuted(name=ACTION_LISTEN))
    return runs
