"""Entities found by the project's regexes and lookup tables, as Rasa's
RegexEntityExtractor finds them.

Only the regexes and lookup tables named like an entity of the training data are used: a
``zipcode`` regex extracts ``zipcode`` entities once some example annotates a ``zipcode``.
Every non-empty match is an entity; its value is the matched text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from parley.core.messages import ExtractedEntity
from parley.nlu.component import ENTITIES, TrainingData
from parley.nlu.message import Message
from parley.nlu.regex_featurizer import PatternComponent, collect_patterns


class RegexEntityExtractor(PatternComponent):
    """Entities matched by the regexes and lookup tables named after an entity of the
    training data; the value is the matched text."""

    name = "RegexEntityExtractor"
    provides = frozenset({ENTITIES})
    defaults: ClassVar[Mapping[str, Any]] = {
        "case_sensitive": False,
        "use_lookup_tables": True,
        "use_regexes": True,
        "use_word_boundaries": True,
    }

    def train(self, data: TrainingData) -> None:
        # Patterns of other names are features only (RegexFeaturizer), as in Rasa: no warning.
        self.patterns = collect_patterns(data.nlu, self.options, only=data.nlu.entity_names)

    def process(self, message: Message) -> None:
        seen: set[tuple[str, int, int]] = set()
        for pattern in self.patterns:
            for start, end in pattern.matches(message.text):
                if (pattern.name, start, end) in seen:
                    continue
                seen.add((pattern.name, start, end))
                message.entities.append(
                    ExtractedEntity(
                        entity=pattern.name,
                        start=start,
                        end=end,
                        value=message.text[start:end],
                        extractor=self.name,
                    )
                )
