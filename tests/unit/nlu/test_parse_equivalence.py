"""The fast paths of parsing one message give what the general code gives.

Parsing takes shortcuts where numpy or scipy cost more in per-call overhead than the work
itself: the count-vector row is filled into a copy of an empty row instead of going through
scipy's constructor, and a small tagger sums, decodes and computes marginals in Python.
These tests pin each shortcut to the path it replaces.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from parley.core.training_data import Example, NLUData
from parley.nlu import linear_chain
from parley.nlu.component import ComponentContext, TrainingData
from parley.nlu.count_vectors import CountVectorsFeaturizer
from parley.nlu.linear_chain import LinearChain
from parley.nlu.message import Message
from parley.nlu.tokenizer import WhitespaceTokenizer

TEXTS = ["Book a table for two", "book a TABLE tonight", "what's the weather", "hi hi hello"]


@pytest.mark.parametrize(
    "config",
    [{}, {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4}, {"weighting": "count"}],
    ids=["word", "char_wb", "count"],
)
@pytest.mark.parametrize("text", ["book a table", "hi hi hi", "", "zzz unknown", "Weather?"])
def test_a_count_vector_row_is_the_matrix_scipy_builds(
    config: dict[str, object], text: str
) -> None:
    training = TrainingData.from_nlu(NLUData(examples=[Example(text=t, intent="x") for t in TEXTS]))
    WhitespaceTokenizer().process_batch(training.messages)
    featurizer = CountVectorsFeaturizer(config, ComponentContext())
    featurizer.train(training)
    message = Message(text=text)
    WhitespaceTokenizer().process(message)
    featurizer.process(message)
    row = message.sentence_features[featurizer.feature_key]

    indices, values = featurizer._row(message)
    expected = sparse.csr_matrix(
        (
            np.asarray(values, dtype=np.float64),
            np.asarray(indices, dtype=np.int32),
            [0, len(indices)],
        ),
        shape=(1, featurizer.size),
    )
    assert type(row) is type(expected)
    assert row.shape == expected.shape
    for name in ("data", "indices", "indptr"):
        assert getattr(row, name).dtype == getattr(expected, name).dtype
        assert np.array_equal(getattr(row, name), getattr(expected, name))
    assert row.has_canonical_format
    assert (row != expected).nnz == 0
    # Rows are independent: filling one leaves the next message's alone.
    other = Message(text="hello")
    WhitespaceTokenizer().process(other)
    featurizer.process(other)
    assert np.array_equal(message.sentence_features[featurizer.feature_key].data, row.data)


def random_chain(rng: np.random.Generator, size: int, attributes: int) -> LinearChain:
    pairs = rng.choice(attributes * size, size=attributes * size // 2, replace=False)
    return LinearChain(
        [f"label{i}" for i in range(size)],
        [f"a{i}" for i in range(attributes)],
        state_attributes=(pairs // size).astype(np.int32),
        state_labels=(pairs % size).astype(np.int32),
        state_weights=rng.normal(0.0, 1.5, len(pairs)),
        transitions=rng.normal(0.0, 1.0, (size, size)),
    )


def random_items(rng: np.random.Generator, attributes: int, length: int) -> list[dict[str, float]]:
    return [
        {
            f"a{a}": float(rng.choice([1.0, 0.5, 2.0]))
            for a in rng.choice(attributes + 5, size=6, replace=False)  # a few unknown ones
        }
        for _ in range(length)
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("length", [1, 2, 4, 9])
def test_a_small_tagger_tags_in_python_as_in_numpy(size: int, length: int) -> None:
    rng = np.random.default_rng(size * 100 + length)
    chain = random_chain(rng, size, 12)
    assert chain._exp_rows is not None  # the Python path is the one taken
    for _ in range(20):
        items = random_items(rng, 12, length)
        python = chain.scores(items)
        numpy_scores = chain._numpy_scores(items)
        # The same products summed in the same order: the same floats.
        assert np.array_equal(python, numpy_scores)
        tags, confidences = chain.tag(items)
        path = chain._viterbi(numpy_scores)
        assert tags == [chain.labels[label] for label in path]
        assert confidences == pytest.approx(
            chain._marginals(numpy_scores, path).tolist(), rel=1e-12
        )


def test_a_message_touching_many_weights_is_summed_in_numpy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(7)
    chain = random_chain(rng, 3, 12)
    items = random_items(rng, 12, 5)
    expected = chain.scores(items)
    monkeypatch.setattr(linear_chain, "_PYTHON_SUMS", 3)
    assert chain._python_scores(items) is None
    assert np.array_equal(chain.scores(items), expected)
