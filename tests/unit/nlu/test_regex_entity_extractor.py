from __future__ import annotations

from pathlib import Path

import pytest

from parley.core.training_data import (
    EntityAnnotation,
    Example,
    LookupTable,
    NLUData,
    RegexPattern,
)
from parley.errors import ProjectError
from parley.nlu.component import ComponentContext, TrainingData
from parley.nlu.message import Message
from parley.nlu.regex_entity_extractor import RegexEntityExtractor
from parley.nlu.resource import Resource

EXAMPLES = [
    Example(
        text="my zip is 10115",
        intent="inform",
        entities=[EntityAnnotation(start=10, end=15, value="10115", entity="zipcode")],
    ),
    Example(
        text="to Berlin",
        intent="inform",
        entities=[EntityAnnotation(start=3, end=9, value="Berlin", entity="city")],
    ),
]
NLU = NLUData(
    examples=EXAMPLES,
    regexes=[
        RegexPattern(name="zipcode", patterns=[r"\b\d{5}\b"]),
        RegexPattern(name="greeting", patterns=["hello"]),
    ],
    lookups=[LookupTable(name="city", elements=["Berlin", "New York", "New York City"])],
)


def trained(
    nlu: NLUData = NLU, context: ComponentContext | None = None, **config: object
) -> RegexEntityExtractor:
    extractor = RegexEntityExtractor(config, context)
    extractor.train(TrainingData.from_nlu(nlu))
    return extractor


def extract(extractor: RegexEntityExtractor, text: str) -> list[tuple[str, str, int, int]]:
    message = Message(text=text)
    extractor.process(message)
    assert all(e.extractor == "RegexEntityExtractor" for e in message.entities)
    assert all(e.confidence_entity is None for e in message.entities)
    return [(e.entity, e.value, e.start, e.end) for e in message.entities]


def test_regexes_and_lookups_named_after_entities_extract_them() -> None:
    found = extract(trained(), "hello, from new york city, 12345 and 123456")
    assert found == [("zipcode", "12345", 27, 32), ("city", "new york city", 12, 25)]


def test_patterns_not_named_after_an_entity_are_left_to_the_featurizer() -> None:
    context = ComponentContext()
    extractor = trained(context=context)
    assert extract(extractor, "hello") == []
    assert [p.name for p in extractor.patterns] == ["zipcode", "city"]
    assert context.problems == []


def test_options_switch_parts_off() -> None:
    assert extract(trained(case_sensitive=True), "new york") == []
    assert extract(trained(use_lookup_tables=False), "Berlin 10115") == [
        ("zipcode", "10115", 7, 12)
    ]
    assert extract(trained(use_regexes=False), "Berlin 10115") == [("city", "Berlin", 0, 6)]
    assert extract(trained(), "Berliner") == []
    assert extract(trained(use_word_boundaries=False), "Berliner") == [("city", "Berlin", 0, 6)]


def test_empty_matches_are_not_entities() -> None:
    nlu = NLU.model_copy(update={"regexes": [RegexPattern(name="zipcode", patterns=[r"\d*"])]})
    assert extract(trained(nlu, use_lookup_tables=False), "ab 12") == [("zipcode", "12", 3, 5)]


def test_an_invalid_regex_is_a_project_error() -> None:
    nlu = NLU.model_copy(update={"regexes": [RegexPattern(name="zipcode", patterns=["[0-9"])]})
    with pytest.raises(ProjectError, match="zipcode"):
        trained(nlu)


def test_persisted_patterns_load_back(tmp_path: Path) -> None:
    extractor = trained()
    extractor.persist(Resource(tmp_path))
    loaded = RegexEntityExtractor.load(extractor.config, Resource(tmp_path), ComponentContext())
    text = "NEW YORK 10115"
    assert extract(loaded, text) == extract(extractor, text) != []


@pytest.mark.parametrize(
    "text", ["", "\x00\x01\x1b[31m", "I ❤️ 🍕 Berlin!", "Привет Berlin 世界", "Berlin " * 14_000]
)
def test_odd_text_never_raises(text: str) -> None:
    for _, value, start, end in extract(trained(), text):
        assert text[start:end] == value
