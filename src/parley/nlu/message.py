"""The message a pipeline works on: text, then tokens and features, then predictions.

A ``Message`` is mutable on purpose: each component adds what it provides (tokens,
features, intent, entities) for the components after it. During training it also carries
the gold ``example`` it was made from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parley.core.messages import (
    ExtractedEntity,
    IntentPrediction,
    ParseResult,
    RetrievalPrediction,
)
from parley.core.training_data import Example


@dataclass(eq=False, slots=True)
class Token:
    """``text`` is the message's ``[start:end]`` slice; ``norm`` its lower-cased form."""

    text: str
    start: int
    end: int

    @property
    def norm(self) -> str:
        return self.text.lower()


@dataclass(eq=False)
class Message:
    text: str
    reference_time: datetime | None = None
    """The "now" that relative times ("tomorrow") refer to; None means the time of parsing."""
    metadata: Any = None
    example: Example | None = None
    """The gold annotation, present only while training or evaluating."""

    tokens: list[Token] = field(default_factory=list)
    sentence_features: dict[str, Any] = field(default_factory=dict)
    """Featurizer name → a 1×n ``scipy.sparse.csr_matrix`` or an ``n``-vector (numpy)."""
    token_features: list[dict[str, float]] = field(default_factory=list)
    """One dict per token, feature name → weight, for sequence taggers (CRF)."""

    intent: IntentPrediction | None = None
    intent_ranking: list[IntentPrediction] = field(default_factory=list)
    entities: list[ExtractedEntity] = field(default_factory=list)
    response_selector: dict[str, RetrievalPrediction] = field(default_factory=dict)

    def add_token_features(self, features: list[dict[str, float]]) -> None:
        """Merge per-token features from one featurizer into ``token_features``."""
        if not self.token_features:
            self.token_features = [{} for _ in self.tokens]
        for mine, theirs in zip(self.token_features, features, strict=True):
            mine.update(theirs)

    def to_result(self) -> ParseResult:
        return ParseResult(
            text=self.text,
            intent=self.intent,
            entities=sorted(self.entities, key=lambda e: (e.start, e.end, e.entity)),
            intent_ranking=self.intent_ranking,
            response_selector=self.response_selector,
        )
