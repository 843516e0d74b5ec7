"""Custom action of ``rasa-3x-form-examples/01-actions`` (see the collection's ACTIONS.md).

``action_show_time`` utters the action server's current local date and time, as
``str(datetime.now())`` renders it (for example ``2026-12-02 17:35:09.123456``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

DomainDict = dict[str, Any]


class ActionShowTime(Action):
    def name(self) -> str:
        return "action_show_time"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=f"{datetime.now()}")
        return []
