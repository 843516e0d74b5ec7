"""Forms: loops that ask for slots until every required one is filled (Rasa 3's FormAction).

On activation the form extracts slots again for the mappings that apply only within it
(``from_trigger_intent``, conditions on this form), validates the slots already filled,
then asks for the first empty required slot (``action_ask_<form>_<slot>``,
``utter_ask_<form>_<slot>``, ``action_ask_<slot>``, ``utter_ask_<slot>``: the first that
exists) and records it in ``requested_slot``. On each later run it validates the form's
slots that the latest user message filled — through the ``validate_<form>`` custom action
when the domain lists one; a candidate it says nothing about stays valid — and is
*rejected* when the requested slot was asked for but nothing was filled, so that other
policies can handle the message. When no required slot is empty the form deactivates
(``active_loop: null``, ``requested_slot: null``). A validation action may also pick the
next slot (``requested_slot``) or end the form by setting it to null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parley.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from parley.core.tracker import REQUESTED_SLOT, Tracker
from parley.dialogue.actions import ACTION_EXTRACT_SLOTS, Action, ActionContext, utter
from parley.dialogue.remote_action import RemoteAction
from parley.dialogue.slot_extraction import ActionExtractSlots
from parley.errors import ActionRejectedError


class FormAction(Action):
    def required_slots(self, context: ActionContext) -> list[str]:
        form = context.domain.form(self.name)
        return list(form.required_slots) if form else []

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        events: list[Event] = []
        loop = tracker.active_loop
        if loop is None or loop.name != self.name:
            events.append(ActiveLoop(name=self.name))
            # As Rasa: once active, the form extracts again, for the mappings that apply
            # only within it (``from_trigger_intent``, conditions on this form).
            events.extend(
                ActionExtractSlots(ACTION_EXTRACT_SLOTS).extract(
                    _with(tracker, events), context, at_activation=True
                )
            )
            activated = _with(tracker, events)
            prefilled = {
                name: activated.get_slot(name)
                for name in self.required_slots(context)
                if activated.get_slot(name) is not None
            }
            if prefilled:
                events.extend(self._validate_slots(prefilled, tracker, events, context))
        elif loop.validate:
            events.extend(self._validate(tracker, context))
        after = _with(tracker, events)
        explicit = _requested_by_validation(events)
        if explicit is not None:
            next_slot: str | None = explicit[0]
        else:
            next_slot = next(
                (name for name in self.required_slots(context) if after.get_slot(name) is None),
                None,
            )
        if next_slot is not None:
            events.extend(self._ask(next_slot, after, context))
            return events
        return [*events, ActiveLoop(name=None), SlotSet(name=REQUESTED_SLOT, value=None)]

    def _validate(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        """Validate what the latest user message filled; reject when it filled nothing the
        form asked for."""
        candidates = _slots_since_user(tracker, set(self.required_slots(context)))
        requested = tracker.get_slot(REQUESTED_SLOT)
        events = self._validate_slots(candidates, tracker, [], context)
        validated = any(isinstance(e, SlotSet) and e.name != REQUESTED_SLOT for e in events)
        if requested and not validated:
            raise ActionRejectedError(
                self.name, f"failed to extract slot {requested} with action {self.name}"
            )
        return events

    def _validate_slots(
        self,
        candidates: Mapping[str, Any],
        tracker: Tracker,
        earlier: list[Event],
        context: ActionContext,
    ) -> list[Event]:
        validator = f"validate_{self.name}"
        slot_events: list[SlotSet] = [SlotSet(name=n, value=v) for n, v in candidates.items()]
        if validator not in context.domain.action_names:
            return list(slot_events)
        # rasa-sdk reads the candidates as the slot events at the end of the tracker; as
        # Rasa, the form's own `action` event ends what came before, so only they are read.
        requested = (
            tracker.get_slot(REQUESTED_SLOT) if tracker.active_loop_name == self.name else None
        )
        probe = _with(
            tracker,
            [
                *earlier,
                SlotSet(name=REQUESTED_SLOT, value=requested),
                ActionExecuted(name=self.name),
                *slot_events,
            ],
        )
        validated = RemoteAction(validator).run(probe, context)
        # A candidate the validation action says nothing about is valid (as in Rasa); it
        # marks an invalid one by setting it to null.
        named = {e.name for e in validated if isinstance(e, SlotSet)}
        return [*validated, *(e for e in slot_events if e.name not in named)]

    def _ask(self, slot: str, tracker: Tracker, context: ActionContext) -> list[Event]:
        """Set ``requested_slot`` and ask for it, by the first that exists of (Rasa's
        order) ``action_ask_<form>_<slot>``, ``utter_ask_<form>_<slot>``,
        ``action_ask_<slot>``, ``utter_ask_<slot>``."""
        events: list[Event] = [SlotSet(name=REQUESTED_SLOT, value=slot)]
        asking = _with(tracker, events)
        for scope in (f"{self.name}_{slot}", slot):
            action = f"action_ask_{scope}"
            if action in context.domain.action_names:
                return [*events, *RemoteAction(action).run(asking, context)]
            response = f"utter_ask_{scope}"
            if context.responses.has(response):
                said = utter(response, asking, context)
                return [*events, *([said] if said else [])]
        return events


def _with(tracker: Tracker, events: list[Event]) -> Tracker:
    copy = tracker.copy()
    copy.extend(events)
    return copy


def _slots_since_user(tracker: Tracker, names: set[str]) -> dict[str, Any]:
    """Slots of ``names`` set after the latest user message (by slot extraction)."""
    found: dict[str, Any] = {}
    for event in reversed(tracker.applied_events()):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted):
            found.clear()
            continue
        if isinstance(event, SlotSet) and event.name in names and event.name not in found:
            found[event.name] = event.value
    return dict(reversed(list(found.items())))


def _requested_by_validation(events: list[Event]) -> tuple[str | None] | None:
    """The slot a validation action chose to request next, if it chose."""
    for event in reversed(events):
        if isinstance(event, SlotSet) and event.name == REQUESTED_SLOT:
            return (event.value if isinstance(event.value, str) else None,)
    return None
