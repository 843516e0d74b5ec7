"""Intents from keywords, as Rasa's KeywordIntentClassifier finds them.

Every training example's text is a keyword of its intent. A message containing a keyword as
a whole word (or phrase) gets that intent with confidence 1.0; keywords are tried in
training order and the first found wins. A keyword given for two intents is ambiguous: it
is dropped with a training warning, as Rasa drops it. A message without a keyword keeps
what an earlier classifier predicted.

"Whole word" means no letter or digit directly before or after the keyword. (Rasa puts
``\\b`` around it, which never matches a keyword that ends in punctuation, such as "hi!";
the look-arounds here match it.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from parley.core.messages import IntentPrediction
from parley.core.problem import Problem
from parley.errors import ModelError, ProjectError
from parley.nlu.component import INTENT, Component, ComponentContext, TrainingData
from parley.nlu.intent_classifier import base_intent
from parley.nlu.message import Message
from parley.nlu.resource import Resource

_MAX_CHECKED = 2000


class KeywordIntentClassifier(Component):
    """The intent whose training example appears as a whole word or phrase in the message,
    with confidence 1.0 (Rasa's KeywordIntentClassifier)."""

    name = "KeywordIntentClassifier"
    provides = frozenset({INTENT})
    defaults: ClassVar[Mapping[str, Any]] = {"case_sensitive": True}
    ignored_options = frozenset({"alias"})

    KEYWORDS_FILE = "keywords.json"

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        if not isinstance(self.config["case_sensitive"], bool):
            message = f"{self.name} option case_sensitive must be true or false"
            raise ProjectError([Problem("pipeline-invalid-option", message)], summary=message)
        self.keywords: list[tuple[str, str]] = []
        self._patterns: list[tuple[re.Pattern[str], str]] = []

    def _compile(self) -> None:
        flags = 0 if self.config["case_sensitive"] else re.IGNORECASE
        self._patterns = [
            (re.compile(rf"(?<!\w){re.escape(keyword)}(?!\w)", flags), intent)
            for keyword, intent in self.keywords
        ]

    def train(self, data: TrainingData) -> None:
        case_sensitive: bool = self.config["case_sensitive"]
        mapping: dict[str, str] = {}
        spelling: dict[str, str] = {}
        ambiguous: set[str] = set()
        for message in data.messages:
            if message.example is None or not message.example.intent:
                continue
            keyword = message.text.strip()
            if not keyword:
                continue
            intent = base_intent(message.example.intent)
            key = keyword if case_sensitive else keyword.lower()
            known = mapping.get(key)
            if known is None:
                mapping[key] = intent
                spelling[key] = keyword
            elif known != intent and key not in ambiguous:
                ambiguous.add(key)
                self.context.warn(
                    "nlu-ambiguous-keyword",
                    f"{keyword!r} is a keyword of intent {known!r} and of intent {intent!r}; "
                    f"{self.name} ignores it. Keep the example under one intent only.",
                )
        self.keywords = [(spelling[k], i) for k, i in mapping.items() if k not in ambiguous]
        self._compile()
        self._warn_about_overlaps()

    def _warn_about_overlaps(self) -> None:
        """Warn when one intent's keyword lies inside another intent's keyword: which
        intent such a message gets depends on training order. Checked for every pair, so
        only up to ``_MAX_CHECKED`` keywords (a keyword classifier has a few dozen)."""
        if len(self.keywords) > _MAX_CHECKED:
            return
        for (inner, inner_intent), (pattern, _) in zip(self.keywords, self._patterns, strict=True):
            for outer, outer_intent in self.keywords:
                if outer_intent != inner_intent and outer != inner and pattern.search(outer):
                    self.context.warn(
                        "nlu-overlapping-keyword",
                        f"the keyword {inner!r} of intent {inner_intent!r} is part of the "
                        f"keyword {outer!r} of intent {outer_intent!r}; a message containing "
                        f"{outer!r} gets whichever was trained first. Remove one of them.",
                    )

    def intent_of(self, text: str) -> str | None:
        """The intent of the first keyword (in training order) found in ``text``."""
        for pattern, intent in self._patterns:
            if pattern.search(text):
                return intent
        return None

    def process(self, message: Message) -> None:
        intent = self.intent_of(message.text)
        if intent is None:
            return
        prediction = IntentPrediction(name=intent, confidence=1.0)
        message.intent = prediction
        message.intent_ranking = [prediction]

    def persist(self, resource: Resource) -> None:
        resource.write_json(self.KEYWORDS_FILE, [[k, i] for k, i in self.keywords])

    @classmethod
    def load(cls, config: Mapping[str, Any], resource: Resource, context: ComponentContext) -> Self:
        classifier = cls(config, context)
        stored = resource.read_json(cls.KEYWORDS_FILE)
        if not isinstance(stored, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
            for pair in stored
        ):
            raise ModelError(
                f"model file {resource.root.name}/{cls.KEYWORDS_FILE} is not a list of "
                "[keyword, intent] pairs; train the model again"
            )
        classifier.keywords = [(k, i) for k, i in stored]
        classifier._compile()
        return classifier
