"""``action_extract_slots``: after each user message, fill slots by their mappings.

Runs before the next action is predicted and is not logged as an action (its slot events
follow the user event), as in Rasa 3. Per slot, the mappings are tried in order; each
applies only when its conditions hold (the active loop, and the requested slot) and its
intent filters accept the message. ``from_entity`` takes the entity's value (all values
for a list slot), ``from_text`` the text, ``from_intent`` its fixed value,
``from_trigger_intent`` its value when the message activates the form. A ``custom``
mapping with an ``action`` runs that custom action (once per turn); without one, the
form's validation action fills the slot. A slot changes only when the value differs.
"""

from __future__ import annotations

import logging
from typing import Any

from parley.core.domain import Domain, MappingType, Slot, SlotMapping, SlotType
from parley.core.events import Event, SlotSet
from parley.core.tracker import REQUESTED_SLOT, Tracker
from parley.dialogue.actions import Action, ActionContext
from parley.dialogue.remote_action import RemoteAction
from parley.errors import ActionError, ServiceError

logger = logging.getLogger(__name__)


def intent_is_desired(mapping: SlotMapping, intent: str | None) -> bool:
    if mapping.intent and intent not in mapping.intent:
        return False
    return not (mapping.not_intent and intent in mapping.not_intent)


def conditions_hold(mapping: SlotMapping, tracker: Tracker) -> bool:
    if not mapping.conditions:
        return True
    loop = tracker.active_loop_name
    if loop is None:
        return False
    requested = tracker.get_slot(REQUESTED_SLOT)
    return any(
        condition.active_loop == loop
        and (condition.requested_slot is None or condition.requested_slot == requested)
        for condition in mapping.conditions
    )


def ignored_by_active_form(domain: Domain, tracker: Tracker, slot: Slot) -> bool:
    """A form ignores its ``ignored_intents`` for its own slots."""
    form = domain.form(tracker.active_loop_name or "")
    return (
        form is not None
        and slot.name in form.required_slots
        and tracker.intent_name in form.ignored_intents
    )


def mapping_value(mapping: SlotMapping, slot: Slot, tracker: Tracker, domain: Domain) -> Any:
    """The value this mapping gives for the latest message, or None."""
    message = tracker.latest_message
    if message is None:
        return None
    intent = message.intent_name
    if not intent_is_desired(mapping, intent):
        return None
    if mapping.type is MappingType.FROM_ENTITY:
        values = [
            entity.get("value")
            for entity in message.entities
            if entity.get("entity") == mapping.entity
            and (mapping.role is None or entity.get("role") == mapping.role)
            and (mapping.group is None or entity.get("group") == mapping.group)
        ]
        if not values:
            return None
        return values if slot.type is SlotType.LIST else values[-1]
    if mapping.type is MappingType.FROM_TEXT:
        return message.text
    if mapping.type is MappingType.FROM_INTENT:
        return mapping.value
    if mapping.type is MappingType.FROM_TRIGGER_INTENT:
        # Fills only when this message activates a form (no loop active yet).
        active = tracker.active_loop_name
        return mapping.value if active is None and domain.forms else None
    return None


class ActionExtractSlots(Action):
    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        domain = context.domain
        events: list[Event] = []
        custom_actions_run: set[str] = set()
        for slot in domain.slots:
            if ignored_by_active_form(domain, tracker, slot):
                continue
            for mapping in slot.mappings:
                if not conditions_hold(mapping, tracker):
                    continue
                if mapping.type is MappingType.CUSTOM:
                    if mapping.action and mapping.action not in custom_actions_run:
                        custom_actions_run.add(mapping.action)
                        events.extend(self._custom(mapping.action, tracker, context))
                    continue
                value = mapping_value(mapping, slot, tracker, domain)
                if value is None:
                    continue
                if value != tracker.get_slot(slot.name):
                    events.append(SlotSet(name=slot.name, value=value))
                break
        return events

    def _custom(self, action: str, tracker: Tracker, context: ActionContext) -> list[Event]:
        try:
            return RemoteAction(action).run(tracker, context)
        except (ActionError, ServiceError) as error:
            logger.error("slot mapping action %s failed: %s", action, error)
            return []
