"""Custom action of ``rasa-3x-form-examples/02-slots`` (and ``03-conditions``, whose module
``form_examples_03`` re-exports it); see the collection's ACTIONS.md.

``action_say_shirt_size`` utters "Your shirt size is <shirt_size>!" when the slot ``shirt_size``
is set, and "I don't know your shirt size." when it is not.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

DomainDict = dict[str, Any]


class ActionSayShirtSize(Action):
    def name(self) -> str:
        return "action_say_shirt_size"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        size = tracker.get_slot("shirt_size")
        if size is None:
            dispatcher.utter_message(text="I don't know your shirt size.")
        else:
            dispatcher.utter_message(text=f"Your shirt size is {size}!")
        return []
