from __future__ import annotations

from pathlib import Path

import pytest

from parley.core.messages import IntentPrediction
from parley.core.training_data import Example, NLUData
from parley.errors import ModelError, ProjectError
from parley.nlu.component import ComponentContext, TrainingData
from parley.nlu.keyword_classifier import KeywordIntentClassifier
from parley.nlu.message import Message
from parley.nlu.resource import Resource

EXAMPLES = [
    ("hello", "greet"),
    ("hi!", "greet"),
    ("good bye", "goodbye"),
    ("bye", "goodbye"),
    ("what's your name", "faq/ask_name"),
]


def trained(
    examples: list[tuple[str, str]] = EXAMPLES,
    context: ComponentContext | None = None,
    **config: object,
) -> KeywordIntentClassifier:
    classifier = KeywordIntentClassifier(config, context or ComponentContext())
    nlu = NLUData(examples=[Example(text=t, intent=i) for t, i in examples])
    classifier.train(TrainingData.from_nlu(nlu))
    return classifier


def intent(classifier: KeywordIntentClassifier, text: str) -> IntentPrediction | None:
    message = Message(text=text)
    classifier.process(message)
    return message.intent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello there", "greet"),
        ("well, hi! how are you", "greet"),
        ("good bye then", "goodbye"),
        ("tell me what's your name", "faq"),
        ("Hello there", None),  # case-sensitive by default
        ("othello", None),  # a keyword counts only as a whole word
        ("byebye", None),
    ],
)
def test_a_keyword_found_as_a_whole_word_gives_its_intent(text: str, expected: str | None) -> None:
    found = intent(trained(), text)
    if expected is None:
        assert found is None
    else:
        assert found == IntentPrediction(name=expected, confidence=1.0)


def test_case_insensitive_matching() -> None:
    assert intent(trained(case_sensitive=False), "HELLO") == IntentPrediction(
        name="greet", confidence=1.0
    )


def test_without_a_keyword_the_earlier_prediction_stays() -> None:
    message = Message(text="nothing here")
    earlier = IntentPrediction(name="inform", confidence=0.7)
    message.intent, message.intent_ranking = earlier, [earlier]
    trained().process(message)
    assert message.intent == earlier
    message = Message(text="bye now", intent=earlier, intent_ranking=[earlier])
    trained().process(message)
    assert message.intent_ranking == [IntentPrediction(name="goodbye", confidence=1.0)]


def test_a_keyword_of_two_intents_is_dropped_with_a_warning() -> None:
    context = ComponentContext()
    classifier = trained([*EXAMPLES, ("bye", "farewell")], context)
    assert intent(classifier, "bye") is None
    codes = [p.code for p in context.problems]
    assert "nlu-ambiguous-keyword" in codes
    assert any("'bye'" in p.message for p in context.problems)


def test_a_keyword_inside_another_intents_keyword_warns() -> None:
    context = ComponentContext()
    trained([("hi", "greet"), ("hi there bot", "chitchat")], context)
    assert [p.code for p in context.problems] == ["nlu-overlapping-keyword"]


def test_persisted_keywords_load_back(tmp_path: Path) -> None:
    classifier = trained(case_sensitive=False)
    classifier.persist(Resource(tmp_path))
    loaded = KeywordIntentClassifier.load(classifier.config, Resource(tmp_path), ComponentContext())
    for text in ["HELLO", "bye", "what's your name", "nothing"]:
        assert intent(loaded, text) == intent(classifier, text)


def test_a_corrupt_keyword_file_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "keywords.json").write_text('[["hi"]]')
    with pytest.raises(ModelError, match="keyword, intent"):
        KeywordIntentClassifier.load({}, Resource(tmp_path), ComponentContext())


def test_invalid_options_say_what_is_valid() -> None:
    with pytest.raises(ProjectError, match="case_sensitive"):
        KeywordIntentClassifier({"case_sensitve": True})
    with pytest.raises(ProjectError, match="true or false"):
        KeywordIntentClassifier({"case_sensitive": "no"})


HOSTILE = ["", "   ", "\x00\x01\x1b[31m\u202e", "🍕🍕 😀 ❤️", "ꦧꦱꦗꦮ 𓀀𓁐", "x" * 100_000]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_odd_text_never_raises(text: str) -> None:
    assert intent(trained(), text) is None
