"""The NLU fallback, as Rasa's FallbackClassifier decides it.

When the classifier is unsure — its best confidence is below ``threshold``, or the best two
are closer than ``ambiguity_threshold`` — the message's intent becomes ``nlu_fallback``
with confidence ``threshold``, put first in the ranking (the original ranking follows), so
the dialogue can ask the user to rephrase. This relies on calibrated confidences, which
:mod:`parley.nlu.intent_classifier` provides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from parley.core.messages import IntentPrediction
from parley.core.problem import Problem
from parley.errors import ProjectError
from parley.nlu.component import INTENT, Component, ComponentContext
from parley.nlu.message import Message

FALLBACK_INTENT = "nlu_fallback"


class FallbackClassifier(Component):
    """Replaces an unsure intent prediction with ``nlu_fallback`` (Rasa's FallbackClassifier)."""

    name = "FallbackClassifier"
    requires = frozenset({INTENT})
    provides = frozenset({INTENT})
    defaults: ClassVar[Mapping[str, Any]] = {"threshold": 0.3, "ambiguity_threshold": 0.1}
    ignored_options = frozenset({"alias"})

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        for key in ("threshold", "ambiguity_threshold"):
            value = self.config[key]
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                message = (
                    f"{self.name} option {key}={value!r} is not valid; give a number from 0.0 "
                    "to 1.0"
                )
                raise ProjectError([Problem("pipeline-invalid-option", message)], summary=message)
        self.threshold = float(self.config["threshold"])
        self.ambiguity_threshold = float(self.config["ambiguity_threshold"])

    def should_fall_back(self, message: Message) -> bool:
        """Whether the prediction is too unsure: no intent, a low best confidence, or two
        best intents too close to tell apart."""
        if message.intent is None or message.intent.confidence < self.threshold:
            return True
        ranking = message.intent_ranking
        if len(ranking) >= 2:
            return ranking[0].confidence - ranking[1].confidence < self.ambiguity_threshold
        return False

    def process(self, message: Message) -> None:
        if not self.should_fall_back(message):
            return
        # As Rasa: the fallback's confidence is the threshold it fell below.
        fallback = IntentPrediction(name=FALLBACK_INTENT, confidence=self.threshold)
        message.intent = fallback
        message.intent_ranking = [fallback, *message.intent_ranking]
