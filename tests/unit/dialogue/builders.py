"""Small domains, stories, rules and conversations for the dialogue policy tests.

Stories and rules are written in Rasa YAML (read by Parley's own reader); domains and
conversations are built in code, so each test shows all it depends on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from parley.core.domain import Domain, Entity, Form, Intent, Slot, SlotType
from parley.core.events import ActionExecuted, Event, SlotSet, UserUttered
from parley.core.story import Rule, Story
from parley.core.tracker import ACTION_LISTEN, Tracker
from parley.dialogue.policy import Policy, PolicyContext, Prediction, TrainingData
from parley.dialogue.state import StateFeaturizer
from parley.dialogue.story_events import Interpreter, rule_conversation, story_conversations
from parley.project.training_data_file import read_training_data
from parley.project.yaml_file import read_yaml_text


def make_domain(
    intents: Iterable[str] = (),
    *,
    entities: Iterable[str | Entity] = (),
    slots: Iterable[Slot] = (),
    forms: dict[str, list[str]] | None = None,
    **options: Any,
) -> Domain:
    return Domain(
        intents=[Intent(name=name) for name in intents],
        entities=[e if isinstance(e, Entity) else Entity(name=e) for e in entities],
        slots=list(slots),
        forms=[Form(name=name, required_slots=req) for name, req in (forms or {}).items()],
        **options,
    )


def text_slot(name: str, **options: Any) -> Slot:
    return Slot(name=name, type=SlotType.TEXT, **options)


def bool_slot(name: str, **options: Any) -> Slot:
    return Slot(name=name, type=SlotType.BOOL, **options)


def read_data(yaml: str) -> tuple[list[Story], list[Rule]]:
    """The stories and rules of a training data file's content; fails on any problem."""
    content = read_training_data(read_yaml_text(Path("data/test.yml"), yaml))
    assert not content.problems, [str(p) for p in content.problems]
    return content.stories, content.rules


def training_data(yaml: str, interpret: Interpreter | None = None) -> TrainingData:
    stories, rules = read_data(yaml)
    return TrainingData(
        stories=story_conversations(stories, interpret),
        rules=[(r.conversation_start, run) for r in rules for run in rule_conversation(r)],
    )


def context(domain: Domain, seed: int = 0) -> PolicyContext:
    return PolicyContext(domain=domain, featurizer=StateFeaturizer(domain), seed=seed)


def trained(policy: Policy, yaml: str, ctx: PolicyContext) -> Policy:
    policy.train(training_data(yaml), ctx)
    return policy


# -- conversations --------------------------------------------------------------------


def listen() -> ActionExecuted:
    return ActionExecuted(name=ACTION_LISTEN)


def action(name: str) -> ActionExecuted:
    return ActionExecuted(name=name)


def user(intent: str | None, text: str | None = None, **entities: Any) -> UserUttered:
    """A user message as NLU gives it; ``entities`` are ``name=value``."""
    parse: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0} if intent else {},
        "entities": [{"entity": name, "value": value} for name, value in entities.items()],
    }
    return UserUttered(text=text if text is not None else intent, parse_data=parse)


def turn(intent: str, *actions: str, **entities: Any) -> list[Event]:
    """``action_listen``, the user's message, then the bot's actions."""
    return [listen(), user(intent, **entities), *(action(a) for a in actions)]


def slot(name: str, value: Any) -> SlotSet:
    return SlotSet(name=name, value=value)


def conversation(ctx: PolicyContext, *parts: Event | Sequence[Event]) -> Tracker:
    events: list[Event] = []
    for part in parts:
        events.extend([part] if isinstance(part, Event) else part)
    return ctx.featurizer.tracker("test", events)


def predict(policy: Policy, ctx: PolicyContext, tracker: Tracker) -> Prediction | None:
    return policy.predict(tracker, ctx.featurizer.past_states(tracker), ctx)


def next_action(policy: Policy, ctx: PolicyContext, *parts: Event | Sequence[Event]) -> str | None:
    prediction = predict(policy, ctx, conversation(ctx, *parts))
    return prediction.action if prediction else None
