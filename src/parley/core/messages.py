"""What NLU makes of a user message, in the shape of Rasa's ``/model/parse`` JSON.

``ParseResult.to_rasa()`` is the exact JSON Rasa answers, so tools written for Rasa (and
action servers reading ``latest_message``) read Parley's too.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from parley.core.model import Model


class IntentPrediction(Model):
    name: str
    confidence: float = Field(ge=0.0, le=1.0)


class ExtractedEntity(Model):
    """An entity found in a message; ``text[start:end]`` is its span, ``value`` its meaning.

    Field names are Rasa's: ML extractors fill ``confidence_entity`` (and the role/group
    confidences), Duckling fills ``confidence`` (always 1.0) and ``text`` as Rasa's
    Duckling extractor does, other rule-based ones leave them empty; ``processors`` lists
    the components that changed the value afterwards (e.g. the synonym mapper).
    """

    entity: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    value: Any
    extractor: str
    text: str | None = None
    confidence: float | None = None
    confidence_entity: float | None = None
    role: str | None = None
    confidence_role: float | None = None
    group: str | None = None
    confidence_group: float | None = None
    processors: list[str] | None = None
    additional_info: Any = None
    """Structured details from Duckling (grain, unit, interval bounds…)."""

    @property
    def text_span(self) -> tuple[int, int]:
        return (self.start, self.end)


class ResponseCandidate(Model):
    """One ranked answer of a retrieval intent: ``faq/ask_price`` and its confidence."""

    intent_response_key: str
    confidence: float = Field(ge=0.0, le=1.0)


class RetrievalPrediction(Model):
    """The response selector's answer for one retrieval intent (``faq``, ``chitchat``…)."""

    response: ResponseCandidate
    ranking: list[ResponseCandidate] = Field(default_factory=list)

    @property
    def utter_action(self) -> str:
        """The domain response that answers it: ``utter_faq/ask_price``."""
        return f"utter_{self.response.intent_response_key}"


class ParseResult(Model):
    text: str
    intent: IntentPrediction | None = None
    entities: list[ExtractedEntity] = Field(default_factory=list)
    intent_ranking: list[IntentPrediction] = Field(default_factory=list)
    response_selector: dict[str, RetrievalPrediction] = Field(default_factory=dict)
    """Keyed by retrieval intent; ``default`` when the selector serves all of them."""

    def to_rasa(self) -> dict[str, Any]:
        """The JSON Rasa's ``/model/parse`` answers for this result."""
        result: dict[str, Any] = {
            "text": self.text,
            "intent": (
                self.intent.model_dump() if self.intent else {"name": None, "confidence": 0.0}
            ),
            "entities": [e.model_dump(exclude_none=True) for e in self.entities],
            "intent_ranking": [i.model_dump() for i in self.intent_ranking],
        }
        if self.response_selector:
            # Retrieval intents only: "default" is the key of a selector serving them all.
            retrieval = {
                candidate.intent_response_key.split("/", 1)[0]
                for prediction in self.response_selector.values()
                for candidate in [prediction.response, *prediction.ranking]
            }
            selector: dict[str, Any] = {"all_retrieval_intents": sorted(retrieval)}
            for key, prediction in self.response_selector.items():
                selector[key] = {
                    "response": {
                        **prediction.response.model_dump(),
                        "utter_action": prediction.utter_action,
                    },
                    "ranking": [c.model_dump() for c in prediction.ranking],
                }
            result["response_selector"] = selector
        return result


MAX_TEXT_LENGTH = 10_000
"""Longest user message the channels and the API take; a longer one is refused rather than
tokenized (no chat user writes ten thousand characters; a flood would only cost CPU)."""


class UserMessage(Model):
    """A message from a user, as a channel hands it to the agent."""

    text: str | None = None
    sender_id: str = "default"
    metadata: dict[str, Any] = Field(default_factory=dict)
    input_channel: str | None = None
    message_id: str | None = None
    environment: str | None = None
    parse_data: dict[str, Any] | None = None
    """Set to skip NLU (``trigger_intent``, reminders): Rasa's parse JSON to use as is."""


class BotMessage(Model, extra="allow"):
    """A message of the bot, in the shape Rasa's REST channel answers: ``recipient_id``,
    ``text`` and whichever rich parts the response has (``buttons``, ``image``,
    ``custom``, ``attachment``, ``elements``, ``quick_replies``…)."""

    recipient_id: str
    text: str | None = None
    buttons: list[dict[str, Any]] | None = None
    image: str | None = None
    custom: Any = None
    attachment: Any = None
    elements: Any = None
    quick_replies: Any = None

    def to_rasa(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
