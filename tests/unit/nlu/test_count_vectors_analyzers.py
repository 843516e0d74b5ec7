"""The character analyzers are Parley's own, so that a loaded model needs no scikit-learn;
they must cut exactly the n-grams scikit-learn's do, or a model would parse differently
from how it was trained."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

import parley
from parley.core.training_data import Example, NLUData
from parley.errors import ModelError
from parley.nlu import count_vectors
from parley.nlu.component import ComponentContext, TrainingData
from parley.nlu.count_vectors import CountVectorsFeaturizer, char_ngrams, char_wb_ngrams
from parley.nlu.message import Message
from parley.nlu.resource import Resource
from parley.nlu.tokenizer import WhitespaceTokenizer
from parley.project.scaffold import create_starter_project

WHITESPACE = " \t\n\r\x0b\x0c\x1c\x85\xa0\u2000\u2028\u3000"

# Pieces joined: runs of whitespace, short and long words, arbitrary unicode, and letters
# whose lowercase is longer (İ) or not a lowercase letter (ß stays ß).
texts = st.lists(
    st.one_of(
        st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=3),
        st.text(st.sampled_from("abAB\u0130\u00df\u00e9"), min_size=1, max_size=6),
        st.text(max_size=6),
    ),
    max_size=8,
).map("".join)


@st.composite
def ngram_ranges(draw: st.DrawFn) -> tuple[int, int]:
    low = draw(st.integers(1, 5))
    return low, draw(st.integers(low, 5))


@settings(max_examples=400, deadline=None)
@given(
    text=texts,
    ngram_range=ngram_ranges(),
    lowercase=st.booleans(),
    analyzer=st.sampled_from(["char", "char_wb"]),
)
def test_character_ngrams_are_scikit_learns(
    text: str, ngram_range: tuple[int, int], lowercase: bool, analyzer: str
) -> None:
    low, high = ngram_range
    expected = CountVectorizer(
        analyzer=analyzer, ngram_range=ngram_range, lowercase=lowercase
    ).build_analyzer()(text)
    featurizer = CountVectorsFeaturizer(
        {"analyzer": analyzer, "min_ngram": low, "max_ngram": high, "lowercase": lowercase},
        ComponentContext(),
    )
    assert featurizer.analyzer(Message(text=text)) == expected
    grams = char_ngrams if analyzer == "char" else char_wb_ngrams
    assert grams(text.lower() if lowercase else text, low, high) == expected


@pytest.mark.parametrize(
    ("analyzer", "text", "expected"),
    [
        ("char", "a\tb", ["a\t", "\tb", "a\tb"]),  # a lone tab stays a tab
        ("char", "a \t\n b", ["a ", " b", "a b"]),  # a run becomes one space
        ("char_wb", "Hi  a", [" h", "hi", "i ", " hi", "hi ", " a", "a ", " a "]),
        ("char_wb", "", []),
    ],
)
def test_examples(analyzer: str, text: str, expected: list[str]) -> None:
    featurizer = CountVectorsFeaturizer(
        {"analyzer": analyzer, "min_ngram": 2, "max_ngram": 3}, ComponentContext()
    )
    assert featurizer.analyzer(Message(text=text)) == expected


# ----------------------------------------------------------------- stop_words: english


def _data(texts: list[str]) -> TrainingData:
    training = TrainingData.from_nlu(NLUData(examples=[Example(text=t, intent="x") for t in texts]))
    WhitespaceTokenizer().process_batch(training.messages)
    return training


def _row(featurizer: CountVectorsFeaturizer, text: str) -> list[tuple[int, float]]:
    message = Message(text=text)
    WhitespaceTokenizer().process(message)
    featurizer.process(message)
    matrix = message.sentence_features[featurizer.feature_key]
    return list(zip(matrix.indices.tolist(), matrix.data.tolist(), strict=True))


TEXTS = ["Book a table for the two of us", "what is the weather in Berlin", "hi there"]


def _no_scikit_learn() -> list[str]:
    raise AssertionError("scikit-learn's stop words were asked for")


def test_english_stop_words_are_persisted_and_loaded_without_scikit_learn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {"stop_words": "english", "max_ngram": 2}
    featurizer = CountVectorsFeaturizer(config, ComponentContext())
    featurizer.train(_data(TEXTS))
    assert "the" not in featurizer.vocabulary
    featurizer.persist(Resource(tmp_path))
    stored = json.loads((tmp_path / "vocabulary.json").read_text())
    assert stored["stop_words"] == sorted(ENGLISH_STOP_WORDS)

    monkeypatch.setattr(count_vectors, "_english_stop_words", _no_scikit_learn)
    loaded = CountVectorsFeaturizer.load(config, Resource(tmp_path), ComponentContext())
    assert loaded.vocabulary == featurizer.vocabulary
    for text in [*TEXTS, "the weather for us"]:
        assert _row(loaded, text) == _row(featurizer, text)


def test_a_model_without_persisted_stop_words_still_loads(tmp_path: Path) -> None:
    config = {"stop_words": "english"}
    featurizer = CountVectorsFeaturizer(config, ComponentContext())
    featurizer.train(_data(TEXTS))
    featurizer.persist(Resource(tmp_path))
    vocabulary = tmp_path / "vocabulary.json"
    stored = json.loads(vocabulary.read_text())
    del stored["stop_words"]  # as written before the list was persisted
    vocabulary.write_text(json.dumps(stored))
    loaded = CountVectorsFeaturizer.load(config, Resource(tmp_path), ComponentContext())
    for text in [*TEXTS, "the weather for us"]:
        assert _row(loaded, text) == _row(featurizer, text)

    stored["stop_words"] = "english"
    vocabulary.write_text(json.dumps(stored))
    with pytest.raises(ModelError, match="stop words"):
        CountVectorsFeaturizer.load(config, Resource(tmp_path), ComponentContext())


def test_other_configurations_persist_what_they_did(tmp_path: Path) -> None:
    featurizer = CountVectorsFeaturizer({"stop_words": ["the"]}, ComponentContext())
    featurizer.train(_data(TEXTS))
    featurizer.persist(Resource(tmp_path))
    assert set(json.loads((tmp_path / "vocabulary.json").read_text())) == {"terms"}


def test_creating_the_component_does_not_resolve_english_stop_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(count_vectors, "_english_stop_words", _no_scikit_learn)
    CountVectorsFeaturizer({"stop_words": "english"}, ComponentContext())


# ----------------------------------------------------------------- serving


@pytest.mark.slow
def test_loading_and_parsing_with_a_trained_model_does_not_import_scikit_learn(
    tmp_path: Path,
) -> None:
    project = tmp_path / "bot"
    create_starter_project(project)
    assert "char_wb" in (project / "config.yml").read_text()
    model = parley.train(project).path
    code = (
        "import sys, parley\n"
        f"model = parley.load_model({str(model)!r})\n"
        "model.pipeline.parse('I would like a capuccino please')\n"
        "print('sklearn' in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "False"
