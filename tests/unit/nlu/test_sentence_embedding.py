"""SentenceEmbeddingFeaturizer: options, the encoder's identity in a saved model, and the real
MiniLM model's vectors (those tests load it once per module and are marked slow)."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from parley.core.training_data import Example, NLUData
from parley.errors import ConfigurationError, ModelError, ProjectError
from parley.nlu import rasa_names
from parley.nlu.component import ComponentContext, TrainingData
from parley.nlu.message import Message
from parley.nlu.pipeline import Pipeline
from parley.nlu.resource import Resource
from parley.nlu.sentence_embedding import (
    MODELS,
    MiniLMEncoder,
    SentenceEmbeddingFeaturizer,
    shared_encoder,
)
from parley.project.config import ComponentSpec


class HashingEncoder:
    """A small deterministic stand-in for a language server: words hashed into buckets."""

    def __init__(self, name: str = "hashing", dimension: int = 16, scale: float = 3.0) -> None:
        self._name = name
        self._dimension = dimension
        self.scale = scale
        self.calls: list[list[str]] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        vectors = np.zeros((len(texts), self._dimension), dtype=np.float64)
        for row, text in enumerate(texts):
            for word in text.split():
                vectors[row, zlib.crc32(word.encode()) % self._dimension] += self.scale
        return vectors


def featurize(featurizer: SentenceEmbeddingFeaturizer, *texts: str) -> list[np.ndarray]:
    messages = [Message(text=text) for text in texts]
    featurizer.process_batch(messages)
    return [m.sentence_features[featurizer.feature_key] for m in messages]


def trained(context: ComponentContext, **config: object) -> SentenceEmbeddingFeaturizer:
    featurizer = SentenceEmbeddingFeaturizer(config, context)
    featurizer.train(TrainingData(messages=[], nlu=NLUData()))
    return featurizer


# --- without the real model -------------------------------------------------------------


def test_the_wired_encoder_is_used_and_its_vectors_normalised() -> None:
    encoder = HashingEncoder()
    featurizer = trained(ComponentContext(encoder=encoder), model="hashing")
    vectors = featurize(featurizer, "book a table", "", "book")
    assert [v.shape for v in vectors] == [(16,)] * 3
    assert all(v.dtype == np.float32 for v in vectors)
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.5, abs=1e-6)  # the default weight
    assert not vectors[1].any()  # nothing to encode stays a zero vector, not NaN
    assert encoder.calls  # the in-process model was never needed


def test_weight_sets_the_length_of_the_vectors() -> None:
    context = ComponentContext(encoder=HashingEncoder())
    (unit,) = featurize(trained(context, model="hashing", weight=1), "book a table")
    (long,) = featurize(trained(context, model="hashing", weight=3.0), "book a table")
    assert np.linalg.norm(unit) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(long, unit * 3, rtol=1e-6)


@pytest.mark.parametrize("weight", [0, -1, "2", True, None])
def test_weight_must_be_a_number_above_zero(weight: object) -> None:
    with pytest.raises(ProjectError, match="weight must be a number above 0"):
        SentenceEmbeddingFeaturizer({"weight": weight})


def test_batches_are_cut_by_batch_size_and_answers_land_on_their_messages() -> None:
    encoder = HashingEncoder()
    featurizer = trained(ComponentContext(encoder=encoder), model="hashing", batch_size=2)
    texts = ["a b c d e", "a", "c c", "b b b", "e"]
    batched = featurize(featurizer, *texts)
    assert [len(call) for call in encoder.calls] == [2, 2, 1]
    for text, vector in zip(texts, batched, strict=True):
        (single,) = featurize(featurizer, text)
        np.testing.assert_array_equal(vector, single)


def test_process_annotates_one_message() -> None:
    featurizer = trained(ComponentContext(encoder=HashingEncoder()), model="hashing")
    message = Message(text="hello there")
    featurizer.process(message)
    assert message.sentence_features[featurizer.feature_key].shape == (16,)


def test_two_featurizers_write_under_their_own_keys() -> None:
    context = ComponentContext(encoder=HashingEncoder())
    first, second = trained(context, model="hashing"), trained(context, model="hashing")
    message = Message(text="hi")
    first.process(message)
    second.process(message)
    assert list(message.sentence_features) == [first.feature_key, second.feature_key]


def test_a_saved_model_remembers_its_encoder(tmp_path: Path) -> None:
    context = ComponentContext(encoder=HashingEncoder())
    trained(context, model="hashing").persist(Resource(tmp_path))
    loaded = SentenceEmbeddingFeaturizer.load({"model": "hashing"}, Resource(tmp_path), context)
    assert featurize(loaded, "hi")[0].shape == (16,)


@pytest.mark.parametrize(
    "other",
    [HashingEncoder(name="other-model"), HashingEncoder(dimension=32)],
    ids=["name", "dimension"],
)
def test_a_model_refuses_another_encoder(tmp_path: Path, other: HashingEncoder) -> None:
    trained(ComponentContext(encoder=HashingEncoder()), model="hashing").persist(Resource(tmp_path))
    with pytest.raises(ModelError, match="trained with the sentence encoder 'hashing'"):
        SentenceEmbeddingFeaturizer.load(
            {"model": other.name}, Resource(tmp_path), ComponentContext(encoder=other)
        )


def test_a_model_trained_with_a_server_refuses_the_in_process_minilm(tmp_path: Path) -> None:
    trained(ComponentContext(encoder=HashingEncoder()), model="hashing").persist(Resource(tmp_path))
    with pytest.raises(ModelError, match=r"would encode with 'all-MiniLM-L6-v2' \(384"):
        SentenceEmbeddingFeaturizer.load({}, Resource(tmp_path), ComponentContext())


@pytest.mark.parametrize(
    "content",
    ['{"name": "all-MiniLM-L6-v2"}', "[]", '{"name": 3, "dimension": 384}', "not json"],
)
def test_a_malformed_encoder_file_is_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / SentenceEmbeddingFeaturizer.ENCODER_FILE).write_text(content, "utf-8")
    with pytest.raises(ModelError, match=r"encoder\.json"):
        SentenceEmbeddingFeaturizer.load({}, Resource(tmp_path), ComponentContext())


def test_a_missing_encoder_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing"):
        SentenceEmbeddingFeaturizer.load({}, Resource(tmp_path), ComponentContext())


def test_an_unknown_model_lists_the_valid_ones() -> None:
    with pytest.raises(ProjectError, match="did you mean 'all-MiniLM-L6-v2'") as raised:
        SentenceEmbeddingFeaturizer({"model": "all-MiniLM-L6-v3"})
    assert "valid models are: all-MiniLM-L6-v2" in str(raised.value)


def test_the_model_option_must_name_the_wired_encoder() -> None:
    with pytest.raises(ProjectError, match="valid models are: hashing"):
        SentenceEmbeddingFeaturizer({}, ComponentContext(encoder=HashingEncoder()))


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, "64", True])
def test_batch_size_must_be_a_positive_whole_number(batch_size: object) -> None:
    with pytest.raises(ProjectError, match="batch_size must be a whole number"):
        SentenceEmbeddingFeaturizer({"batch_size": batch_size})


def test_rasa_language_model_options_are_accepted_and_ignored() -> None:
    featurizer = SentenceEmbeddingFeaturizer(
        {"model_name": "bert", "model_weights": "rasa/LaBSE", "cache_dir": "/tmp/x"}
    )
    assert featurizer.config == {"model": "all-MiniLM-L6-v2", "batch_size": 64, "weight": 1.5}


def test_an_unknown_option_is_refused() -> None:
    with pytest.raises(ProjectError, match="its options are: batch_size, model, weight"):
        SentenceEmbeddingFeaturizer({"pooling": "mean"})


def test_without_the_extra_the_pipeline_build_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rasa_names, "embeddings_available", lambda: False)
    with pytest.raises(ConfigurationError, match=r"parley\[embeddings\]"):
        SentenceEmbeddingFeaturizer()
    # A wired encoder (a language server) needs no local model.
    SentenceEmbeddingFeaturizer({"model": "hashing"}, ComponentContext(encoder=HashingEncoder()))


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (np.zeros((1, 8)), r"shape \(1, 8\)"),
        (np.zeros((2, 16)), r"shape \(2, 16\)"),
        (np.full((1, 16), np.nan), "non-finite"),
    ],
)
def test_a_wrong_answer_from_the_encoder_is_an_error_naming_it(
    answer: np.ndarray, match: str
) -> None:
    class Broken(HashingEncoder):
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            return answer

    featurizer = trained(ComponentContext(encoder=Broken(name="broken")), model="broken")
    with pytest.raises(ModelError, match=match):
        featurizer.process(Message(text="hi"))


def test_the_in_process_encoder_is_shared_and_knows_its_size_before_loading() -> None:
    assert shared_encoder() is shared_encoder("all-MiniLM-L6-v2")
    assert (shared_encoder().name, shared_encoder().dimension) == ("all-MiniLM-L6-v2", 384)
    assert set(MODELS) == {"all-MiniLM-L6-v2"}
    with pytest.raises(ConfigurationError, match="valid ones are: all-MiniLM-L6-v2"):
        MiniLMEncoder("mpnet")


# --- the real MiniLM model ---------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm() -> SentenceEmbeddingFeaturizer:
    # weight 1: these tests are about the encoder's own unit vectors.
    featurizer = SentenceEmbeddingFeaturizer({"batch_size": 4, "weight": 1})
    featurizer.process(Message(text="load the model once for this module"))
    return featurizer


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)  # the vectors are unit length


@pytest.mark.slow
def test_paraphrases_are_closer_than_unrelated_sentences(
    minilm: SentenceEmbeddingFeaturizer,
) -> None:
    card, card_again, weather, music = featurize(
        minilm,
        "my new card still hasn't arrived",
        "where is the card you sent me",
        "will it rain in Boston tomorrow",
        "play some jazz by Miles Davis",
    )
    assert cosine(card, card_again) > cosine(card, weather) + 0.2
    assert cosine(card, card_again) > cosine(card, music) + 0.2


@pytest.mark.slow
def test_minilm_vectors_are_unit_float32_of_384_dimensions(
    minilm: SentenceEmbeddingFeaturizer,
) -> None:
    for vector in featurize(minilm, "hello", "a much longer sentence about bank transfers"):
        assert vector.shape == (384,)
        assert vector.dtype == np.float32
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_a_batch_gives_what_single_messages_give(minilm: SentenceEmbeddingFeaturizer) -> None:
    texts = ["hi", "book a table for two at 8pm", "what is my balance", "x " * 40, "ok"]
    batched = featurize(minilm, *texts)
    for text, vector in zip(texts, batched, strict=True):
        np.testing.assert_allclose(vector, featurize(minilm, text)[0], atol=1e-5)


@pytest.mark.slow
def test_empty_and_hostile_text_gives_finite_unit_vectors(
    minilm: SentenceEmbeddingFeaturizer,
) -> None:
    hostile = [
        "",
        "   \n\t ",
        "\x00\x01\ufeff",
        "\u202eevil\u202c 🙂🙂 مرحبا 你好",
        "<script>alert(1)</script>' OR 1=1 --",
        "supercalifragilistic " * 2000,  # far past the model's 256-token window
    ]
    for vector in featurize(minilm, *hostile):
        assert vector.shape == (384,)
        assert np.all(np.isfinite(vector))
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_concurrent_threads_share_the_model_safely(minilm: SentenceEmbeddingFeaturizer) -> None:
    texts = [f"message number {n} about my account" for n in range(8)]
    expected = featurize(minilm, *texts)
    results: dict[int, np.ndarray] = {}

    def work(index: int) -> None:
        results[index] = featurize(minilm, texts[index])[0]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, vector in enumerate(expected):
        np.testing.assert_allclose(results[index], vector, atol=1e-5)


@pytest.mark.slow
def test_a_minilm_model_saves_and_loads(
    minilm: SentenceEmbeddingFeaturizer, tmp_path: Path
) -> None:
    minilm.persist(Resource(tmp_path))
    assert Resource(tmp_path).read_json("encoder.json") == {
        "dimension": 384,
        "name": "all-MiniLM-L6-v2",
    }
    loaded = SentenceEmbeddingFeaturizer.load(minilm.config, Resource(tmp_path), ComponentContext())
    np.testing.assert_allclose(
        featurize(loaded, "hello")[0], featurize(minilm, "hello")[0], atol=1e-6
    )


def test_a_pipeline_with_embeddings_trains_saves_and_loads(tmp_path: Path) -> None:
    specs = [
        ComponentSpec(name="WhitespaceTokenizer"),
        ComponentSpec(name="SentenceEmbeddingFeaturizer", options={"model": "hashing"}),
        ComponentSpec(name="LinearIntentClassifier"),
    ]
    greetings = ["hello there", "hi friend", "hello friend", "hi there"]
    farewells = ["bye now", "goodbye friend", "bye then", "goodbye now"]
    nlu = NLUData(
        examples=[Example(text=t, intent="greet") for t in greetings]
        + [Example(text=t, intent="goodbye") for t in farewells]
    )
    context = ComponentContext(encoder=HashingEncoder())
    pipeline = Pipeline.from_config(specs, context)
    pipeline.train(nlu)
    pipeline.persist(tmp_path)
    loaded = Pipeline.load(tmp_path, ComponentContext(encoder=HashingEncoder()))
    for text, intent in [("hello", "greet"), ("goodbye", "goodbye")]:
        parsed = loaded.parse(text)
        assert parsed.intent is not None
        assert parsed.intent.name == intent
    with pytest.raises(ModelError, match="sentence encoder 'hashing'"):
        Pipeline.load(tmp_path, ComponentContext(encoder=HashingEncoder(dimension=8)))
