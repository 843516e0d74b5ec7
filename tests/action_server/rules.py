"""Custom actions of the shared ``rules`` bot (see its ACTIONS.md), written for Parley's tests.

- ``action_switch_faq`` flips the boolean slot ``detailed_faq`` (unset counts as false, so the
  first switch sets it to true).
- ``action_validate_loop_q_form`` utters "validate_some_slot" and sets ``some_slot`` to "sdk".

The domain's ``action_stop_q_form`` has no implementation in the original either.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

DomainDict = dict[str, Any]


class ActionSwitchFaq(Action):
    def name(self) -> str:
        return "action_switch_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SlotSet("detailed_faq", not tracker.get_slot("detailed_faq"))]


class ActionValidateLoopQForm(Action):
    def name(self) -> str:
        return "action_validate_loop_q_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text="validate_some_slot")
        return [SlotSet("some_slot", "sdk")]
