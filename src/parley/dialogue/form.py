"""Forms: loops that ask for slots until every required one is filled (Rasa 3's FormAction).

On activation the form validates the slots already filled, then asks for the first
empty required slot (``utter_ask_<form>_<slot>``, ``utter_ask_<slot>``, or the custom
actions ``action_ask_<form>_<slot>`` / ``action_ask_<slot>``) and records it in
``requested_slot``. On each later run it validates the form's slots that the latest user
message filled — through the ``validate_<form>`` custom action when the domain lists one —
and is *rejected* when the requested slot was asked for but nothing was filled, so that
other policies can handle the message. When no required slot is empty the form
deactivates (``active_loop: null``, ``requested_slot: null``). A validation action may
also pick the next slot (``requested_slot``) or end the form by setting it to null.
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
from parley.dialogue.actions import Action, ActionContext, utter
from parley.dialogue.remote_action import RemoteAction
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
            prefilled = {
                name: tracker.get_slot(name)
                for name in self.required_slots(context)
                if tracker.get_slot(name) is not None
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
        slot_events: list[Event] = [SlotSet(name=n, value=v) for n, v in candidates.items()]
        if validator not in context.domain.action_names:
            return slot_events
        # rasa-sdk reads the candidates as the slot events at the end of the tracker.
        probe = _with(tracker, [*earlier, *slot_events])
        return RemoteAction(validator).run(probe, context)

    def _ask(self, slot: str, tracker: Tracker, context: ActionContext) -> list[Event]:
        events: list[Event] = [SlotSet(name=REQUESTED_SLOT, value=slot)]
        asking = _with(tracker, events)
        for response in (f"utter_ask_{self.name}_{slot}", f"utter_ask_{slot}"):
            if context.responses.has(response):
                said = utter(response, asking, context)
                return [*events, *([said] if said else [])]
        for action in (f"action_ask_{self.name}_{slot}", f"action_ask_{slot}"):
            if action in context.domain.action_names:
                return [*events, *RemoteAction(action).run(asking, context)]
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
