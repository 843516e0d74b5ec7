"""Custom actions of the shared ``reminderbot`` (see its ACTIONS.md), written for Parley's tests.

- ``action_set_reminder`` utters "I will remind you in <n> seconds." and schedules
  ``ReminderScheduled("EXTERNAL_reminder", now + n s, entities=<the latest message's entities>,
  name="my_reminder", kill_on_user_message=False)``; n is ``REMINDERBOT_DELAY_SECONDS``
  (default 5). The trigger time is timezone-aware UTC.
- ``action_react_to_reminder`` utters "Remember to call <name>!", the name being the latest
  message's ``PERSON`` entity (the domain's entity) or else its ``name`` entity (what ACTIONS.md
  mentions), or "someone".
- ``action_tell_id`` utters "Your conversation ID is <sender_id>." and how to send it the external
  intent ``EXTERNAL_dry_plant`` through the HTTP API.
- ``action_warn_dry`` utters "Your <plant> needs some water!" (entity ``plant``, default "plant").
- ``action_forget_reminders`` utters "Okay, I'll cancel all your reminders." and returns
  ``ReminderCancelled()`` (no name, intent nor entities: every reminder).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, ReminderCancelled, ReminderScheduled
from rasa_sdk.executor import CollectingDispatcher

DomainDict = dict[str, Any]


class ActionSetReminder(Action):
    def name(self) -> str:
        return "action_set_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        delay = float(os.environ.get("REMINDERBOT_DELAY_SECONDS", "5"))
        dispatcher.utter_message(text=f"I will remind you in {delay:g} seconds.")
        return [
            ReminderScheduled(
                "EXTERNAL_reminder",
                trigger_date_time=datetime.now(UTC) + timedelta(seconds=delay),
                entities=tracker.latest_message.get("entities"),
                name="my_reminder",
                kill_on_user_message=False,
            )
        ]


class ActionReactToReminder(Action):
    def name(self) -> str:
        return "action_react_to_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        person = (
            next(tracker.get_latest_entity_values("PERSON"), None)
            or next(tracker.get_latest_entity_values("name"), None)
            or "someone"
        )
        dispatcher.utter_message(text=f"Remember to call {person}!")
        return []


class ActionTellId(Action):
    def name(self) -> str:
        return "action_tell_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        conversation_id = tracker.sender_id
        dispatcher.utter_message(text=f"Your conversation ID is {conversation_id}.")
        dispatcher.utter_message(
            text=(
                "To tell me your plant is dry, POST "
                '{"name": "EXTERNAL_dry_plant", "entities": {"plant": "Orchid"}} to '
                f"/conversations/{conversation_id}/trigger_intent?output_channel=latest"
            )
        )
        return []


class ActionWarnDry(Action):
    def name(self) -> str:
        return "action_warn_dry"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        plant = next(tracker.get_latest_entity_values("plant"), None) or "plant"
        dispatcher.utter_message(text=f"Your {plant} needs some water!")
        return []


class ActionForgetReminders(Action):
    def name(self) -> str:
        return "action_forget_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text="Okay, I'll cancel all your reminders.")
        return [ReminderCancelled()]
