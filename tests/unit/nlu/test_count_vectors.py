from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from parley.core.training_data import Example, NLUData
from parley.errors import ModelError, ProjectError
from parley.nlu.component import ComponentContext, TrainingData
from parley.nlu.count_vectors import CountVectorsFeaturizer
from parley.nlu.message import Message
from parley.nlu.resource import Resource
from parley.nlu.tokenizer import WhitespaceTokenizer

TEXTS = [
    "Book a table for two",
    "book a TABLE tonight",
    "what's the weather in Berlin",
    "Weather tomorrow?",
    "hi hi hello",
]


def data(texts: list[str] = TEXTS) -> TrainingData:
    nlu = NLUData(examples=[Example(text=t, intent="x") for t in texts])
    training = TrainingData.from_nlu(nlu)
    WhitespaceTokenizer().process_batch(training.messages)
    return training


def trained(texts: list[str] = TEXTS, **config: object) -> CountVectorsFeaturizer:
    featurizer = CountVectorsFeaturizer(config, ComponentContext())
    featurizer.train(data(texts))
    return featurizer


def row(featurizer: CountVectorsFeaturizer, text: str) -> dict[str, float]:
    message = Message(text=text)
    WhitespaceTokenizer().process(message)
    featurizer.process(message)
    matrix = message.sentence_features[featurizer.feature_key]
    assert sparse.issparse(matrix)
    assert matrix.shape == (1, featurizer.size)
    terms = {index: term for term, index in featurizer.vocabulary.items()}
    return {terms[i]: float(v) for i, v in zip(matrix.indices, matrix.data, strict=True)}


def test_word_features_are_the_tokenizers_lowercased_tokens() -> None:
    featurizer = trained(weighting="count")
    assert {"book", "table", "what's", "weather", "berlin", "hi"} <= set(featurizer.vocabulary)
    assert "?" not in featurizer.vocabulary
    assert row(featurizer, "HI hi, table!") == {"hi": 2.0, "table": 1.0}


def test_lowercase_false_keeps_the_spelling() -> None:
    featurizer = trained(lowercase=False, weighting="count")
    assert {"Book", "book", "TABLE", "table"} <= set(featurizer.vocabulary)
    assert row(featurizer, "TABLE table") == {"TABLE": 1.0, "table": 1.0}


def test_tfidf_rows_have_unit_length_and_rare_words_weigh_more() -> None:
    featurizer = trained()
    weights = row(featurizer, "book berlin")
    assert math.isclose(math.sqrt(sum(v * v for v in weights.values())), 1.0)
    assert weights["berlin"] > weights["book"]  # berlin is in 1 text, book in 2
    repeated = row(featurizer, "hi hi hi berlin")
    # sublinear tf: three "hi" weigh 1 + ln 3 times one, not 3 times
    once = row(featurizer, "hi berlin")
    ratio = (repeated["hi"] / repeated["berlin"]) / (once["hi"] / once["berlin"])
    assert math.isclose(ratio, 1 + math.log(3))


def test_word_ngrams() -> None:
    featurizer = trained(min_ngram=1, max_ngram=2, weighting="count")
    assert {"book a", "a table", "book"} <= set(featurizer.vocabulary)
    only_bigrams = trained(min_ngram=2, max_ngram=2, weighting="count")
    assert all(" " in term for term in only_bigrams.vocabulary)
    assert row(only_bigrams, "book a table") == {"book a": 1.0, "a table": 1.0}


def test_char_wb_ngrams_come_from_the_text_within_word_boundaries() -> None:
    featurizer = trained(analyzer="char_wb", min_ngram=2, max_ngram=3, weighting="count")
    assert {" b", "bo", "ook", "ok "} <= set(featurizer.vocabulary)
    assert "k a" not in featurizer.vocabulary
    assert {"ook", "ok "} <= set(row(featurizer, "look"))


def test_char_ngrams_cross_words() -> None:
    featurizer = trained(analyzer="char", min_ngram=3, max_ngram=3, weighting="count")
    assert "k a" in featurizer.vocabulary


def test_unknown_words_give_an_empty_row() -> None:
    assert row(trained(), "zebra quokka") == {}


def test_oov_token_stands_for_unknown_and_listed_words() -> None:
    featurizer = trained(OOV_token="oov", OOV_words=["berlin"], weighting="count")
    assert "oov" in featurizer.vocabulary
    assert "berlin" not in featurizer.vocabulary
    assert row(featurizer, "zebra in Berlin") == {"oov": 2.0, "in": 1.0}


def test_stop_words_and_document_frequencies_prune_the_vocabulary() -> None:
    assert "a" not in trained(stop_words=["a", "the"]).vocabulary
    assert "a" not in trained(stop_words="english").vocabulary
    frequent = trained(min_df=2)
    assert set(frequent.vocabulary) == {"book", "a", "table", "weather"}
    most_frequent = trained(max_features=3).vocabulary
    assert len(most_frequent) == 3
    assert "a" not in trained(max_df=0.3).vocabulary


def test_a_min_df_above_the_number_of_messages_still_learns_a_vocabulary() -> None:
    # The default pipeline's character featurizer has min_df 2; a one-message bot must train.
    featurizer = trained(["hi there"], analyzer="char", min_ngram=1, max_ngram=2, min_df=2)
    assert {"h", "hi", "i ", " t"} <= set(featurizer.vocabulary)
    assert set(trained(["hi there", "hi"], min_df=2).vocabulary) == {"hi"}


def test_nothing_to_learn_warns_and_adds_an_empty_block() -> None:
    context = ComponentContext()
    featurizer = CountVectorsFeaturizer({"stop_words": ["hi"]}, context)
    featurizer.train(data(["hi", "hi hi"]))
    assert [p.code for p in context.problems] == ["nlu-empty-vocabulary"]
    assert row(featurizer, "hi there") == {}
    assert featurizer.size == 0


def test_impossible_document_frequencies_are_a_project_error() -> None:
    with pytest.raises(ProjectError, match="lower min_df or raise max_df"):
        trained(min_df=3, max_df=0.1)


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("analyzer", "chars", "word, char, char_wb"),
        ("weighting", "bm25", "tfidf, count"),
        ("min_ngram", 0, "min_ngram"),
        ("max_ngram", "2", "min_ngram"),
        ("min_df", -1, "min_df"),
        ("max_df", 1.5, "max_df"),
        ("max_features", 0, "max_features"),
        ("stop_words", "german", "stop_words"),
        ("lowercase", "yes", "lowercase"),
        ("OOV_token", "", "OOV_token"),
        ("OOV_words", "berlin", "OOV_words"),
    ],
)
def test_invalid_option_values_say_what_is_valid(option: str, value: object, expected: str) -> None:
    with pytest.raises(ProjectError, match=expected):
        CountVectorsFeaturizer({option: value})


def test_unknown_options_list_the_valid_ones_and_rasa_only_ones_are_accepted() -> None:
    with pytest.raises(ProjectError, match="analyzer, lowercase, max_df"):
        CountVectorsFeaturizer({"analyser": "word"})
    CountVectorsFeaturizer(
        {
            "alias": "cvf",
            "use_shared_vocab": False,
            "token_pattern": r"\w+",
            "additional_vocabulary_size": {"text": 100},
        }
    )


def test_batch_and_single_messages_give_the_same_rows() -> None:
    featurizer = trained(analyzer="char_wb", min_ngram=1, max_ngram=4)
    messages = [Message(text=t) for t in [*TEXTS, "", "zebra"]]
    WhitespaceTokenizer().process_batch(messages)
    featurizer.process_batch(messages)
    for message in messages:
        single = Message(text=message.text, tokens=message.tokens)
        featurizer.process(single)
        batch = message.sentence_features[featurizer.feature_key]
        one = single.sentence_features[featurizer.feature_key]
        assert batch.shape == one.shape == (1, featurizer.size)
        np.testing.assert_array_equal(batch.toarray(), one.toarray())


@pytest.mark.parametrize("analyzer", ["word", "char_wb"])
def test_persisted_featurizer_gives_identical_rows(tmp_path: Path, analyzer: str) -> None:
    featurizer = trained(analyzer=analyzer, max_ngram=3, OOV_token="oov")
    featurizer.persist(Resource(tmp_path))
    loaded = CountVectorsFeaturizer.load(featurizer.config, Resource(tmp_path), ComponentContext())
    assert loaded.vocabulary == featurizer.vocabulary
    for text in [*TEXTS, "zebra table"]:
        assert row(loaded, text) == row(featurizer, text)


def test_a_corrupt_vocabulary_is_a_model_error(tmp_path: Path) -> None:
    featurizer = trained()
    featurizer.persist(Resource(tmp_path))
    (tmp_path / "vocabulary.json").write_text('{"terms": ["a", "a"]}')
    with pytest.raises(ModelError, match="twice"):
        CountVectorsFeaturizer.load({}, Resource(tmp_path), ComponentContext())
    (tmp_path / "vocabulary.json").write_text('{"terms": ["a", "b"]}')
    with pytest.raises(ModelError, match="does not match"):
        CountVectorsFeaturizer.load({}, Resource(tmp_path), ComponentContext())
    (tmp_path / "vocabulary.json").write_text("[1, 2]")
    with pytest.raises(ModelError, match="list of terms"):
        CountVectorsFeaturizer.load({}, Resource(tmp_path), ComponentContext())


HOSTILE = ["", "   ", "\x00\x01\x1b[31m\u202e", "🍕🍕 😀 ❤️", "ꦧꦱꦗꦮ 𓀀𓁐", "book " * 20_000]


@pytest.mark.parametrize("analyzer", ["word", "char", "char_wb"])
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_odd_text_never_raises(analyzer: str, text: str) -> None:
    featurizer = trained(analyzer=analyzer, min_ngram=1, max_ngram=3)
    weights = row(featurizer, text)
    assert all(math.isfinite(v) for v in weights.values())
