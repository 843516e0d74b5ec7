"""NLU test examples taken from test stories, for projects with no NLU test file."""

from __future__ import annotations

from collections.abc import Sequence

from parley.core.story import Rule, Story, UserStep
from parley.core.training_data import Example
from parley.project.annotation import AnnotationError, parse_annotated


def story_examples(stories: Sequence[Story | Rule]) -> list[Example]:
    """The user steps of test stories that give both the text and its intent, as NLU
    examples (entities from the text's annotations), each distinct one once: what Rasa's
    `rasa test` scores NLU on when there is no NLU test file."""
    found: dict[tuple[str, str, str], Example] = {}
    for story in stories:
        for step in story.steps:
            if not isinstance(step, UserStep) or not step.user or not step.intent:
                continue
            try:
                text, entities = parse_annotated(step.user.strip())
            except AnnotationError:
                continue  # the reader reported it; an unreadable step tests nothing
            example = Example(text=text, intent=step.intent, entities=entities)
            found.setdefault((text, step.intent, example.model_dump_json()), example)
    return list(found.values())
