"""Bag-of-n-grams sentence features, configured like Rasa's CountVectorsFeaturizer.

``analyzer: word`` counts n-grams of the tokenizer's tokens (so features agree with what the
tokenizer and the entity extractor see); ``char`` and ``char_wb`` count character n-grams of
the text (``char_wb`` only inside word boundaries, padded with spaces), which makes the
classifier robust to typos and inflections.

Weighting differs from Rasa on purpose. Rasa feeds raw counts to DIET, which learns its own
scaling; a linear classifier does markedly better on tf-idf: each count becomes
``1 + log(count)`` (sublinear tf, so a repeated word does not dominate), is multiplied by the
term's smoothed inverse document frequency (rare, telling n-grams weigh more) and the row is
scaled to unit length (long and short messages compare). ``weighting: count`` gives Rasa's
raw counts instead.

scikit-learn learns the vocabulary and the idf at training time; both are persisted as JSON
and ``.npz``. Turning a message into its row is a dictionary look-up per n-gram, done here
rather than through a fitted scikit-learn object, so a loaded model needs no pickle and one
message costs microseconds.

Only training imports scikit-learn: it takes most of a second and 60-100 MB to import, which
neither a server loading a model nor a process that only needs the component's options (a
fingerprint for an unchanged retrain, ``parley --help``) should pay. So the character n-grams
are cut here by :func:`char_ngrams` and :func:`char_wb_ngrams`, which give exactly what
scikit-learn's ``char`` and ``char_wb`` analyzers give (a property test pins that), and
``stop_words: english`` is resolved at training time and persisted with the vocabulary.
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Self, cast

import numpy as np
from scipy import sparse

from parley.core.problem import Problem
from parley.errors import ModelError, ProjectError
from parley.nlu.component import (
    SENTENCE_FEATURES,
    TOKENS,
    Component,
    ComponentContext,
    TrainingData,
)
from parley.nlu.message import Message
from parley.nlu.resource import Resource

ANALYZERS = ("word", "char", "char_wb")
WEIGHTINGS = ("tfidf", "count")
_MAX_CHARS = 10_000
"""Character n-grams are taken from at most this many characters of a message: a 100 kB
paste would otherwise cost half a million look-ups for features a classifier cannot use."""

Analyzer = Callable[[Message], list[str]]

_WHITESPACE_RUN = re.compile(r"\s\s+")
"""Two or more whitespace characters, which the character analyzers read as one space (a
single tab or newline stays as it is, as in scikit-learn)."""


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    """The character n-grams of ``text`` for ``low <= n <= high``, shortest first, after
    collapsing each run of whitespace to one space; scikit-learn's ``char`` analyzer."""
    text = _WHITESPACE_RUN.sub(" ", text)
    length = len(text)
    grams: list[str] = []
    for n in range(low, min(high, length) + 1):
        if n == 1:
            grams.extend(text)
        else:
            grams.extend([text[i : i + n] for i in range(length - n + 1)])
    return grams


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """The character n-grams of each word of ``text`` padded with a space either side, word
    by word and shortest first; scikit-learn's ``char_wb`` analyzer. A padded word no longer
    than ``n`` is one n-gram, counted once for all such ``n``."""
    # ``str.split()`` and ``\s`` agree on what whitespace is, so the words are the same with
    # or without collapsing whitespace runs first.
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        if high < size:  # the usual case, in one comprehension
            grams += [padded[i : i + n] for n in range(low, high + 1) for i in range(size - n + 1)]
            continue
        for n in range(low, high + 1):
            if n >= size:
                grams.append(padded)
                break
            grams += [padded[i : i + n] for i in range(size - n + 1)]
    return grams


def _fail(message: str) -> ProjectError:
    return ProjectError([Problem("pipeline-invalid-option", message)], summary=message)


class CountVectorsFeaturizer(Component):
    """A 1×n sparse row per message: the (tf-idf weighted) counts of its n-grams."""

    name = "CountVectorsFeaturizer"
    requires = frozenset({TOKENS})
    provides = frozenset({SENTENCE_FEATURES})
    defaults: ClassVar[Mapping[str, Any]] = {
        "analyzer": "word",
        "min_ngram": 1,
        "max_ngram": 1,
        "lowercase": True,
        "min_df": 1,
        "max_df": 1.0,
        "max_features": None,
        "stop_words": None,
        "OOV_token": None,
        "OOV_words": [],
        "weighting": "tfidf",
    }
    ignored_options = frozenset(
        {
            "alias",
            "additional_vocabulary_size",
            "token_pattern",  # words come from the pipeline's tokenizer
            "use_shared_vocab",  # Rasa shares a vocabulary with intent-label featurization
        }
    )

    VOCABULARY_FILE = "vocabulary.json"
    STOP_WORDS_KEY = "stop_words"
    """Key in :attr:`VOCABULARY_FILE` of the resolved ``stop_words: english`` list; models
    trained before it was added lack it and resolve the list from scikit-learn on load."""
    WEIGHTS_FILE = "idf.npz"

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        self._validate()
        self.feature_key = f"{self.name}:{id(self)}"
        self.vocabulary: dict[str, int] = {}
        self._known_words: frozenset[str] = frozenset()
        self._idf = np.zeros(0, dtype=np.float64)
        self._idf_values: list[float] = []
        self._empty_row = _empty_row(0)
        # None until ``stop_words: english`` is resolved by train (scikit-learn's list) or
        # load (the persisted list); see :meth:`_stop_words`.
        self._stop: frozenset[str] | None = self._listed_stop_words()
        self.analyzer = self._build_analyzer()

    # ----------------------------------------------------------------- configuration

    def _validate(self) -> None:
        config = self.config
        if config["analyzer"] not in ANALYZERS:
            raise _fail(
                f"{self.name} option analyzer={config['analyzer']!r} is not valid; "
                f"use one of: {', '.join(ANALYZERS)}"
            )
        if config["weighting"] not in WEIGHTINGS:
            raise _fail(
                f"{self.name} option weighting={config['weighting']!r} is not valid; "
                f"use one of: {', '.join(WEIGHTINGS)}"
            )
        low, high = config["min_ngram"], config["max_ngram"]
        if not _is_int(low) or not _is_int(high) or not 1 <= low <= high <= 20:
            raise _fail(
                f"{self.name} needs whole numbers 1 <= min_ngram <= max_ngram <= 20, "
                f"got min_ngram={low!r}, max_ngram={high!r}"
            )
        for key in ("min_df", "max_df"):
            value = config[key]
            valid = (_is_int(value) and value >= 1) or (
                isinstance(value, float) and 0.0 <= value <= 1.0
            )
            if not valid:
                raise _fail(
                    f"{self.name} option {key}={value!r} is not valid; give a number of "
                    "messages (a whole number >= 1) or a fraction of them (0.0 to 1.0)"
                )
        max_features = config["max_features"]
        if max_features is not None and not (_is_int(max_features) and max_features >= 1):
            raise _fail(
                f"{self.name} option max_features={max_features!r} is not valid; "
                "give a whole number >= 1, or leave it out to keep every n-gram"
            )
        stop_words = config["stop_words"]
        if stop_words is not None and not (stop_words == "english" or _is_str_list(stop_words)):
            raise _fail(
                f"{self.name} option stop_words={stop_words!r:.80} is not valid; give a list "
                "of words, 'english' (scikit-learn's list), or leave it out"
            )
        if not isinstance(config["lowercase"], bool):
            raise _fail(f"{self.name} option lowercase must be true or false")
        oov = config["OOV_token"]
        if oov is not None and not (isinstance(oov, str) and oov):
            raise _fail(f"{self.name} option OOV_token must be a word such as 'oov', or null")
        if not _is_str_list(config["OOV_words"]):
            raise _fail(f"{self.name} option OOV_words must be a list of words")

    def _build_analyzer(self) -> Analyzer:
        """The n-grams of one message, as scikit-learn's analyzer of the same options
        would produce them."""
        config = self.config
        low, high = config["min_ngram"], config["max_ngram"]
        lowercase: bool = config["lowercase"]
        if config["analyzer"] != "word":
            # Stop words do not apply to character n-grams (nor in scikit-learn).
            grams = char_ngrams if config["analyzer"] == "char" else char_wb_ngrams
            if lowercase:

                def lowercase_char_ngrams(message: Message) -> list[str]:
                    return grams(message.text[:_MAX_CHARS].lower(), low, high)

                return lowercase_char_ngrams

            def cased_char_ngrams(message: Message) -> list[str]:
                return grams(message.text[:_MAX_CHARS], low, high)

            return cased_char_ngrams

        oov_token: str | None = config["OOV_token"]
        oov_words = {w.lower() if lowercase else w for w in config["OOV_words"]}

        def word_ngrams(message: Message) -> list[str]:
            words = [t.norm if lowercase else t.text for t in message.tokens]
            if oov_token is not None:
                known = self._known_words
                words = [
                    oov_token if w in oov_words or (known and w not in known) else w for w in words
                ]
            stop = self._stop_words()
            if stop:
                words = [w for w in words if w not in stop]
            if high == 1:
                return words
            grams = list(words) if low == 1 else []
            for n in range(max(low, 2), high + 1):
                grams.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
            return grams

        return word_ngrams

    def _listed_stop_words(self) -> frozenset[str] | None:
        """The configured stop words, or None for ``english``, which needs resolving."""
        stop_words = self.config["stop_words"]
        if stop_words is None:
            return frozenset()
        if stop_words == "english":
            return None
        return self._normalised(stop_words)

    def _normalised(self, words: Sequence[str]) -> frozenset[str]:
        return frozenset(w.lower() if self.config["lowercase"] else w for w in words)

    def _stop_words(self) -> frozenset[str]:
        """The stop words, resolving ``english`` from scikit-learn if train or load has not
        (a model trained before the list was persisted, or a component used untrained)."""
        if self._stop is None:
            self._stop = self._normalised(_english_stop_words())
        return self._stop

    # ----------------------------------------------------------------- training

    def train(self, data: TrainingData) -> None:
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer  # noqa: PLC0415

        # Resolved afresh from scikit-learn, so the persisted list is the one trained with.
        self._stop = self._listed_stop_words()
        self._stop_words()
        # The vocabulary is unknown while it is being learnt, so OOV replacement applies
        # only to the configured OOV_words here (as in Rasa).
        self._set_vocabulary({})
        documents = [self.analyzer(m) for m in data.messages]
        config = self.config
        min_df = config["min_df"]
        if _is_int(min_df):
            # A pipeline with min_df 2 must still train on a one-message data set (a new
            # bot): scikit-learn rejects a min_df above the number of documents.
            min_df = max(1, min(min_df, len(documents)))
        counter = CountVectorizer(
            analyzer=_identity,
            min_df=min_df,
            max_df=config["max_df"],
            max_features=config["max_features"],
            dtype=np.float64,
        )
        try:
            counts = counter.fit_transform(documents)
        except ValueError as error:
            text = str(error)
            if "empty vocabulary" in text or "no terms remain" in text:
                self.context.warn(
                    "nlu-empty-vocabulary",
                    f"{self.name} ({config['analyzer']}) found no n-grams to learn in the "
                    "training data (after min_df/max_df/stop_words); it adds no features",
                )
                self.idf = np.zeros(0, dtype=np.float64)
                return
            raise _fail(
                f"{self.name} cannot learn a vocabulary with min_df={config['min_df']!r} and "
                f"max_df={config['max_df']!r} on {len(documents)} messages: {text}; lower "
                "min_df or raise max_df"
            ) from error
        vocabulary: dict[str, int] = {
            str(term): int(index) for term, index in counter.vocabulary_.items()
        }
        self._set_vocabulary(vocabulary)
        if config["weighting"] == "tfidf":
            weights = TfidfTransformer(sublinear_tf=True).fit(counts)
            self.idf = np.asarray(weights.idf_, dtype=np.float64)
        else:
            self.idf = np.ones(len(vocabulary), dtype=np.float64)

    # ----------------------------------------------------------------- inference

    def _set_vocabulary(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        # Words never hold spaces (the tokenizer splits on them), so the words of a word
        # n-gram vocabulary are its terms split on spaces; OOV replacement needs them.
        if self.config["analyzer"] == "word":
            self._known_words = frozenset(w for term in vocabulary for w in term.split(" "))
        self._empty_row = _empty_row(len(vocabulary))

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    @property
    def idf(self) -> np.ndarray[Any, Any]:
        return self._idf

    @idf.setter
    def idf(self, idf: np.ndarray[Any, Any]) -> None:
        self._idf = idf
        # Per message, reading a few idf values one by one from a Python list costs a tenth
        # of indexing the array (each numpy scalar read is boxed); the floats are the same.
        self._idf_values = idf.tolist()

    def _row(self, message: Message) -> tuple[list[int], list[float]]:
        # Looked up and counted in C (unknown n-grams count under None, dropped after);
        # the order of the counts does not matter, the indices are sorted.
        found = Counter(map(self.vocabulary.get, self.analyzer(message)))
        del found[None]
        counts = cast("Counter[int]", found)
        if not counts:
            return [], []
        indices = sorted(counts)
        if self.config["weighting"] == "count":
            return indices, [float(counts[i]) for i in indices]
        idf = self._idf_values
        values = [(1.0 + math.log(counts[i])) * idf[i] for i in indices]
        norm = math.sqrt(sum(v * v for v in values))
        return indices, [v / norm for v in values]

    def process(self, message: Message) -> None:
        indices, values = self._row(message)
        row = self._empty_row
        # scipy's constructor spends ~25 µs choosing and checking index dtypes, about as
        # long as the rest of this featurizer; a copy of an empty row of the right shape
        # given arrays of the dtypes the constructor would pick (sorted, unique indices, so
        # canonical) is the same matrix for a tenth of that. A test pins the equality.
        row = copy.copy(row)
        row.data = np.array(values, dtype=np.float64)
        row.indices = np.array(indices, dtype=np.int32)
        row.indptr = np.array((0, len(indices)), dtype=np.int32)
        message.sentence_features[self.feature_key] = row

    def process_batch(self, messages: Sequence[Message]) -> None:
        """One sparse matrix for the batch, sliced into rows: cheaper than a matrix per
        message when training or evaluating thousands of them."""
        indptr = [0]
        indices: list[int] = []
        values: list[float] = []
        for message in messages:
            row_indices, row_values = self._row(message)
            indices.extend(row_indices)
            values.extend(row_values)
            indptr.append(len(indices))
        matrix = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int32), indptr),
            shape=(len(messages), self.size),
        )
        for row, message in enumerate(messages):
            message.sentence_features[self.feature_key] = matrix[row]

    # ----------------------------------------------------------------- persistence

    def persist(self, resource: Resource) -> None:
        terms = [""] * len(self.vocabulary)
        for term, index in self.vocabulary.items():
            terms[index] = term
        stored: dict[str, Any] = {"terms": terms}
        if self.config["stop_words"] == "english":
            # Persisted so that loading needs no scikit-learn; only for ``english``, so the
            # files of every other configuration are as they were.
            stored[self.STOP_WORDS_KEY] = sorted(self._stop_words())
        resource.write_json(self.VOCABULARY_FILE, stored)
        resource.write_arrays(self.WEIGHTS_FILE, idf=self.idf)

    @classmethod
    def load(cls, config: Mapping[str, Any], resource: Resource, context: ComponentContext) -> Self:
        featurizer = cls(config, context)
        label = f"model file {resource.root.name}/{cls.VOCABULARY_FILE}"
        stored = resource.read_json(cls.VOCABULARY_FILE)
        terms = stored.get("terms") if isinstance(stored, dict) else None
        if not _is_str_list(terms):
            raise ModelError(f"{label} is not a list of terms; train the model again")
        assert isinstance(terms, list)
        vocabulary = {term: index for index, term in enumerate(terms)}
        if len(vocabulary) != len(terms):
            raise ModelError(f"{label} lists a term twice; train the model again")
        idf = resource.read_arrays(cls.WEIGHTS_FILE).get("idf")
        if (
            idf is None
            or idf.ndim != 1
            or idf.shape[0] != len(terms)
            or not np.issubdtype(idf.dtype, np.floating)
            or not np.all(np.isfinite(idf))
        ):
            raise ModelError(
                f"model file {resource.root.name}/{cls.WEIGHTS_FILE} does not match the "
                "vocabulary; train the model again"
            )
        if featurizer.config["stop_words"] == "english":
            stop_words = stored.get(cls.STOP_WORDS_KEY)
            if stop_words is None:  # trained before the list was persisted
                featurizer._stop_words()
            elif _is_str_list(stop_words):
                featurizer._stop = featurizer._normalised(stop_words)
            else:
                raise ModelError(
                    f"{label} has stop words that are not a list of words; train the model again"
                )
        featurizer._set_vocabulary(vocabulary)
        featurizer.idf = idf.astype(np.float64)
        return featurizer


def _empty_row(size: int) -> Any:
    """A 1×``size`` CSR row with no entries, which :meth:`CountVectorsFeaturizer.process`
    copies and fills."""
    return sparse.csr_matrix(
        (np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.int32), np.zeros(2, dtype=np.int32)),
        shape=(1, size),
    )


def _english_stop_words() -> Sequence[str]:
    from sklearn.feature_extraction.text import CountVectorizer  # noqa: PLC0415

    return sorted(CountVectorizer(stop_words="english").get_stop_words() or ())


def _identity(document: list[str]) -> list[str]:
    return document


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
