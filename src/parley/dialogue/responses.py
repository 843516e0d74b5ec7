"""Turning a domain response (``utter_greet``) into a message, as Rasa's templated NLG does.

The candidates are, in Rasa's order, the first non-empty of: the variations for the
channel whose conditions hold, those for the channel without conditions, those for no
channel whose conditions hold, those for no channel without conditions. One candidate is
picked at random (seeded per generator, so tests can fix it), then ``{slot}`` placeholders
in its text, buttons, image and custom payload are filled from the slots (and keyword
values a custom action passed), and ``{{`` / ``}}`` become single braces. A placeholder
with no value is left as written and logged.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Mapping
from typing import Any

from parley.core.domain import Domain, ResponseVariation

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][\w\-]*)\}")
"""A ``{slot}`` placeholder, or a doubled brace: ``{{`` / ``}}`` write one brace, as in
Rasa (``/inform{{"insurance": "motor"}}`` in a button payload)."""

RICH_KEYS = ("buttons", "image", "custom", "attachment", "elements", "quick_replies")


class ResponseGenerator:
    def __init__(self, domain: Domain, seed: int | None = None) -> None:
        self.responses = domain.responses
        self._random = random.Random(seed)

    def has(self, name: str) -> bool:
        return name in self.responses

    def generate(
        self,
        name: str,
        slots: Mapping[str, Any],
        channel: str | None = None,
        /,
        **values: Any,
    ) -> dict[str, Any] | None:
        """The message for response ``name`` (``text`` and rich keys), or None when the
        domain has no such response or no variation fits the channel. ``values`` may use
        any name, ``name`` and ``channel`` too (``utter_message(response=…, name="Sara")``)."""
        variations = self.responses.get(name)
        if not variations:
            return None
        candidates = _candidates(variations, slots, channel)
        if not candidates:
            return None
        chosen = self._random.choice(candidates)
        message = chosen.model_dump(
            exclude_none=True, exclude={"condition", "channel", "id", "metadata"}
        )
        if not message.get("buttons"):
            message.pop("buttons", None)
        if chosen.metadata:
            message["metadata"] = dict(chosen.metadata)
        if chosen.id is not None:
            message["id"] = chosen.id
        filled: dict[str, Any] = _fill(message, {**slots, **values}, name)
        return filled


def _candidates(
    variations: list[ResponseVariation], slots: Mapping[str, Any], channel: str | None
) -> list[ResponseVariation]:
    """Rasa's order: conditional variations for the channel, then unconditional ones for
    the channel, then conditional ones for no channel, then unconditional ones for none."""
    conditional = [v for v in variations if v.condition and _holds(v, slots)]
    default = [v for v in variations if not v.condition]
    for pool in (conditional, default):
        for_channel = [v for v in pool if v.channel is not None and v.channel == channel]
        if for_channel:
            return for_channel
    for pool in (conditional, default):
        general = [v for v in pool if v.channel is None]
        if general:
            return general
    return []


def _holds(variation: ResponseVariation, slots: Mapping[str, Any]) -> bool:
    return all(
        condition.type == "slot" and slots.get(condition.name) == condition.value
        for condition in variation.condition
    )


def _fill(value: Any, values: Mapping[str, Any], name: str) -> Any:
    if isinstance(value, str):
        return _fill_text(value, values, name)
    if isinstance(value, list):
        return [_fill(item, values, name) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, values, name) for key, item in value.items()}
    return value


def _fill_text(text: str, values: Mapping[str, Any], name: str) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key is None:
            return match.group(0)[0]
        if key not in values:
            logger.warning(
                "response %s: no value for {%s}; the placeholder is left as written", name, key
            )
            return match.group(0)
        return str(values[key])

    return _PLACEHOLDER.sub(replace, text)
