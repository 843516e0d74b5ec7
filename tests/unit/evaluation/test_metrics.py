"""Scoring intents, retrieval responses and entities, on small cases checked by hand."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from parley.core.messages import (
    ExtractedEntity,
    IntentPrediction,
    ParseResult,
    ResponseCandidate,
    RetrievalPrediction,
)
from parley.core.training_data import EntityAnnotation, Example
from parley.evaluation.entities import label_pairs
from parley.evaluation.metrics import NO_ENTITY, classification_report
from parley.evaluation.nlu import NO_PREDICTION, evaluate, score
from parley.nlu.component import ENTITIES, INTENT, TOKENS, Component, ComponentContext
from parley.nlu.message import Message
from parley.nlu.pipeline import Pipeline
from parley.nlu.tokenizer import WhitespaceTokenizer


def example(text: str, intent: str | None, *entities: tuple[int, int, str]) -> Example:
    return Example(
        text=text,
        intent=intent,
        entities=[
            EntityAnnotation(start=s, end=e, value=text[s:e], entity=label)
            for s, e, label in entities
        ],
    )


def entity(text: str, span: tuple[int, int, str], extractor: str = "CRF") -> ExtractedEntity:
    start, end, label = span
    return ExtractedEntity(
        entity=label, start=start, end=end, value=text[start:end], extractor=extractor
    )


def result(
    text: str,
    intent: str | None = None,
    confidence: float = 0.9,
    entities: tuple[ExtractedEntity, ...] = (),
    responses: dict[str, tuple[str, float]] | None = None,
) -> ParseResult:
    return ParseResult(
        text=text,
        intent=IntentPrediction(name=intent, confidence=confidence) if intent else None,
        entities=list(entities),
        response_selector={
            key: RetrievalPrediction(
                response=ResponseCandidate(intent_response_key=name, confidence=value)
            )
            for key, (name, value) in (responses or {}).items()
        },
    )


# ---------------------------------------------------------------------------------------
# Intents


def test_perfect_intents() -> None:
    examples = [example("hi", "greet"), example("hello", "greet"), example("bye", "goodbye")]
    results = [result("hi", "greet"), result("hello", "greet"), result("bye", "goodbye")]
    intents = score(examples, results).intents
    assert intents is not None
    report = intents.report
    assert report.accuracy == 1.0
    assert {label: s.f1 for label, s in report.labels.items()} == {"goodbye": 1.0, "greet": 1.0}
    assert report.labels["greet"].support == 2
    assert report.macro.f1 == report.micro.f1 == report.weighted.f1 == 1.0
    assert report.confusion_labels == ["goodbye", "greet"]
    assert report.confusion_matrix == [[1, 0], [0, 2]]
    assert intents.errors == []
    assert intents.wrong_confidences == []
    assert intents.correct_confidences == [0.9, 0.9, 0.9]


def test_all_wrong_intents() -> None:
    examples = [example("hi", "greet"), example("hey", "greet"), example("bye", "goodbye")]
    results = [
        result("hi", "goodbye", 0.6),
        result("hey", "goodbye", 0.8),
        result("bye", "greet", 0.7),
    ]
    intents = score(examples, results).intents
    assert intents is not None
    report = intents.report
    assert report.accuracy == 0.0
    assert all(s.precision == s.recall == s.f1 == 0.0 for s in report.labels.values())
    assert report.labels["greet"].confused_with == {"goodbye": 2}
    assert report.labels["goodbye"].confused_with == {"greet": 1}
    assert [(e.text, e.gold, e.predicted) for e in intents.errors] == [
        ("hey", "greet", "goodbye"),  # most confident mistake first
        ("bye", "goodbye", "greet"),
        ("hi", "greet", "goodbye"),
    ]
    assert sorted(intents.wrong_confidences) == [0.6, 0.7, 0.8]


def test_mixed_intents_match_hand_computed_scores() -> None:
    # a: 3 gold, 2 found, nothing wrongly called a → P 1, R 2/3, F1 0.8
    # b: 1 gold, found, plus one a called b        → P 1/2, R 1, F1 2/3
    report = classification_report(["a", "a", "a", "b"], ["a", "a", "b", "b"])
    assert report.accuracy == 0.75
    assert report.labels["a"].precision == 1.0
    assert report.labels["a"].recall == pytest.approx(2 / 3)
    assert report.labels["a"].f1 == pytest.approx(0.8)
    assert report.labels["b"].precision == 0.5
    assert report.labels["b"].f1 == pytest.approx(2 / 3)
    assert report.macro.f1 == pytest.approx((0.8 + 2 / 3) / 2)
    assert report.weighted.f1 == pytest.approx((0.8 * 3 + 2 / 3) / 4)
    assert report.micro.f1 == pytest.approx(0.75)
    assert report.macro.support == 4
    rasa = report.to_rasa()
    assert rasa["a"] == {
        "precision": 1.0,
        "recall": pytest.approx(2 / 3),
        "f1-score": pytest.approx(0.8),
        "support": 3,
        "confused_with": {"b": 1},
    }
    assert set(rasa) == {"a", "b", "accuracy", "micro avg", "macro avg", "weighted avg"}


def test_a_label_only_predicted_is_scored_with_no_support() -> None:
    examples = [example("hi", "greet"), example("hmm", "greet")]
    results = [result("hi", "greet"), result("hmm", "nlu_fallback", 0.2)]
    intents = score(examples, results).intents
    assert intents is not None
    fallback = intents.report.labels["nlu_fallback"]
    assert (fallback.support, fallback.precision) == (0, 0.0)
    assert intents.report.labels["greet"].confused_with == {"nlu_fallback": 1}


def test_no_intent_predicted_is_its_own_label_and_no_classifier_means_no_intent_report() -> None:
    examples = [example("hi", "greet"), example("bye", "goodbye")]
    partial = score(examples, [result("hi", "greet"), result("bye")]).intents
    assert partial is not None
    assert partial.report.labels["goodbye"].confused_with == {NO_PREDICTION: 1}
    assert score(examples, [result("hi"), result("bye")]).intents is None


def test_retrieval_intents_are_scored_by_base_for_intents_and_full_key_for_responses() -> None:
    examples = [
        example("what does it cost", "faq/ask_price"),
        example("when are you open", "faq/ask_hours"),
        example("hi", "greet"),
    ]
    results = [
        result("what does it cost", "faq", responses={"faq": ("faq/ask_price", 0.8)}),
        result("when are you open", "faq", responses={"faq": ("faq/ask_price", 0.6)}),
        result("hi", "greet", responses={"faq": ("faq/ask_price", 0.3)}),
    ]
    report = score(examples, results)
    assert report.intents is not None
    assert report.intents.report.accuracy == 1.0
    assert set(report.intents.report.labels) == {"faq", "greet"}
    assert report.responses is not None
    responses = report.responses.report
    assert responses.accuracy == 0.5  # only the two retrieval examples count
    assert responses.labels["faq/ask_hours"].confused_with == {"faq/ask_price": 1}
    assert [(e.gold, e.predicted) for e in report.responses.errors] == [
        ("faq/ask_hours", "faq/ask_price")
    ]


def test_a_selector_for_all_retrieval_intents_answers_under_default() -> None:
    examples = [example("what does it cost", "faq/ask_price"), example("hi", "greet")]
    results = [
        result("what does it cost", "faq", responses={"default": ("faq/ask_price", 0.9)}),
        result("hi", "greet"),
    ]
    responses = score(examples, results).responses
    assert responses is not None
    assert responses.report.accuracy == 1.0


def test_without_a_response_selector_there_is_no_response_report() -> None:
    examples = [example("what does it cost", "faq/ask_price")]
    assert score(examples, [result("what does it cost", "faq")]).responses is None


# ---------------------------------------------------------------------------------------
# Entities


def test_perfect_entities() -> None:
    text = "fly from berlin to paris"
    gold = example(text, "fly", (9, 15, "city"), (19, 24, "city"))
    found = result(
        text, "fly", entities=(entity(text, (9, 15, "city")), entity(text, (19, 24, "city")))
    )
    entities = score([gold], [found]).entities
    assert entities is not None
    assert entities.report.labels["city"].f1 == 1.0
    assert entities.report.labels["city"].support == 2
    assert entities.report.accuracy is None
    assert entities.errors == []


def test_an_entity_off_by_one_character_is_wrong() -> None:
    text = "fly to berlin"
    gold = example(text, "fly", (7, 13, "city"))
    found = result(text, "fly", entities=(entity(text, (7, 12, "city")),))
    entities = score([gold], [found]).entities
    assert entities is not None
    city = entities.report.labels["city"]
    assert (city.precision, city.recall, city.f1, city.support) == (0.0, 0.0, 0.0, 1)
    assert city.confused_with == {NO_ENTITY: 1}
    assert NO_ENTITY not in entities.report.labels
    assert len(entities.errors) == 1
    assert entities.errors[0].predicted[0].end == 12


def test_entity_spans_hand_computed() -> None:
    text = "from berlin to paris at noon"
    gold = example(text, "fly", (5, 11, "city"), (15, 20, "city"), (24, 28, "time"))
    # berlin right; paris labelled country; noon missed; "at" spurious time
    found = result(
        text,
        "fly",
        entities=(
            entity(text, (5, 11, "city")),
            entity(text, (15, 20, "country")),
            entity(text, (21, 23, "time")),
        ),
    )
    entities = score([gold], [found]).entities
    assert entities is not None
    labels = entities.report.labels
    assert (labels["city"].precision, labels["city"].recall) == (1.0, 0.5)
    assert labels["city"].confused_with == {"country": 1}
    assert (labels["country"].precision, labels["country"].support) == (0.0, 0)
    assert (labels["time"].precision, labels["time"].recall) == (0.0, 0.0)
    # micro: 1 hit of 3 predicted and 3 gold
    assert entities.report.micro.precision == pytest.approx(1 / 3)
    assert entities.report.micro.recall == pytest.approx(1 / 3)
    assert entities.report.micro.support == 3


def test_label_pairs() -> None:
    gold = {(0, 4, "a"), (5, 9, "b"), (10, 12, "c")}
    predicted = {(0, 4, "a"), (5, 9, "x"), (13, 15, "c")}
    assert label_pairs(gold, predicted) == [
        ("a", "a"),
        ("b", "x"),
        ("c", NO_ENTITY),
        (NO_ENTITY, "c"),
    ]
    assert label_pairs(set(), set()) == []


def test_entities_are_scored_per_extractor_and_together() -> None:
    text = "call me at 5 in berlin"
    gold = example(text, "call", (11, 12, "number"), (16, 22, "city"))
    found = result(
        text,
        "call",
        entities=(
            entity(text, (16, 22, "city"), "CRFEntityExtractor"),
            entity(text, (16, 22, "city"), "RegexEntityExtractor"),
            entity(text, (11, 12, "time"), "RegexEntityExtractor"),
        ),
    )
    report = score([gold], [found], extractors=["CRFEntityExtractor", "DucklingEntityExtractor"])
    assert list(report.extractors) == [
        "CRFEntityExtractor",
        "DucklingEntityExtractor",
        "RegexEntityExtractor",
    ]
    crf = report.extractors["CRFEntityExtractor"].report
    assert (crf.labels["city"].f1, crf.labels["number"].recall) == (1.0, 0.0)
    assert "time" not in crf.labels
    regex = report.extractors["RegexEntityExtractor"].report
    assert regex.labels["number"].confused_with == {"time": 1}
    assert regex.micro.precision == 0.5
    # an extractor that found nothing still gets a report: it missed everything
    duckling = report.extractors["DucklingEntityExtractor"].report
    assert duckling.micro.recall == 0.0
    assert duckling.micro.support == 2
    # together: the city found twice counts once
    assert report.entities is not None
    together = report.entities.report
    assert together.micro.precision == 0.5
    assert together.micro.recall == 0.5


def test_no_entities_anywhere_means_no_entity_report() -> None:
    report = score([example("hi", "greet")], [result("hi", "greet")], extractors=["CRF"])
    assert report.entities is None
    assert report.extractors == {}


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="1 examples but 0"):
        score([example("hi", "greet")], [])


# ---------------------------------------------------------------------------------------
# Through a pipeline


class FirstWordClassifier(Component):
    """The intent is the first word; a capitalised word is a ``name`` entity. Enough
    behaviour to check that evaluation runs a real pipeline and names its extractors."""

    name = "FirstWordClassifier"
    requires = frozenset({TOKENS})
    provides = frozenset({INTENT, ENTITIES})
    defaults: ClassVar[dict[str, Any]] = {}

    def process(self, message: Message) -> None:
        if message.tokens:
            message.intent = IntentPrediction(name=message.tokens[0].norm, confidence=1.0)
        message.entities = [
            ExtractedEntity(
                entity="name", start=t.start, end=t.end, value=t.text, extractor=self.name
            )
            for t in message.tokens[1:]
            if t.text[:1].isupper()
        ]


def test_evaluate_parses_with_the_pipeline_and_reports_progress() -> None:
    pipeline = Pipeline([WhitespaceTokenizer(), FirstWordClassifier()], ComponentContext())
    examples = [
        example("greet Anna", "greet", (6, 10, "name")),
        example("greet bob", "greet", (6, 9, "name")),
        example("bye now", "goodbye"),
    ]
    seen: list[tuple[str, float]] = []
    report = evaluate(pipeline, examples, progress=lambda what, done: seen.append((what, done)))
    assert report.examples == 3
    assert report.intents is not None
    assert report.intents.report.labels["greet"].recall == 1.0
    assert report.intents.report.labels["goodbye"].confused_with == {"bye": 1}
    assert list(report.extractors) == ["FirstWordClassifier"]
    assert report.entities is not None
    assert report.entities.report.labels["name"].recall == 0.5
    assert seen[0] == ("parsing", 0.0)
    assert seen[-1] == ("parsed", 1.0)
