"""Cross-validation: stratified, seeded folds; each example held out once; rare intents kept
in training; real pipelines trained per fold."""

from __future__ import annotations

from collections import Counter

import pytest

from parley.core.training_data import EntityAnnotation, Example, NLUData
from parley.errors import ProjectError
from parley.evaluation.nlu import cross_validate
from parley.nlu.component import ComponentContext
from parley.project.config import ComponentSpec

DRINKS = ("latte", "espresso", "mocha", "tea", "cocoa", "flat white")
ORDER_TEMPLATES = (
    "a {} please",
    "can I get a {}",
    "I would like a {}",
    "one {} for me",
    "make me a {}",
    "I want a {}",
)
GREETINGS = ("hi", "hello there", "hey", "good morning", "hi again", "hello")
GOODBYES = ("bye", "goodbye", "see you", "bye bye", "see you later", "goodbye then")

ENTITY_PIPELINE = [
    ComponentSpec(name="WhitespaceTokenizer"),
    ComponentSpec(name="LexicalSyntacticFeaturizer"),
    ComponentSpec(name="CRFEntityExtractor"),
]
INTENT_PIPELINE = [
    ComponentSpec(name="WhitespaceTokenizer"),
    ComponentSpec(name="CountVectorsFeaturizer"),
    ComponentSpec(name="LinearIntentClassifier"),
]


def order(template: str, drink: str) -> Example:
    text = template.format(drink)
    start = text.index(drink)
    return Example(
        text=text,
        intent="order",
        entities=[
            EntityAnnotation(start=start, end=start + len(drink), value=drink, entity="drink")
        ],
    )


def dataset(*, rare: int = 0) -> NLUData:
    """Six examples each of greet, goodbye and order (with a drink entity), and ``rare``
    examples of an intent with few."""
    examples = [Example(text=t, intent="greet") for t in GREETINGS]
    examples += [Example(text=t, intent="goodbye") for t in GOODBYES]
    examples += [order(t, d) for t, d in zip(ORDER_TEMPLATES, DRINKS, strict=True)]
    examples += [Example(text=f"help me {n}", intent="help") for n in range(rare)]
    return NLUData(examples=examples)


def test_every_example_is_held_out_once_in_stratified_folds() -> None:
    nlu = dataset()
    report = cross_validate(nlu, ENTITY_PIPELINE, 3, ComponentContext(seed=1))
    assert [f.fold for f in report.folds] == [1, 2, 3]
    assert [f.test_examples for f in report.folds] == [6, 6, 6]
    assert [f.train_examples for f in report.folds] == [12, 12, 12]
    assert report.examples == 18
    assert report.not_evaluated == {}
    # The drink entities of the six order examples, each scored once.
    assert report.entities is not None
    assert report.entities.report.labels["drink"].support == 6
    assert list(report.extractors) == ["CRFEntityExtractor"]
    assert report.intents is None  # the pipeline classifies no intents


def test_folds_are_seeded() -> None:
    nlu = dataset()
    first = cross_validate(nlu, ENTITY_PIPELINE, 3, ComponentContext(seed=7))
    again = cross_validate(nlu, ENTITY_PIPELINE, 3, ComponentContext(seed=7))
    assert first == again


def test_intents_with_fewer_examples_than_folds_are_trained_on_but_not_held_out() -> None:
    nlu = dataset(rare=2)
    report = cross_validate(nlu, ENTITY_PIPELINE, 3, ComponentContext())
    assert report.not_evaluated == {"help": 2}
    assert report.examples == 18
    assert [f.train_examples for f in report.folds] == [14, 14, 14]


def test_too_few_examples_for_the_folds_is_an_error_naming_the_fix() -> None:
    with pytest.raises(ProjectError, match="Use fewer folds or add examples"):
        cross_validate(dataset(), ENTITY_PIPELINE, 7, ComponentContext())


def test_fewer_than_two_folds_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2 folds"):
        cross_validate(dataset(), ENTITY_PIPELINE, 1, ComponentContext())


def test_progress_is_reported_across_folds() -> None:
    seen: list[tuple[str, float]] = []
    cross_validate(
        dataset(),
        ENTITY_PIPELINE,
        2,
        ComponentContext(),
        progress=lambda what, done: seen.append((what, done)),
    )
    fractions = [done for _, done in seen]
    assert fractions == sorted(fractions)
    assert any(what.startswith("fold 2/2") for what, _ in seen)
    assert seen[-1] == ("cross-validation done", 1.0)


def test_intents_are_classified_in_every_fold() -> None:
    nlu = dataset(rare=1)
    context = ComponentContext(seed=3)
    report = cross_validate(nlu, INTENT_PIPELINE, 3, context)
    assert report.intents is not None
    supports = {label: s.support for label, s in report.intents.report.labels.items()}
    # "help" is never held out; it may still be predicted, and then shows with support 0.
    assert {label: n for label, n in supports.items() if label != "help"} == {
        "goodbye": 6,
        "greet": 6,
        "order": 6,
    }
    assert supports.get("help", 0) == 0
    assert report.intents.report.accuracy is not None
    assert len(report.intents.correct_confidences) + len(report.intents.wrong_confidences) == 18
    # The single "help" example warns in every fold's training; the warning is kept once.
    codes = Counter(p.code for p in context.problems)
    assert codes["nlu-few-examples"] == 1
