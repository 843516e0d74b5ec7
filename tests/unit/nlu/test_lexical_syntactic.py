from __future__ import annotations

import pytest

from parley.errors import ProjectError
from parley.nlu.lexical_syntactic import LexicalSyntacticFeaturizer
from parley.nlu.message import Message
from parley.nlu.tokenizer import WhitespaceTokenizer


def featurize(text: str, **config: object) -> Message:
    message = Message(text=text)
    WhitespaceTokenizer().process(message)
    LexicalSyntacticFeaturizer(config).process(message)
    return message


def test_default_features_describe_the_token_and_its_neighbours() -> None:
    message = featurize("Book Paris 2024")
    assert [set(features) for features in message.token_features] == [
        {"0:BOS", "0:title", "1:title"},
        {"-1:title", "0:title"},
        {"-1:title", "0:digit", "0:EOS"},
    ]
    assert all(weight == 1.0 for features in message.token_features for weight in features.values())


def test_affixes_are_lower_cased_values() -> None:
    message = featurize("Playing", features=[["suffix3"], ["prefix5", "suffix2"], ["upper"]])
    assert message.token_features == [{"0:prefix5:playi": 1.0, "0:suffix2:ng": 1.0}]


def test_window_of_five_reaches_two_tokens_away() -> None:
    message = featurize("A b c", features=[["upper"], [], ["low"], [], []])
    assert message.token_features == [{}, {"0:low": 1.0}, {"-2:upper": 1.0, "0:low": 1.0}]


def test_rasa_part_of_speech_features_are_accepted_and_add_nothing() -> None:
    message = featurize("hello", features=[["pos"], ["pos2", "low"], ["pos"]])
    assert message.token_features == [{"0:low": 1.0}]


def test_features_merge_with_those_of_earlier_featurizers() -> None:
    message = Message(text="Hi there")
    WhitespaceTokenizer().process(message)
    message.add_token_features([{"pattern:greet": 1.0}, {}])
    LexicalSyntacticFeaturizer().process(message)
    assert message.token_features[0]["pattern:greet"] == 1.0
    assert message.token_features[0]["0:title"] == 1.0


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        ([["low"], ["shouting"], ["low"]], "'shouting'"),
        ([["low"], ["low"]], "odd number"),
        ("low", "odd number"),
        ([], "odd number"),
    ],
)
def test_a_bad_features_option_says_what_is_valid(features: object, expected: str) -> None:
    with pytest.raises(ProjectError, match=expected) as raised:
        LexicalSyntacticFeaturizer({"features": features})
    if "shouting" in expected:
        assert "prefix5" in str(raised.value)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00\x01\x1b[31m", "I ❤️ 🍕!", "Привет 世界 مرحبا", "ab " * 33_000, "\ud800x"],
)
def test_odd_text_never_raises(text: str) -> None:
    message = featurize(text)
    assert len(message.token_features) == len(message.tokens)
