"""Which answer of a retrieval intent a message asks for (``faq/ask_price``), as Rasa's
ResponseSelector decides it.

Retrieval intents are the intents written ``faq/ask_price`` in the training data: the intent
classifier learns them as ``faq``, and this component learns the full keys. It uses the
same calibrated linear model as :mod:`parley.nlu.intent_classifier`.

With ``retrieval_intent: faq`` it learns the keys of ``faq`` only and answers under
``response_selector["faq"]``. Left unset (Rasa's default) it learns every retrieval intent's
keys in one model and answers under ``"default"``, as Rasa does; it also answers under each
retrieval intent's own name with the best keys of that intent (their confidences
renormalised among them), so ``utter_chitchat`` finds the best chitchat answer even when an
faq key ranks first overall. Like Rasa, it answers for every message once trained; the
dialogue uses the answer of the intent the classifier predicted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np

from parley.core.messages import ResponseCandidate, RetrievalPrediction
from parley.core.problem import Problem
from parley.errors import ModelError, ProjectError
from parley.nlu.component import (
    RESPONSES,
    SENTENCE_FEATURES,
    ComponentContext,
    TrainingData,
)
from parley.nlu.intent_classifier import (
    RASA_CLASSIFIER_OPTIONS,
    LinearModel,
    LinearModelComponent,
    base_intent,
    validate_linear_options,
)
from parley.nlu.message import Message
from parley.nlu.resource import Resource

DEFAULT_KEY = "default"
"""The ``response_selector`` key Rasa uses when ``retrieval_intent`` is unset."""


def is_retrieval_intent(intent: str | None) -> bool:
    return intent is not None and "/" in intent


class ResponseSelector(LinearModelComponent):
    """The full retrieval key (``faq/ask_price``) of a message, ranked and calibrated."""

    name = "ResponseSelector"
    requires = frozenset({SENTENCE_FEATURES})
    provides = frozenset({RESPONSES})
    defaults: ClassVar[Mapping[str, Any]] = {
        "retrieval_intent": None,
        "C": 1.0,
        "class_weight": None,
        "ranking_length": 10,
    }
    ignored_options = RASA_CLASSIFIER_OPTIONS | {"use_text_as_label"}
    """``use_text_as_label`` makes Rasa learn response texts; Parley learns the keys, which
    name the same responses."""

    INDEX_FILE = "selector.json"

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        validate_linear_options(self.name, self.config)
        wanted = self.config["retrieval_intent"]
        if wanted is not None and (not isinstance(wanted, str) or not wanted or "/" in wanted):
            message = (
                f"{self.name} option retrieval_intent={wanted!r} is not valid; give the name "
                "of a retrieval intent without its key (e.g. faq for faq/ask_price), or leave "
                "it out to select among all retrieval intents"
            )
            raise ProjectError([Problem("pipeline-invalid-option", message)], summary=message)
        self.model: LinearModel | None = None

    @property
    def selector_key(self) -> str:
        wanted: str | None = self.config["retrieval_intent"]
        return wanted or DEFAULT_KEY

    def train(self, data: TrainingData) -> None:
        self.model = None
        wanted: str | None = self.config["retrieval_intent"]
        chosen = [
            m
            for m in data.messages
            if m.example is not None
            and is_retrieval_intent(m.example.intent)
            and (wanted is None or base_intent(m.example.intent or "") == wanted)
        ]
        if not chosen:
            if wanted is not None:
                found = sorted(
                    {
                        base_intent(m.example.intent)
                        for m in data.messages
                        if m.example is not None
                        and is_retrieval_intent(m.example.intent)
                        and m.example.intent
                    }
                )
                self.context.warn(
                    "nlu-retrieval-intent-missing",
                    f"{self.name} is set to retrieval_intent {wanted!r} but the training data "
                    f"has no examples like {wanted}/<key>; retrieval intents in the data: "
                    f"{', '.join(found) or '(none)'}",
                )
            return
        labels = [m.example.intent for m in chosen if m.example and m.example.intent]
        self.model = LinearModel.train(
            chosen, labels, self.config, self.context, what="response selector"
        )

    def _annotate(self, message: Message, scores: np.ndarray[Any, Any]) -> None:
        assert self.model is not None
        model = self.model
        length: int = self.config["ranking_length"]
        ranked = model.ranking(scores, 0)
        message.response_selector[self.selector_key] = _prediction(ranked, length)
        if self.selector_key != DEFAULT_KEY:
            return
        by_intent: dict[str, list[tuple[str, float]]] = {}
        for key, confidence in ranked:
            by_intent.setdefault(base_intent(key), []).append((key, confidence))
        for intent, keys in by_intent.items():
            total = sum(confidence for _, confidence in keys)
            scale = 1.0 / total if total > 0 else 1.0
            renormalised = [(key, confidence * scale) for key, confidence in keys]
            message.response_selector[intent] = _prediction(renormalised, length)

    def persist(self, resource: Resource) -> None:
        resource.write_json(self.INDEX_FILE, {"trained": self.model is not None})
        if self.model is not None:
            self.model.persist(resource, "selector_model")

    @classmethod
    def load(cls, config: Mapping[str, Any], resource: Resource, context: ComponentContext) -> Self:
        selector = cls(config, context)
        index = resource.read_json(cls.INDEX_FILE)
        if not isinstance(index, dict) or not isinstance(index.get("trained"), bool):
            raise ModelError(f"model file {resource.root.name}/{cls.INDEX_FILE} is malformed")
        if index["trained"]:
            selector.model = LinearModel.load(resource, "selector_model")
        return selector


def _prediction(ranked: list[tuple[str, float]], length: int) -> RetrievalPrediction:
    shown = ranked if length == 0 else ranked[:length]
    candidates = [
        ResponseCandidate(intent_response_key=key, confidence=min(1.0, max(0.0, confidence)))
        for key, confidence in shown
    ]
    return RetrievalPrediction(response=candidates[0], ranking=candidates)
