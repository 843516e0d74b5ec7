"""Slots as the dialogue policies see them: their initial values and their features.

Features follow Rasa's slot featurization, so a conversation state reads the same in both
systems: a text or list slot is ``(1.0,)`` when set, a bool ``(1.0, value)``, a categorical
one-hot over its values (plus ``__other__``), a float ``(1.0, value scaled to min..max)``.
A slot that does not influence the conversation has no features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from parley.core.domain import Domain, MappingType, Slot, SlotMapping, SlotType
from parley.core.events import SlotSet
from parley.core.tracker import REQUESTED_SLOT

SESSION_STARTED_METADATA = "session_started_metadata"
OTHER = "__other__"

Features = tuple[float, ...]


def dialogue_slots(domain: Domain) -> list[Slot]:
    """The domain's slots plus the ones Rasa adds: ``requested_slot`` (when there are
    forms) and ``session_started_metadata``."""
    slots = list(domain.slots)
    names = {slot.name for slot in slots}
    if domain.forms and REQUESTED_SLOT not in names:
        slots.append(Slot(name=REQUESTED_SLOT, type=SlotType.TEXT, influence_conversation=False))
    if SESSION_STARTED_METADATA not in names:
        slots.append(
            Slot(name=SESSION_STARTED_METADATA, type=SlotType.ANY, influence_conversation=False)
        )
    return slots


def initial_slot_values(domain: Domain) -> dict[str, Any]:
    return {slot.name: slot.initial_value for slot in dialogue_slots(domain)}


def slot_features(slot: Slot, value: Any) -> Features:
    """The slot's features for ``value``; all zeros when unset, ``()`` when the slot does
    not influence the conversation."""
    if not slot.influence_conversation or slot.type is SlotType.ANY:
        return ()
    if slot.type is SlotType.TEXT:
        return (0.0 if value is None else 1.0,)
    if slot.type is SlotType.LIST:
        return (1.0 if value else 0.0,)
    if slot.type is SlotType.BOOL:
        if value is None:
            return (0.0, 0.0)
        return (1.0, 1.0 if _truthy(value) else 0.0)
    if slot.type is SlotType.CATEGORICAL:
        values = [str(v).lower() for v in slot.values]
        if OTHER not in values:
            values.append(OTHER)
        features = [0.0] * len(values)
        if value is not None:
            key = str(value).lower()
            features[values.index(key) if key in values else values.index(OTHER)] = 1.0
        return tuple(features)
    # float
    if value is None:
        return (0.0, 0.0)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return (0.0, 0.0)  # as Rasa: a value that is no number reads as unset
    low = slot.min_value if slot.min_value is not None else 0.0
    high = slot.max_value if slot.max_value is not None else 1.0
    span = high - low
    capped = max(low, min(high, number))
    return (1.0, (capped - low) / span if span > 0 else 0.0)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "y", "on"}
    return bool(value)


def slots_for_entities(domain: Domain, entities: Sequence[Mapping[str, Any]]) -> list[SlotSet]:
    """The slots a story's user turn fills by itself: every slot with a ``from_entity``
    mapping (not tied to a form) whose entity, role and group the turn has, as Rasa adds
    them to stories; a list slot gets all values, another slot the last one. Live turns
    get the same slots from ``action_extract_slots``."""
    if not domain.store_entities_as_slots or not entities:
        return []
    events: list[SlotSet] = []
    for slot in domain.slots:
        values = [
            value
            for mapping in slot.mappings
            if mapping.type is MappingType.FROM_ENTITY
            and not any(condition.active_loop for condition in mapping.conditions)
            for value in entity_values(mapping, entities)
        ]
        if values:
            events.append(SlotSet(name=slot.name, value=slot_value(slot, values)))
    return events


def entity_values(mapping: SlotMapping, entities: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The values of the entities a ``from_entity`` mapping takes. As in Rasa, a mapping
    without a role (group) takes only entities without one."""
    return [
        entity.get("value")
        for entity in entities
        if entity.get("entity") == mapping.entity
        and entity.get("role") == mapping.role
        and entity.get("group") == mapping.group
    ]


def slot_value(slot: Slot, values: list[Any]) -> Any:
    """What entity values fill ``slot`` with: all of them for a list slot, else the last."""
    return values if slot.type is SlotType.LIST else values[-1]
