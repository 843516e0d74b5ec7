from __future__ import annotations

from pathlib import Path

import pytest

from parley.core.training_data import Example, NLUData
from parley.errors import ProjectError
from parley.nlu.component import ComponentContext
from parley.nlu.pipeline import Pipeline
from parley.nlu.response_selector import ResponseSelector
from parley.project.config import ComponentSpec

EXAMPLES = {
    "greet": ["hi", "hello there", "good morning"],
    "faq/opening_hours": ["when are you open", "what are your opening hours", "open on sunday?"],
    "faq/parking": ["is there parking", "where can I park", "parking for my car"],
    "chitchat/ask_name": ["what is your name", "who are you", "your name please"],
    "chitchat/ask_weather": ["how is the weather", "is it raining", "sunny today?"],
}


def nlu(examples: dict[str, list[str]] = EXAMPLES) -> NLUData:
    return NLUData(
        examples=[
            Example(text=t, intent=intent) for intent, texts in examples.items() for t in texts
        ]
    )


def pipeline(
    data: NLUData | None = None, context: ComponentContext | None = None, **options: object
) -> Pipeline:
    specs = [
        ComponentSpec(name="WhitespaceTokenizer"),
        ComponentSpec(name="CountVectorsFeaturizer"),
        ComponentSpec(
            name="CountVectorsFeaturizer",
            options={"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
        ),
        ComponentSpec(name="ResponseSelector", options=options),
    ]
    built = Pipeline.from_config(specs, context or ComponentContext())
    built.train(data or nlu())
    return built


def test_without_retrieval_intent_it_answers_under_default_and_each_intent() -> None:
    selector = pipeline().parse("where can I park my car").response_selector
    assert set(selector) == {"default", "faq", "chitchat"}
    assert selector["default"].response.intent_response_key == "faq/parking"
    assert selector["faq"].response.intent_response_key == "faq/parking"
    assert selector["default"].utter_action == "utter_faq/parking"
    assert selector["chitchat"].response.intent_response_key.startswith("chitchat/")
    # the per-intent answer ranks that intent's keys only, renormalised
    assert {c.intent_response_key for c in selector["chitchat"].ranking} == {
        "chitchat/ask_name",
        "chitchat/ask_weather",
    }
    assert sum(c.confidence for c in selector["chitchat"].ranking) == pytest.approx(1.0)
    ranking = selector["default"].ranking
    assert [c.confidence for c in ranking] == sorted((c.confidence for c in ranking), reverse=True)
    assert ranking[0] == selector["default"].response


def test_a_retrieval_intent_option_learns_that_intent_only() -> None:
    selector = pipeline(retrieval_intent="chitchat").parse("what is your name").response_selector
    assert set(selector) == {"chitchat"}
    assert selector["chitchat"].response.intent_response_key == "chitchat/ask_name"
    assert {c.intent_response_key for c in selector["chitchat"].ranking} == {
        "chitchat/ask_name",
        "chitchat/ask_weather",
    }


def test_a_missing_retrieval_intent_warns_and_answers_nothing() -> None:
    context = ComponentContext()
    built = pipeline(context=context, retrieval_intent="smalltalk")
    assert built.parse("who are you").response_selector == {}
    warning = next(p for p in context.problems if p.code == "nlu-retrieval-intent-missing")
    assert "chitchat, faq" in warning.message


def test_no_retrieval_intents_trains_nothing() -> None:
    built = pipeline(nlu({"greet": ["hi", "hello"], "bye": ["bye", "ciao"]}))
    assert built.parse("hi").response_selector == {}


def test_a_single_key_is_always_chosen_with_confidence_one() -> None:
    built = pipeline(nlu({"greet": ["hi"], "faq/parking": ["parking?", "where to park"]}))
    answer = built.parse("hello").response_selector["faq"]
    assert (answer.response.intent_response_key, answer.response.confidence) == (
        "faq/parking",
        1.0,
    )


def test_ranking_length_limits_the_ranking() -> None:
    selector = pipeline(ranking_length=2).parse("is it raining").response_selector
    assert len(selector["default"].ranking) == 2


def test_persisted_selector_answers_the_same(tmp_path: Path) -> None:
    built = pipeline()
    built.persist(tmp_path)
    loaded = Pipeline.load(tmp_path, ComponentContext())
    texts = ["where can I park", "who are you", "zebra", ""]
    assert [built.parse(t) for t in texts] == [loaded.parse(t) for t in texts]
    batch = loaded.parse_batch(texts)
    for one, single in zip(batch, map(loaded.parse, texts), strict=True):
        assert one.response_selector.keys() == single.response_selector.keys()
        for key, answer in one.response_selector.items():
            assert answer.response.intent_response_key == (
                single.response_selector[key].response.intent_response_key
            )


def test_to_rasa_lists_all_retrieval_intents() -> None:
    rasa = pipeline().parse("where can I park").to_rasa()
    assert rasa["response_selector"]["all_retrieval_intents"] == ["chitchat", "faq"]
    assert rasa["response_selector"]["faq"]["response"]["utter_action"] == "utter_faq/parking"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"retrieval_intent": "faq/parking"}, "without its key"),
        ({"retrieval_intent": 3}, "retrieval_intent"),
        ({"C": -1}, "positive number"),
        ({"retrival_intent": "faq"}, "retrieval_intent"),
    ],
)
def test_invalid_options_say_what_is_valid(options: dict[str, object], expected: str) -> None:
    with pytest.raises(ProjectError, match=expected):
        ResponseSelector(options)


def test_rasa_training_options_are_accepted_and_ignored() -> None:
    selector = ResponseSelector({"epochs": 100, "use_text_as_label": False})
    assert selector.config == ResponseSelector().config


HOSTILE = ["", "   ", "\x00\x01\x1b[31m\u202e", "🍕🍕 😀 ❤️", "ꦧꦱꦗꦮ 𓀀𓁐", "parking " * 12_000]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_odd_text_never_raises(text: str) -> None:
    selector = pipeline().parse(text).response_selector
    assert 0.0 <= selector["default"].response.confidence <= 1.0
