"""NLU training data: annotated examples, synonyms, regular expressions and lookup tables."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from parley.core.model import Model


class EntityAnnotation(Model):
    """An entity marked in an example: ``text[start:end]`` is the span, ``value`` what it means.

    ``value`` differs from the span when the annotation names a synonym's canonical value.
    """

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    value: Any
    entity: str
    role: str | None = None
    group: str | None = None

    @model_validator(mode="after")
    def _span_is_ordered(self) -> EntityAnnotation:
        if self.end < self.start:
            raise ValueError(f"entity span end {self.end} is before its start {self.start}")
        return self


class Example(Model):
    """One training sentence. ``intent`` may name a retrieval intent as ``faq/ask_price``."""

    text: str
    intent: str | None = None
    entities: list[EntityAnnotation] = Field(default_factory=list)
    metadata: Any = None

    @property
    def retrieval_intent(self) -> str | None:
        """``faq`` for ``faq/ask_price``; None for a plain intent."""
        if self.intent and "/" in self.intent:
            return self.intent.split("/", 1)[0]
        return None


class Synonym(Model):
    """Every text in ``examples`` is mapped to the canonical ``value``."""

    value: str
    examples: list[str] = Field(default_factory=list)


class RegexPattern(Model):
    """Named regular expressions; an entity of the same name is extracted by them."""

    name: str
    patterns: list[str] = Field(default_factory=list)


class LookupTable(Model):
    name: str
    elements: list[str] = Field(default_factory=list)


class NLUData(Model):
    examples: list[Example] = Field(default_factory=list)
    synonyms: list[Synonym] = Field(default_factory=list)
    regexes: list[RegexPattern] = Field(default_factory=list)
    lookups: list[LookupTable] = Field(default_factory=list)
    intent_metadata: dict[str, Any] = Field(default_factory=dict)
    """Metadata given once for all examples of an intent."""

    @property
    def intents(self) -> list[str]:
        """Intents with examples, in the order they first appear (retrieval intents in full)."""
        return list(dict.fromkeys(e.intent for e in self.examples if e.intent))

    @property
    def entity_names(self) -> list[str]:
        return list(dict.fromkeys(a.entity for e in self.examples for a in e.entities))

    def merge(self, other: NLUData) -> NLUData:
        """This data followed by ``other``, as when a project splits NLU over several files."""
        return NLUData(
            examples=[*self.examples, *other.examples],
            synonyms=[*self.synonyms, *other.synonyms],
            regexes=[*self.regexes, *other.regexes],
            lookups=[*self.lookups, *other.lookups],
            intent_metadata={**self.intent_metadata, **other.intent_metadata},
        )
