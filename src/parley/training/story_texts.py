"""NLU examples hidden in end-to-end stories.

A story may give a user turn as text only (``- user: "I can always go for sushi"``). Where
the stories written with intents show exactly one intent between the same two actions
(``utter_suggest_cuisine`` → ``affirm`` → ``utter_search_restaurants``), that text is an
example of that intent, and the NLU learns from it. Texts whose place in the stories is
ambiguous (several intents fit, or none) teach nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from parley.core.story import ActionStep, Rule, Step, Story, UserStep
from parley.core.training_data import Example
from parley.project.annotation import AnnotationError, parse_annotated

START = "(conversation start)"
END = "(end)"

Context = tuple[str, str]


def story_text_examples(blocks: Sequence[Story | Rule]) -> list[Example]:
    """The end-to-end user texts of ``blocks`` whose intent the other steps imply."""
    intents: dict[Context, set[str]] = {}
    texts: list[tuple[Context, UserStep]] = []
    for block in blocks:
        for index, step in enumerate(block.steps):
            if not isinstance(step, UserStep):
                continue
            context = (
                _neighbour(reversed(block.steps[:index]), START),
                _neighbour(block.steps[index + 1 :], END),
            )
            if step.intent is not None:
                intents.setdefault(context, set()).add(step.intent)
            elif step.user is not None:
                texts.append((context, step))
    examples: dict[tuple[str, str], Example] = {}
    for context, step in texts:
        candidates = intents.get(context, set())
        if len(candidates) != 1:
            continue
        try:
            text, entities = parse_annotated((step.user or "").strip())
        except AnnotationError:
            continue
        intent = next(iter(candidates))
        examples.setdefault((text, intent), Example(text=text, intent=intent, entities=entities))
    return list(examples.values())


def _neighbour(steps: Iterable[Step], default: str) -> str:
    """The first action of ``steps`` (``(user)`` when a user turn comes first)."""
    for step in steps:
        if isinstance(step, ActionStep):
            return step.action or f"bot: {step.bot}"
        if isinstance(step, UserStep):
            return "(user)"
    return default
