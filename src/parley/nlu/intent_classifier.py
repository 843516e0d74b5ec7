"""Intent classification with a linear model over the pipeline's sentence features.

The model is scikit-learn's ``LinearSVC`` (one-vs-rest squared hinge): on sparse n-gram
features it is as accurate as logistic regression and several times faster to train. Its
margins are no probabilities, so they are *calibrated*: confidences are
``softmax(scores / T)`` with one temperature ``T`` chosen to minimise the log-loss of
out-of-fold scores (training examples scored by a model that did not see them, k-fold).
A confidence of 0.8 then means right about 80 % of the time on unseen messages, which is
what the FallbackClassifier's threshold relies on.

What is persisted is plain numbers: weights, intercepts, class names and the temperature
(``.npz`` + JSON). Parsing is a dot product in numpy; no scikit-learn object is loaded.
Retrieval intents (``faq/ask_price``) are learnt as their base intent (``faq``); the
ResponseSelector picks the full key.

scikit-learn and scipy.optimize are imported inside the functions that use them: they take
over a second to import, and a process that only needs the component's options (a
fingerprint for an unchanged retrain, ``parley --help``) must not pay for it.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
from scipy import sparse

from parley.core.messages import IntentPrediction
from parley.core.problem import Problem
from parley.errors import ModelError, ProjectError
from parley.nlu import features
from parley.nlu.component import (
    INTENT,
    SENTENCE_FEATURES,
    Component,
    ComponentContext,
    TrainingData,
)
from parley.nlu.message import Message
from parley.nlu.resource import Resource

CALIBRATION_FOLDS = 3
"""Folds for the out-of-fold scores the temperature is fitted on; more folds give the
temperature little and cost a training run each."""
CALIBRATION_EXAMPLES = 1000
"""Held-out scores enough to fit one parameter: once the folds so far have scored this
many examples, the others are skipped (a large data set trains one fold model, not three)."""
MIN_CALIBRATION_EXAMPLES = 20
"""Fewer held-out scores than this fit no temperature (T stays 1): a handful of examples,
often all misclassified when each class has one or two, would drive T to its bound and make
every confidence the same."""
MAX_ITERATIONS = 5000


def base_intent(intent: str) -> str:
    """``faq`` for the retrieval intent ``faq/ask_price``; other intents unchanged."""
    return intent.split("/", 1)[0]


@dataclass
class LinearModel:
    """A calibrated linear classifier in plain arrays: ``softmax((x·Wᵀ + b) / T)``.

    ``weights`` is stored transposed (features × classes, float32) so scoring a sparse row
    gathers the rows of its non-zero features.
    """

    classes: list[str]
    weights: np.ndarray[Any, Any]
    intercepts: np.ndarray[Any, Any]
    temperature: float

    def __post_init__(self) -> None:
        # Scores are summed in float64 from the intercepts; converted once, not per message.
        self._intercepts64: np.ndarray[Any, Any] = self.intercepts.astype(np.float64)

    @property
    def n_features(self) -> int:
        return int(self.weights.shape[0])

    # ----------------------------------------------------------------- training

    @classmethod
    def train(
        cls,
        messages: Sequence[Message],
        labels: Sequence[str],
        config: Mapping[str, Any],
        context: ComponentContext,
        *,
        what: str,
    ) -> LinearModel:
        """:meth:`fit` on the stacked sentence features of ``messages``, with the ``C`` and
        ``class_weight`` options of a component's ``config``."""
        return cls.fit(
            features.stack(messages),
            labels,
            c=float(config["C"]),
            class_weight=config["class_weight"],
            seed=context.seed,
            context=context,
            what=what,
        )

    @classmethod
    def fit(
        cls,
        matrix: Any,
        labels: Sequence[str],
        *,
        c: float,
        class_weight: str | None,
        seed: int,
        context: ComponentContext,
        what: str,
    ) -> LinearModel:
        """Train on ``matrix`` (CSR, one row per label) and calibrate the temperature."""
        classes = list(dict.fromkeys(labels))
        n_features = int(matrix.shape[1])
        if len(classes) < 2 or n_features == 0:
            # One class: always it, with confidence 1. No features: the class frequencies.
            counts = Counter(labels)
            prior = np.array([math.log(counts[k] / len(labels)) for k in classes])
            return cls(
                classes=classes,
                weights=np.zeros((n_features, len(classes)), dtype=np.float32),
                intercepts=prior.astype(np.float32),
                temperature=1.0,
            )
        index = {label: i for i, label in enumerate(classes)}
        y = np.array([index[label] for label in labels])
        settings = _Settings(c=c, class_weight=class_weight, seed=seed, what=what)
        weights, intercepts = _train_svm(matrix, y, len(classes), settings, context)
        scores, truth = _held_out_scores(matrix, y, len(classes), settings)
        temperature = fit_temperature(scores, truth)
        return cls(
            classes=classes,
            weights=np.ascontiguousarray(weights.T, dtype=np.float32),
            intercepts=intercepts.astype(np.float32),
            temperature=temperature,
        )

    # ----------------------------------------------------------------- inference

    def scores(self, message: Message) -> np.ndarray[Any, Any]:
        """Raw scores of one message, without building a matrix: each feature block is
        multiplied by its own slice of the weights."""
        total = self._intercepts64
        offset = 0
        n_features = self.n_features
        # features.blocks inlined: this runs once per parsed message, where each numpy call
        # and generator step shows.
        for value in message.sentence_features.values():
            if sparse.issparse(value):
                end = offset + int(value.shape[-1])
                if end > n_features:
                    break
                if value.nnz:
                    rows = self.weights[value.indices + offset]
                    total = total + value.data @ rows
            else:
                block = np.asarray(value, dtype=np.float64).reshape(-1)
                end = offset + int(block.shape[-1])
                if end > n_features:
                    break
                total = total + block @ self.weights[offset:end]
            offset = end
        if offset != n_features:
            raise ModelError(
                f"the intent model expects {self.n_features} features but the pipeline made "
                f"{features.width(message)}; the model's featurizers do not match it, train again"
            )
        if total is self._intercepts64:  # callers may change what they are given
            total = total.copy()
        return total

    def batch_scores(self, messages: Sequence[Message]) -> np.ndarray[Any, Any]:
        matrix = features.stack(messages)
        if matrix.shape[1] != self.n_features:
            raise ModelError(
                f"the intent model expects {self.n_features} features but the pipeline made "
                f"{matrix.shape[1]}; the model's featurizers do not match it, train again"
            )
        product = np.asarray(matrix @ self.weights.astype(np.float64))
        scores: np.ndarray[Any, Any] = product + self.intercepts.astype(np.float64)
        return scores

    def probabilities(self, scores: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return softmax(scores / self.temperature)

    def ranking(self, scores: np.ndarray[Any, Any], length: int) -> list[tuple[str, float]]:
        """Classes by confidence, best first; ``length`` 0 keeps all of them."""
        probabilities = self.probabilities(scores)
        # Stable sort on the negated values: ties keep training order, so results repeat.
        order: list[int] = np.argsort(-probabilities, kind="stable").tolist()
        if length > 0:
            order = order[:length]
        # One conversion to Python floats rather than a numpy scalar read per class.
        values: list[float] = probabilities.tolist()
        return [(self.classes[i], min(1.0, max(0.0, values[i]))) for i in order]

    # ----------------------------------------------------------------- persistence

    def persist(self, resource: Resource, prefix: str) -> None:
        resource.write_json(
            f"{prefix}.json", {"classes": self.classes, "temperature": self.temperature}
        )
        resource.write_arrays(f"{prefix}.npz", weights=self.weights, intercepts=self.intercepts)

    @classmethod
    def load(cls, resource: Resource, prefix: str) -> LinearModel:
        label = f"model file {resource.root.name}/{prefix}"
        meta = resource.read_json(f"{prefix}.json")
        arrays = resource.read_arrays(f"{prefix}.npz")
        classes = meta.get("classes") if isinstance(meta, dict) else None
        temperature = meta.get("temperature") if isinstance(meta, dict) else None
        weights = arrays.get("weights")
        intercepts = arrays.get("intercepts")
        valid = (
            isinstance(classes, list)
            and all(isinstance(k, str) for k in classes)
            and len(set(classes)) == len(classes)
            and isinstance(temperature, int | float)
            and not isinstance(temperature, bool)
            and math.isfinite(temperature)
            and temperature > 0
            and weights is not None
            and intercepts is not None
            and weights.ndim == 2
            and intercepts.ndim == 1
            and np.issubdtype(weights.dtype, np.floating)
            and np.issubdtype(intercepts.dtype, np.floating)
        )
        if not valid:
            raise ModelError(f"{label}.json/.npz is malformed; train the model again")
        assert isinstance(classes, list)
        assert weights is not None
        assert intercepts is not None
        assert isinstance(temperature, int | float)
        if weights.shape[1] != len(classes) or intercepts.shape[0] != len(classes):
            raise ModelError(f"{label}.npz does not match its classes; train the model again")
        # Checked after the cast: a float64 beyond float32's range becomes inf there.
        with np.errstate(over="ignore", invalid="ignore"):
            weights = np.ascontiguousarray(weights, dtype=np.float32)
            intercepts = intercepts.astype(np.float32)
        if not (np.all(np.isfinite(weights)) and np.all(np.isfinite(intercepts))):
            raise ModelError(f"{label}.npz holds non-finite numbers; train the model again")
        if not (math.isfinite(temperature) and temperature > 0):
            raise ModelError(f"{label}.json has an invalid temperature; train the model again")
        return cls(
            classes=list(classes),
            weights=weights,
            intercepts=intercepts,
            temperature=float(temperature),
        )


def softmax(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Softmax over the last axis, stable for large values."""
    shifted = values - np.max(values, axis=-1, keepdims=True)
    exp = np.exp(shifted)
    result: np.ndarray[Any, Any] = exp / np.sum(exp, axis=-1, keepdims=True)
    return result


def fit_temperature(scores: np.ndarray[Any, Any], truth: np.ndarray[Any, Any]) -> float:
    """The ``T`` minimising the log-loss of ``softmax(scores / T)`` for the true classes
    (temperature scaling, Guo et al. 2017); 1.0 with fewer than
    :data:`MIN_CALIBRATION_EXAMPLES` held-out scores."""
    if len(truth) < MIN_CALIBRATION_EXAMPLES:
        return 1.0
    rows = np.arange(len(truth))

    def loss(log_t: float) -> float:
        scaled = scores / math.exp(log_t)
        shifted = scaled - np.max(scaled, axis=1, keepdims=True)
        log_norm = np.log(np.sum(np.exp(shifted), axis=1))
        return float(np.mean(log_norm - shifted[rows, truth]))

    # T between 0.005 and 20: margins of a linear SVM are O(1), so the best T lies well inside.
    bounds = (math.log(0.005), math.log(20.0))
    from scipy import optimize  # noqa: PLC0415

    result = optimize.minimize_scalar(loss, bounds=bounds, method="bounded")
    return float(math.exp(result.x))


@dataclass(frozen=True)
class _Settings:
    c: float
    class_weight: str | None
    seed: int
    what: str
    """What is trained, for warnings: "intent classifier", "response selector"."""


def _train_svm(
    matrix: Any,
    y: np.ndarray[Any, Any],
    n_classes: int,
    settings: _Settings,
    context: ComponentContext,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Weights (classes × features) and intercepts over all ``n_classes``; a class
    missing from ``y`` (in a cross-validation fold) scores −∞-like, never predicted."""
    present = np.unique(y)
    weights = np.zeros((n_classes, matrix.shape[1]), dtype=np.float64)
    intercepts = np.full(n_classes, -1e4, dtype=np.float64)
    if len(present) == 1:
        intercepts[present[0]] = 0.0
        return weights, intercepts
    from sklearn.exceptions import ConvergenceWarning  # noqa: PLC0415
    from sklearn.svm import LinearSVC  # noqa: PLC0415

    model = LinearSVC(
        C=settings.c,
        class_weight=settings.class_weight,
        random_state=settings.seed,
        max_iter=MAX_ITERATIONS,
        dual="auto",
    )
    # liblinear stops at max_iter with a ConvergenceWarning; the model it returns is still
    # usable, so the warning becomes a training warning the user sees instead of noise.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(matrix, y)
    for other in caught:
        if not issubclass(other.category, ConvergenceWarning):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        context.warn(
            "nlu-classifier-not-converged",
            f"the {settings.what} did not fully converge in {MAX_ITERATIONS} iterations; a lower C "
            "(stronger regularization) usually fixes it",
        )
    coef = np.asarray(model.coef_, dtype=np.float64)
    bias = np.asarray(model.intercept_, dtype=np.float64)
    if len(present) == 2:  # binary: one weight vector, positive for the second class
        weights[present[1]] = coef[0] / 2
        weights[present[0]] = -coef[0] / 2
        intercepts[present[1]] = bias[0] / 2
        intercepts[present[0]] = -bias[0] / 2
    else:
        weights[present] = coef
        intercepts[present] = bias
    return weights, intercepts


def _held_out_scores(
    matrix: Any, y: np.ndarray[Any, Any], n_classes: int, settings: _Settings
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Scores of examples from a model trained without them (k-fold, up to
    ``CALIBRATION_EXAMPLES`` of them), and their true classes; examples whose class is
    absent from their fold's training part are left out (nothing could have predicted them)."""
    counts = np.bincount(y, minlength=n_classes)
    folds = min(CALIBRATION_FOLDS, len(y))
    if folds < 2:
        return np.zeros((0, n_classes)), np.zeros(0, dtype=np.int64)
    from sklearn.model_selection import KFold, StratifiedKFold  # noqa: PLC0415

    splitter: StratifiedKFold | KFold
    if counts[counts > 0].min() >= folds:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=settings.seed)
    else:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=settings.seed)
    all_scores: list[np.ndarray[Any, Any]] = []
    all_truth: list[np.ndarray[Any, Any]] = []
    quiet = ComponentContext(
        seed=settings.seed
    )  # fold models: only the final model's warnings count
    for train_index, test_index in splitter.split(np.zeros(len(y)), y):
        seen = np.unique(y[train_index])
        keep = test_index[np.isin(y[test_index], seen)]
        if len(keep) == 0:
            continue
        weights, intercepts = _train_svm(
            matrix[train_index], y[train_index], n_classes, settings, quiet
        )
        all_scores.append(np.asarray(matrix[keep] @ weights.T) + intercepts)
        all_truth.append(y[keep])
        if sum(len(truth) for truth in all_truth) >= CALIBRATION_EXAMPLES:
            break
    if not all_scores:
        return np.zeros((0, n_classes)), np.zeros(0, dtype=np.int64)
    # Classes unseen by a fold model do not sway the temperature: their score is the
    # sentinel −1e4, whose softmax weight is 0 for any T in range.
    return np.vstack(all_scores), np.concatenate(all_truth)


def _fail(message: str) -> ProjectError:
    return ProjectError([Problem("pipeline-invalid-option", message)], summary=message)


def validate_linear_options(name: str, config: Mapping[str, Any]) -> None:
    """The options the intent classifier and the response selector share."""
    c = config["C"]
    if not isinstance(c, int | float) or isinstance(c, bool) or not 0 < c < 1e6:
        raise _fail(f"{name} option C={c!r} is not valid; give a positive number such as 1.0")
    if config["class_weight"] not in (None, "balanced"):
        raise _fail(
            f"{name} option class_weight={config['class_weight']!r} is not valid; "
            "use one of: balanced, null"
        )
    length = config["ranking_length"]
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        raise _fail(
            f"{name} option ranking_length={length!r} is not valid; give a whole number "
            ">= 0 (0 reports every class)"
        )


RASA_CLASSIFIER_OPTIONS = frozenset(
    {
        # DIETClassifier / ResponseSelector training knobs with no meaning for a linear model
        "epochs",
        "batch_size",
        "batch_strategy",
        "learning_rate",
        "hidden_layers_sizes",
        "transformer_size",
        "number_of_transformer_layers",
        "number_of_attention_heads",
        "use_key_relative_attention",
        "use_value_relative_attention",
        "max_relative_position",
        "unidirectional_encoder",
        "embedding_dimension",
        "dense_dimension",
        "concat_dimension",
        "number_of_negative_examples",
        "similarity_type",
        "loss_type",
        "maximum_positive_similarity",
        "maximum_negative_similarity",
        "use_maximum_negative_similarity",
        "scale_loss",
        "regularization_constant",
        "negative_margin_scale",
        "connection_density",
        "drop_rate",
        "drop_rate_attention",
        "use_sparse_input_dropout",
        "use_dense_input_dropout",
        "evaluate_every_number_of_epochs",
        "evaluate_on_number_of_examples",
        "tensorboard_log_directory",
        "tensorboard_log_level",
        "checkpoint_model",
        "constrain_similarities",
        "model_confidence",
        "renormalize_confidences",
        "split_entities_by_comma",
        "use_masked_language_model",
        "intent_classification",
        "entity_recognition",
        "BILOU_flag",
        "random_seed",
        "run_eagerly",
        "featurizers",
        # SklearnIntentClassifier's grid search
        "kernels",
        "gamma",
        "max_cross_validation_folds",
        "scoring_function",
    }
)


class LinearModelComponent(Component):
    """A component that annotates each message from the scores of its :class:`LinearModel`
    (None until trained, or when there was nothing to learn)."""

    model: LinearModel | None = None

    def _annotate(self, message: Message, scores: np.ndarray[Any, Any]) -> None:
        raise NotImplementedError

    def process(self, message: Message) -> None:
        if self.model is None:
            return
        self._annotate(message, self.model.scores(message))

    def process_batch(self, messages: Sequence[Message]) -> None:
        if self.model is None or not messages:
            return
        for message, scores in zip(messages, self.model.batch_scores(messages), strict=True):
            self._annotate(message, scores)


class LinearIntentClassifier(LinearModelComponent):
    """The intent of a message and a calibrated ranking of the others."""

    name = "LinearIntentClassifier"
    requires = frozenset({SENTENCE_FEATURES})
    provides = frozenset({INTENT})
    defaults: ClassVar[Mapping[str, Any]] = {
        "C": 1.0,
        "class_weight": None,
        "ranking_length": 10,
    }
    ignored_options = RASA_CLASSIFIER_OPTIONS
    PREFIX = "intent_model"

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        validate_linear_options(self.name, self.config)
        self.model: LinearModel | None = None

    def train(self, data: TrainingData) -> None:
        labelled = [m for m in data.messages if m.example is not None and m.example.intent]
        if not labelled:
            self.model = None
            return
        labels = [base_intent(m.example.intent) for m in labelled if m.example and m.example.intent]
        self.model = LinearModel.train(
            labelled, labels, self.config, self.context, what="intent classifier"
        )

    def _annotate(self, message: Message, scores: np.ndarray[Any, Any]) -> None:
        assert self.model is not None
        ranking = self.model.ranking(scores, self.config["ranking_length"])
        message.intent_ranking = [IntentPrediction(name=n, confidence=c) for n, c in ranking]
        message.intent = message.intent_ranking[0]

    def persist(self, resource: Resource) -> None:
        resource.write_json("trained.json", {"trained": self.model is not None})
        if self.model is not None:
            self.model.persist(resource, self.PREFIX)

    @classmethod
    def load(cls, config: Mapping[str, Any], resource: Resource, context: ComponentContext) -> Self:
        classifier = cls(config, context)
        trained = resource.read_json("trained.json")
        if not isinstance(trained, dict) or not isinstance(trained.get("trained"), bool):
            raise ModelError(f"model file {resource.root.name}/trained.json is malformed")
        if trained["trained"]:
            classifier.model = LinearModel.load(resource, cls.PREFIX)
        return classifier
