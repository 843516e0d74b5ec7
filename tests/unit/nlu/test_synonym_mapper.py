from __future__ import annotations

from pathlib import Path

import pytest

from parley.core.messages import ExtractedEntity
from parley.core.training_data import EntityAnnotation, Example, NLUData, Synonym
from parley.errors import ModelError
from parley.nlu.component import ComponentContext, TrainingData
from parley.nlu.message import Message
from parley.nlu.resource import Resource
from parley.nlu.synonym_mapper import EntitySynonymMapper

NLU = NLUData(
    examples=[
        Example(
            text="fly to NYC",
            intent="book",
            entities=[EntityAnnotation(start=7, end=10, value="New York", entity="city")],
        ),
        Example(
            text="fly to Paris",
            intent="book",
            entities=[EntityAnnotation(start=7, end=12, value="Paris", entity="city")],
        ),
    ],
    synonyms=[Synonym(value="credit", examples=["credit card", "Visa"])],
)


def trained(nlu: NLUData = NLU, context: ComponentContext | None = None) -> EntitySynonymMapper:
    mapper = EntitySynonymMapper({}, context)
    mapper.train(TrainingData.from_nlu(nlu))
    return mapper


def mapped(mapper: EntitySynonymMapper, *values: object) -> list[ExtractedEntity]:
    message = Message(text="")
    message.entities = [
        ExtractedEntity(entity="x", start=0, end=1, value=value, extractor="CRFEntityExtractor")
        for value in values
    ]
    mapper.process(message)
    return message.entities


def test_values_map_to_their_canonical_value_ignoring_case() -> None:
    entities = mapped(trained(), "nyc", "VISA", "Credit Card", "Paris", "Rome")
    assert [e.value for e in entities] == ["New York", "credit", "credit", "Paris", "Rome"]
    assert [e.processors for e in entities] == [
        ["EntitySynonymMapper"],
        ["EntitySynonymMapper"],
        ["EntitySynonymMapper"],
        None,
        None,
    ]


def test_processors_are_appended() -> None:
    entity = ExtractedEntity(
        entity="x", start=0, end=3, value="nyc", extractor="X", processors=["Other"]
    )
    message = Message(text="nyc", entities=[entity])
    trained().process(message)
    assert message.entities[0].processors == ["Other", "EntitySynonymMapper"]


def test_non_text_values_are_compared_as_text() -> None:
    nlu = NLUData(synonyms=[Synonym(value="two", examples=["2"])])
    assert [e.value for e in mapped(trained(nlu), 2, {"a": 1})] == ["two", {"a": 1}]


def test_conflicting_synonyms_warn_and_keep_the_first() -> None:
    context = ComponentContext()
    nlu = NLUData(
        synonyms=[
            Synonym(value="credit", examples=["card"]),
            Synonym(value="debit", examples=["Card"]),
        ]
    )
    mapper = trained(nlu, context)
    assert [e.value for e in mapped(mapper, "card")] == ["credit"]
    assert [p.code for p in context.problems] == ["nlu-synonym-conflict"]
    assert "credit / debit" in context.problems[0].message


def test_persisted_synonyms_load_back(tmp_path: Path) -> None:
    trained().persist(Resource(tmp_path))
    loaded = EntitySynonymMapper.load({}, Resource(tmp_path), ComponentContext())
    assert [e.value for e in mapped(loaded, "Nyc")] == ["New York"]


def test_a_malformed_file_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "synonyms.json").write_text('{"a": 1}')
    with pytest.raises(ModelError, match="train the model again"):
        EntitySynonymMapper.load({}, Resource(tmp_path), ComponentContext())


@pytest.mark.parametrize("value", ["", "\x00", "❤️", "Привет 世界", "x" * 100_000])
def test_odd_values_never_raise(value: str) -> None:
    assert [e.value for e in mapped(trained(), value)] == [value]
