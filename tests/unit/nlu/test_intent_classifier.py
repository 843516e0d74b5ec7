from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from parley.core.training_data import Example, NLUData
from parley.errors import ModelError, ProjectError
from parley.nlu import features
from parley.nlu.component import ComponentContext
from parley.nlu.intent_classifier import LinearIntentClassifier, fit_temperature, softmax
from parley.nlu.message import Message
from parley.nlu.pipeline import Pipeline
from parley.nlu.resource import Resource
from parley.project.config import ComponentSpec

SPECS = [
    ComponentSpec(name="WhitespaceTokenizer"),
    ComponentSpec(name="CountVectorsFeaturizer"),
    ComponentSpec(
        name="CountVectorsFeaturizer",
        options={"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
    ),
]

EXAMPLES = {
    "greet": ["hi", "hello there", "good morning", "hey", "hello", "hi there friend"],
    "goodbye": ["bye", "see you later", "goodbye", "bye bye", "see you", "good night"],
    "book_table": [
        "book a table for two",
        "I need a table tonight",
        "reserve a table at 8",
        "can I book a table",
        "table for four please",
        "make a reservation",
    ],
    "faq/opening_hours": ["when are you open", "what are your opening hours"],
    "faq/parking": ["is there parking", "where can I park"],
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
    specs = [*SPECS, ComponentSpec(name="LinearIntentClassifier", options=options)]
    built = Pipeline.from_config(specs, context or ComponentContext())
    built.train(data or nlu())
    return built


def classifier(built: Pipeline) -> LinearIntentClassifier:
    found = built.components[-1]
    assert isinstance(found, LinearIntentClassifier)
    return found


def test_predicts_the_intents_it_learnt_with_a_sorted_ranking() -> None:
    built = pipeline()
    for text, intent in [
        ("hello my friend", "greet"),
        ("bye, see you", "goodbye"),
        ("a table for two please", "book_table"),
    ]:
        result = built.parse(text)
        assert result.intent is not None
        assert result.intent.name == intent
        confidences = [p.confidence for p in result.intent_ranking]
        assert confidences == sorted(confidences, reverse=True)
        assert result.intent_ranking[0] == result.intent
        assert sum(confidences) == pytest.approx(1.0)


def test_retrieval_intents_are_learnt_as_their_base_intent() -> None:
    result = pipeline().parse("what are your opening hours")
    assert result.intent is not None
    assert result.intent.name == "faq"
    assert {p.name for p in result.intent_ranking} == {"greet", "goodbye", "book_table", "faq"}


def test_ranking_length_limits_the_ranking_and_zero_keeps_all() -> None:
    assert len(pipeline(ranking_length=2).parse("hi").intent_ranking) == 2
    assert len(pipeline(ranking_length=0).parse("hi").intent_ranking) == 4


def test_one_intent_is_always_predicted_with_confidence_one() -> None:
    built = pipeline(nlu({"greet": ["hi", "hello"]}))
    for text in ["hi", "book a table", ""]:
        result = built.parse(text)
        assert result.intent is not None
        assert (result.intent.name, result.intent.confidence) == ("greet", 1.0)


def test_no_labelled_examples_predicts_nothing() -> None:
    assert pipeline(NLUData()).parse("hi").intent is None


def test_two_intents_work_as_a_binary_model() -> None:
    built = pipeline(nlu({"greet": EXAMPLES["greet"], "goodbye": EXAMPLES["goodbye"]}))
    result = built.parse("see you later")
    assert result.intent is not None
    assert result.intent.name == "goodbye"
    assert result.intent.confidence > 0.5


def test_training_is_deterministic_for_a_seed() -> None:
    first = classifier(pipeline(context=ComponentContext(seed=7))).model
    second = classifier(pipeline(context=ComponentContext(seed=7))).model
    assert first is not None
    assert second is not None
    np.testing.assert_array_equal(first.weights, second.weights)
    assert first.temperature == second.temperature


def test_persisted_pipeline_predicts_the_same(tmp_path: Path) -> None:
    built = pipeline()
    built.persist(tmp_path)
    loaded = Pipeline.load(tmp_path, ComponentContext())
    texts = ["hi", "table for 2", "parking?", "zebra", ""]
    assert [built.parse(t) for t in texts] == [loaded.parse(t) for t in texts]
    # The batch path multiplies one matrix: the same numbers, summed in another order.
    for batch, single in zip(loaded.parse_batch(texts), map(loaded.parse, texts), strict=True):
        assert [p.name for p in batch.intent_ranking] == [p.name for p in single.intent_ranking]
        assert [p.confidence for p in batch.intent_ranking] == pytest.approx(
            [p.confidence for p in single.intent_ranking], abs=1e-9
        )


def test_a_corrupt_model_file_is_a_model_error(tmp_path: Path) -> None:
    built = classifier(pipeline())
    built.persist(Resource(tmp_path))
    (tmp_path / "intent_model.json").write_text('{"classes": ["a"], "temperature": -1}')
    with pytest.raises(ModelError, match="malformed"):
        LinearIntentClassifier.load({}, Resource(tmp_path), ComponentContext())
    (tmp_path / "intent_model.json").write_text('{"classes": ["a"], "temperature": 1}')
    with pytest.raises(ModelError, match="does not match its classes"):
        LinearIntentClassifier.load({}, Resource(tmp_path), ComponentContext())


def test_features_of_another_width_are_a_model_error() -> None:
    built = classifier(pipeline())
    message = Message(text="hi", sentence_features={"x": sparse.csr_matrix((1, 3))})
    with pytest.raises(ModelError, match="featurizers do not match"):
        built.process(message)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"C": 0}, "positive number"),
        ({"C": "big"}, "positive number"),
        ({"class_weight": "auto"}, "balanced, null"),
        ({"ranking_length": -1}, "ranking_length"),
        ({"kernel": "rbf"}, "C, class_weight, ranking_length"),
    ],
)
def test_invalid_options_say_what_is_valid(options: dict[str, object], expected: str) -> None:
    with pytest.raises(ProjectError, match=expected):
        LinearIntentClassifier(options)


def test_rasa_training_options_are_accepted_and_ignored() -> None:
    ignored = {"epochs": 100, "constrain_similarities": True, "model_confidence": "softmax"}
    assert LinearIntentClassifier(ignored).config == LinearIntentClassifier().config


def test_class_weight_balanced_trains() -> None:
    result = pipeline(class_weight="balanced").parse("hello there")
    assert result.intent is not None
    assert result.intent.name == "greet"


HOSTILE = ["", "   ", "\x00\x01\x1b[31m\u202e", "🍕🍕 😀 ❤️", "ꦧꦱꦗꦮ 𓀀𓁐", "book a table " * 8000]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_odd_text_never_raises(text: str) -> None:
    result = pipeline().parse(text)
    assert result.intent is not None
    assert 0.0 <= result.intent.confidence <= 1.0


def test_stack_puts_blocks_side_by_side_and_messages_below() -> None:
    first = Message(text="a", sentence_features={"s": sparse.csr_matrix([[1.0, 0.0]])})
    first.sentence_features["d"] = np.array([0.5, 0.25, 0.0], dtype=np.float32)
    second = Message(text="b", sentence_features={"s": sparse.csr_matrix([[0.0, 2.0]])})
    second.sentence_features["d"] = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    stacked = features.stack([first, second])
    assert sparse.issparse(stacked)
    np.testing.assert_array_equal(
        stacked.toarray(), [[1.0, 0.0, 0.5, 0.25, 0.0], [0.0, 2.0, 1.0, 0.0, 0.0]]
    )
    assert features.stack([]).shape == (0, 0)
    assert features.stack([Message(text="x")]).shape == (1, 0)
    with pytest.raises(ValueError, match="different sentence features"):
        features.stack([first, Message(text="c")])


def test_temperature_scaling_recovers_the_temperature_of_the_data() -> None:
    generator = np.random.default_rng(0)
    scores = generator.normal(size=(4000, 5)) * 3
    probabilities = softmax(scores / 2.0)
    truth = np.array([generator.choice(5, p=p) for p in probabilities])
    assert fit_temperature(scores, truth) == pytest.approx(2.0, rel=0.15)
    assert fit_temperature(np.zeros((0, 5)), np.zeros(0, dtype=np.int64)) == 1.0
    # A few held-out examples, all wrong: no temperature is learnt from them.
    wrong = np.array([[1.0, 0.0]] * 6)
    assert fit_temperature(wrong, np.ones(6, dtype=np.int64)) == 1.0


def noisy_examples(count: int, seed: int) -> list[tuple[str, str]]:
    """Messages of six intents whose words overlap: each word comes from the intent's own
    vocabulary with probability 0.45, otherwise from all of them, so some messages are
    truly ambiguous and a calibrated classifier must say so."""
    generator = random.Random(seed)
    topics = {f"intent_{i}": [f"w{i}_{j}" for j in range(12)] for i in range(6)}
    every_word = [w for words in topics.values() for w in words]
    examples = []
    for _ in range(count):
        intent = generator.choice(sorted(topics))
        words = [
            generator.choice(topics[intent])
            if generator.random() < 0.45
            else generator.choice(every_word)
            for _ in range(generator.randint(2, 6))
        ]
        examples.append((" ".join(words), intent))
    return examples


def expected_calibration_error(
    confidences: np.ndarray, correct: np.ndarray, bins: int = 10
) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidences > low) & (confidences <= high)
        if inside.any():
            error += inside.mean() * abs(confidences[inside].mean() - correct[inside].mean())
    return float(error)


def test_confidences_are_calibrated_on_held_out_messages() -> None:
    train = noisy_examples(900, seed=1)
    test = noisy_examples(1500, seed=2)
    specs = [*SPECS[:2], ComponentSpec(name="LinearIntentClassifier")]
    built = Pipeline.from_config(specs, ComponentContext(seed=0))
    built.train(NLUData(examples=[Example(text=t, intent=i) for t, i in train]))
    results = built.parse_batch([t for t, _ in test])
    confidences = np.array([r.intent.confidence for r in results if r.intent])
    correct = np.array(
        [r.intent.name == i for r, (_, i) in zip(results, test, strict=True) if r.intent]
    )
    accuracy = correct.mean()
    assert 0.5 < accuracy < 0.95  # the data is ambiguous enough for calibration to matter
    assert abs(confidences.mean() - accuracy) < 0.05
    assert expected_calibration_error(confidences, correct.astype(float)) < 0.06


def test_a_model_that_does_not_converge_is_a_training_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from parley.nlu import intent_classifier

    monkeypatch.setattr(intent_classifier, "MAX_ITERATIONS", 1)
    context = ComponentContext()
    pipeline(context=context, C=1000.0)
    assert "nlu-classifier-not-converged" in [p.code for p in context.problems]
