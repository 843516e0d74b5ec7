"""``action_extract_slots``: after each user message, fill slots by their mappings.

Runs before the next action is predicted and is not logged as an action (its slot events
follow the user event), as in Rasa 3. Per slot, the mappings are tried in order; each
applies only when its conditions hold (the active loop, and the requested slot; or
``active_loop: null``, no form active) and its intent filters accept the message.
``from_entity`` takes the value of the entity with the mapping's role and group (all
values for a list slot) — while a form is active, only for the requested slot or when no
other slot of the form has the same mapping; ``from_text`` the text, ``from_intent`` its
fixed value, ``from_trigger_intent`` its value when the message activates the form (the
form extracts again once active). A ``custom`` mapping with an ``action`` runs that custom
action (once per turn; its bot events, and its slot events that change a slot, are
kept); without one, the form's validation action fills the slot. A mapping that gives a
value sets the slot even when it holds that value already (as Rasa does): a form reads the
slot events after the message as the user's answer.
"""

from __future__ import annotations

import logging
from typing import Any

from parley.core.domain import Domain, MappingType, Slot, SlotMapping
from parley.core.events import BotUttered, Event, SlotSet
from parley.core.tracker import REQUESTED_SLOT, Tracker
from parley.dialogue.actions import Action, ActionContext
from parley.dialogue.remote_action import RemoteAction
from parley.dialogue.slots import entity_values, slot_value
from parley.errors import ActionError, ServiceError

logger = logging.getLogger(__name__)


def intent_is_desired(mapping: SlotMapping, intent: str | None) -> bool:
    if mapping.intent and intent not in mapping.intent:
        return False
    return not (mapping.not_intent and intent in mapping.not_intent)


def conditions_hold(mapping: SlotMapping, tracker: Tracker) -> bool:
    """Whether one of the mapping's conditions holds: its form is the active loop (and its
    slot is the requested one), or — ``active_loop: null`` — no form is active."""
    if not mapping.conditions:
        return True
    loop = tracker.active_loop_name
    requested = tracker.get_slot(REQUESTED_SLOT)
    return any(
        (condition.active_loop is None and loop is None)
        or (
            condition.active_loop is not None
            and condition.active_loop == loop
            and (condition.requested_slot is None or condition.requested_slot == requested)
        )
        for condition in mapping.conditions
    )


def trigger_condition_holds(mapping: SlotMapping, tracker: Tracker) -> bool:
    """A ``from_trigger_intent`` mapping applies while a form is active — from the form's
    activation on — and, when its conditions name forms, only for those."""
    loop = tracker.active_loop_name
    forms = [c.active_loop for c in mapping.conditions if c.active_loop is not None]
    return loop is not None and (not forms or loop in forms)


def fails_unique_entity_mapping(
    domain: Domain, tracker: Tracker, slot: Slot, mapping: SlotMapping
) -> bool:
    """While a form is active, a ``from_entity`` mapping of one of its slots applies only
    when that slot is the requested one or no other slot of the form has the same mapping
    (so one entity does not fill several of the form's slots)."""
    if mapping.type is not MappingType.FROM_ENTITY:
        return False
    form = domain.form(tracker.active_loop_name or "")
    if form is None or slot.name not in form.required_slots:
        return False
    if tracker.get_slot(REQUESTED_SLOT) == slot.name:
        return False
    same = 0
    for name in form.required_slots:
        other = domain.slot(name)
        if other is not None:
            same += sum(1 for m in other.mappings if m == mapping)
    return same > 1


def ignored_by_active_form(domain: Domain, tracker: Tracker, slot: Slot) -> bool:
    """A form ignores its ``ignored_intents`` for its own slots."""
    form = domain.form(tracker.active_loop_name or "")
    return (
        form is not None
        and slot.name in form.required_slots
        and tracker.intent_name in form.ignored_intents
    )


def mapping_value(mapping: SlotMapping, slot: Slot, tracker: Tracker) -> Any:
    """The value this mapping gives for the latest message, or None."""
    message = tracker.latest_message
    if message is None:
        return None
    intent = message.intent_name
    if not intent_is_desired(mapping, intent):
        return None
    if mapping.type is MappingType.FROM_ENTITY:
        values = entity_values(mapping, message.entities)
        return slot_value(slot, values) if values else None
    if mapping.type is MappingType.FROM_TEXT:
        return message.text
    if mapping.type is MappingType.FROM_INTENT:
        return mapping.value
    if mapping.type is MappingType.FROM_TRIGGER_INTENT:
        # Fills when the message activates a form: the form extracts again once active.
        return mapping.value if trigger_condition_holds(mapping, tracker) else None
    return None


class ActionExtractSlots(Action):
    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        return self.extract(tracker, context)

    def extract(
        self, tracker: Tracker, context: ActionContext, *, at_activation: bool = False
    ) -> list[Event]:
        """The slot events of the latest message. ``at_activation``: a form was just
        activated, so only the mappings that depend on the active form are tried again
        (the others were applied to this message already)."""
        domain = context.domain
        events: list[Event] = []
        custom_actions_run: set[str] = set()
        for slot in domain.slots:
            if ignored_by_active_form(domain, tracker, slot):
                continue
            for mapping in slot.mappings:
                trigger = mapping.type is MappingType.FROM_TRIGGER_INTENT
                if at_activation and not (trigger or mapping.conditions):
                    continue
                if not trigger and not conditions_hold(mapping, tracker):
                    continue
                if fails_unique_entity_mapping(domain, tracker, slot, mapping):
                    continue
                if mapping.type is MappingType.CUSTOM:
                    if mapping.action and mapping.action not in custom_actions_run:
                        custom_actions_run.add(mapping.action)
                        events.extend(self._custom(mapping.action, tracker, context))
                    continue
                value = mapping_value(mapping, slot, tracker)
                if value is None:
                    continue
                # Also when the slot holds the value already, as in Rasa: a form reads the
                # slot events after the message as the user's answer.
                events.append(SlotSet(name=slot.name, value=value))
                break
        return events

    def _custom(self, action: str, tracker: Tracker, context: ActionContext) -> list[Event]:
        """The slot events (those that change a slot) and bot messages of a slot mapping's
        custom action; as in Rasa, any other event it returns is dropped and logged."""
        try:
            returned = RemoteAction(action).run(tracker, context)
        except (ActionError, ServiceError) as error:
            logger.error("slot mapping action %s failed: %s", action, error)
            return []
        kept: list[Event] = []
        for event in returned:
            if isinstance(event, SlotSet):
                if event.value != tracker.get_slot(event.name):
                    kept.append(event)
            elif isinstance(event, BotUttered):
                kept.append(event)
            else:
                logger.info(
                    "slot mapping action %s returned a %r event; only slot and bot events "
                    "are kept from a slot mapping action",
                    action,
                    event.type_name,
                )
        return kept
