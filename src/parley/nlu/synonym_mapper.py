"""Entity values mapped to their canonical value, as Rasa's EntitySynonymMapper maps them.

The synonyms come from the NLU data's ``synonym:`` sections and from annotations whose value
differs from the annotated text (``[NYC]{"entity": "city", "value": "New York"}``). Matching
ignores letter case; a mapped entity lists "EntitySynonymMapper" in its ``processors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from parley.errors import ModelError
from parley.nlu.component import Component, ComponentContext, TrainingData
from parley.nlu.message import Message
from parley.nlu.resource import Resource


class EntitySynonymMapper(Component):
    """Replaces an extracted entity's value by its synonym's canonical value (matched
    without regard to letter case)."""

    name = "EntitySynonymMapper"
    defaults: ClassVar[Mapping[str, Any]] = {}

    SYNONYMS_FILE = "synonyms.json"

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        self.synonyms: dict[str, str] = {}
        """Lower-cased text → canonical value."""

    def train(self, data: TrainingData) -> None:
        self.synonyms = {}
        conflicts: dict[str, set[str]] = {}
        for synonym in data.nlu.synonyms:
            for text in synonym.examples:
                self._add(text, synonym.value, conflicts)
        for example in data.nlu.examples:
            for annotation in example.entities:
                text = example.text[annotation.start : annotation.end]
                value = str(annotation.value)
                if text != value:
                    self._add(text, value, conflicts)
        if conflicts:
            listed = "; ".join(
                f"{text!r} → {' / '.join(sorted(values))}"
                for text, values in sorted(conflicts.items())[:10]
            )
            self.context.warn(
                "nlu-synonym-conflict",
                f"text mapped to more than one synonym value: {listed}. The first one is "
                "used; give each text a single value.",
            )

    def _add(self, text: str, value: str, conflicts: dict[str, set[str]]) -> None:
        if not text or text == value:
            return
        known = self.synonyms.setdefault(text.lower(), value)
        if known != value:
            conflicts.setdefault(text.lower(), {known}).add(value)

    def process(self, message: Message) -> None:
        if not self.synonyms:
            return
        for entity in message.entities:
            canonical = self.synonyms.get(str(entity.value).lower())
            if canonical is not None and canonical != entity.value:
                entity.value = canonical
                entity.processors = [*(entity.processors or []), self.name]

    def persist(self, resource: Resource) -> None:
        resource.write_json(self.SYNONYMS_FILE, self.synonyms)

    @classmethod
    def load(cls, config: Mapping[str, Any], resource: Resource, context: ComponentContext) -> Self:
        mapper = cls(config, context)
        synonyms = resource.read_json(cls.SYNONYMS_FILE)
        if not isinstance(synonyms, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in synonyms.items()
        ):
            raise ModelError(
                f"{resource.root.name}/{cls.SYNONYMS_FILE} is not a mapping of texts to "
                "values; train the model again"
            )
        mapper.synonyms = synonyms
        return mapper
