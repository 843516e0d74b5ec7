from __future__ import annotations

import re
from pathlib import Path

import pytest
from scipy import sparse

from parley.core.training_data import LookupTable, NLUData, RegexPattern
from parley.errors import ModelError, ProjectError
from parley.nlu.component import ComponentContext, TrainingData
from parley.nlu.message import Message
from parley.nlu.regex_featurizer import PatternOptions, RegexFeaturizer, lookup_regex
from parley.nlu.resource import Resource
from parley.nlu.tokenizer import WhitespaceTokenizer

NLU = NLUData(
    regexes=[RegexPattern(name="zipcode", patterns=[r"\b\d{5}\b"])],
    lookups=[LookupTable(name="city", elements=["New York", "New York City", "Berlin"])],
)


def trained(nlu: NLUData = NLU, **config: object) -> RegexFeaturizer:
    featurizer = RegexFeaturizer(config)
    featurizer.train(TrainingData(messages=[], nlu=nlu))
    return featurizer


def featurize(featurizer: RegexFeaturizer, text: str) -> Message:
    message = Message(text=text)
    WhitespaceTokenizer().process(message)
    featurizer.process(message)
    return message


def test_tokens_inside_a_match_get_the_pattern_feature() -> None:
    message = featurize(trained(), "from New York City to 10115")
    marked = [
        [key for key in features if key.startswith("pattern:")]
        for features in message.token_features
    ]
    assert marked == [
        [],
        ["pattern:city"],
        ["pattern:city"],
        ["pattern:city"],
        [],
        ["pattern:zipcode"],
    ]


def test_sentence_feature_marks_which_patterns_matched() -> None:
    featurizer = trained()
    matrix = featurize(featurizer, "I live in Berlin").sentence_features[featurizer.feature_key]
    assert sparse.issparse(matrix)
    assert matrix.shape == (1, 2)
    assert matrix.toarray().tolist() == [[0.0, 1.0]]


def test_case_sensitivity_and_word_boundaries_follow_the_options() -> None:
    assert "pattern:city" not in featurize(trained(), "berlin").token_features[0]
    assert "pattern:city" in featurize(trained(case_sensitive=False), "berlin").token_features[0]
    assert "pattern:city" not in featurize(trained(), "Berliner").token_features[0]
    loose = trained(use_word_boundaries=False)
    assert "pattern:city" in featurize(loose, "Berliner").token_features[0]


def test_regexes_and_lookups_can_be_switched_off() -> None:
    message = featurize(trained(use_regexes=False), "Berlin 10115")
    assert "pattern:zipcode" not in message.token_features[1]
    assert "pattern:city" in message.token_features[0]
    assert trained(use_regexes=False, use_lookup_tables=False).patterns == []


def test_no_patterns_adds_nothing() -> None:
    message = featurize(trained(NLUData()), "hello")
    assert message.sentence_features == {}
    assert message.token_features == []


def test_lookup_regex_prefers_the_longest_element() -> None:
    options = PatternOptions(case_sensitive=False)
    source = lookup_regex(["new york", "New York City", "newark", "a.b", "(x"], options)
    regex = re.compile(source, options.flags)
    found = [m.group() for m in regex.finditer("NEW YORK CITY, new york, Newark, a.b, (x, newarks")]
    assert found == ["NEW YORK CITY", "new york", "Newark", "a.b", "(x"]


def test_a_large_lookup_table_compiles_to_a_trie() -> None:
    elements = [f"item{number} value" for number in range(5000)]
    source = lookup_regex(elements, PatternOptions())
    regex = re.compile(source)
    assert len(source) < sum(len(e) for e in elements)
    assert regex.search("pick item4999 value please") is not None
    assert regex.search("pick item5000 value please") is None


def test_an_invalid_regex_is_a_project_error_naming_it() -> None:
    bad = NLUData(regexes=[RegexPattern(name="broken", patterns=["(unclosed"])])
    with pytest.raises(ProjectError, match="broken"):
        trained(bad)


def test_an_unknown_option_lists_the_valid_ones() -> None:
    with pytest.raises(ProjectError, match="use_word_boundaries"):
        RegexFeaturizer({"use_word_boundary": True})
    RegexFeaturizer({"number_additional_patterns": 10})


def test_persisted_patterns_load_back(tmp_path: Path) -> None:
    featurizer = trained(case_sensitive=False)
    featurizer.persist(Resource(tmp_path))
    loaded = RegexFeaturizer.load(featurizer.config, Resource(tmp_path), ComponentContext())
    text = "new york city 10115"
    assert featurize(loaded, text).token_features == featurize(featurizer, text).token_features


def test_a_corrupt_pattern_file_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "patterns.json").write_text('[{"name": "x", "kind": "regex", "source": "("}]')
    with pytest.raises(ModelError, match="invalid pattern"):
        RegexFeaturizer.load({}, Resource(tmp_path), ComponentContext())


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00\x01\x1b[31m", "I ❤️ 🍕 Berlin!", "Привет Berlin 世界", "Berlin " * 14_000],
)
def test_odd_text_never_raises(text: str) -> None:
    message = featurize(trained(), text)
    assert len(message.token_features) == len(message.tokens)
