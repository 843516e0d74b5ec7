"""Actions that check how faithfully Parley speaks the Rasa action-server protocol.

Run inside the rasa-sdk venv only (``tests/support/action_server.py``); pytest never imports it.

``action_inspect_tracker`` utters one message whose ``custom`` (``json_message``) payload is what
rasa_sdk made of the request: the ``Tracker`` it built from ``tracker`` and the keys of
``domain``. Its keys: ``sender_id``, ``slots``, ``get_slot`` (``tracker.get_slot`` for every slot
name), ``latest_message`` (``intent`` name, ``entities``, ``text``), ``latest_entity_values``
(``tracker.get_latest_entity_values`` for each distinct entity/role/group of the latest message,
keyed ``entity``, ``entity:role``, ``entity::group`` or ``entity:role:group``),
``latest_action_name``, ``active_loop``, ``active_loop_name``, ``followup_action``, ``paused``,
``event_count``, ``event_types``, ``applied_event_types``, ``latest_input_channel``,
``intent_of_latest_message`` (``get_intent_of_latest_message()``, which reads
``intent_ranking``), ``slots_to_validate``, ``user_id``, ``domain_keys`` (sorted) and
``sdk_version`` (rasa_sdk's own version: the request's ``version`` field is not handed to
actions). It returns no events.

``action_emit_all_events`` returns one of each event that ``rasa_sdk.events`` offers and
Rasa 3.x understands (the deprecated aliases ``Form``/``FormValidation`` produce ``active_loop``
and ``loop_interrupted`` and are left out), and utters five messages. The exact JSON of its
webhook answer, ``events`` then ``responses``:

action_emit_all_events events:
[
  {"event": "slot", "timestamp": null, "name": "diag_text", "value": "hello"},
  {"event": "slot", "timestamp": 1700000000.5, "name": "diag_number", "value": 42},
  {"event": "slot", "timestamp": null, "name": "diag_list", "value": ["a", "b"]},
  {"event": "slot", "timestamp": null, "name": "diag_none", "value": null},
  {"event": "restart", "timestamp": null},
  {"event": "reset_slots", "timestamp": null},
  {
    "event": "reminder",
    "timestamp": null,
    "intent": "EXTERNAL_diag",
    "entities": [{"entity": "name", "value": "Ada"}],
    "date_time": "2030-01-02T03:04:05+00:00",
    "name": "diag_reminder",
    "kill_on_user_msg": false
  },
  {
    "event": "cancel_reminder",
    "timestamp": null,
    "intent": "EXTERNAL_diag",
    "entities": [{"entity": "name", "value": "Ada"}],
    "name": "diag_reminder"
  },
  {"event": "undo", "timestamp": null},
  {"event": "rewind", "timestamp": null},
  {
    "event": "action",
    "name": "action_diag_marker",
    "policy": "diag_policy",
    "confidence": 0.75,
    "timestamp": null
  },
  {
    "event": "bot",
    "timestamp": null,
    "text": "bot says hi",
    "data": {"buttons": [{"title": "Yes", "payload": "/affirm"}]},
    "metadata": {"source": "diagnostics"}
  },
  {
    "event": "user",
    "timestamp": null,
    "text": "injected text",
    "parse_data": {
      "intent": {"name": "greet", "confidence": 1.0},
      "entities": [],
      "text": "injected text"
    },
    "input_channel": "diag"
  },
  {"event": "agent", "text": "agent says hi", "data": {"k": "v"}, "timestamp": null},
  {"event": "followup", "timestamp": null, "name": "action_listen"},
  {"event": "pause", "timestamp": null},
  {"event": "resume", "timestamp": null},
  {"event": "active_loop", "name": "diag_form", "timestamp": null},
  {"event": "loop_interrupted", "is_interrupted": true, "timestamp": null},
  {
    "event": "action_execution_rejected",
    "name": "diag_form",
    "policy": "diag_policy",
    "confidence": 0.5,
    "timestamp": null
  },
  {"event": "active_loop", "name": null, "timestamp": null},
  {"event": "export", "timestamp": null},
  {"event": "session_started", "timestamp": null}
]

action_emit_all_events responses:
[
  {
    "text": "plain text",
    "buttons": [],
    "elements": [],
    "custom": {},
    "template": null,
    "response": null,
    "image": null,
    "attachment": null
  },
  {
    "text": "pick one",
    "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
    "elements": [],
    "custom": {},
    "template": null,
    "response": null,
    "image": null,
    "attachment": null
  },
  {
    "text": null,
    "buttons": [],
    "elements": [],
    "custom": {},
    "template": null,
    "response": null,
    "image": "https://example.invalid/diag.png",
    "attachment": null
  },
  {
    "text": null,
    "buttons": [],
    "elements": [],
    "custom": {"kind": "diag", "nested": {"n": 1, "list": [1, 2]}},
    "template": null,
    "response": null,
    "image": null,
    "attachment": null
  },
  {
    "text": null,
    "buttons": [],
    "elements": [],
    "custom": {},
    "template": "utter_diag",
    "response": "utter_diag",
    "image": null,
    "attachment": null,
    "name": "Ada",
    "count": 3
  }
]

``action_emit_session_ended`` returns ``{"event": "session_ended", "timestamp": null,
"metadata": {"reason": "diag"}}``, an event of rasa-sdk 3.21 (Rasa Pro) that Rasa 3.x open
source does not know: for testing how unknown events are handled.

``action_slow`` sleeps ``ACTION_SLOW_SECONDS`` (default 5) seconds and utters "done".
``action_reject`` raises ``ActionExecutionRejection`` (HTTP 400
``{"error": "Custom action 'action_reject' rejected execution.", "action_name": "action_reject"}``).
``action_crash`` raises ``RuntimeError("diagnostics crash")`` (HTTP 500
``{"error": "diagnostics crash", "request_body": <the request>}``).
An unknown action name gets HTTP 404 ``{"error": "No registered action found for name '<name>'.",
"action_name": "<name>"}``; a request without ``domain`` (and no known ``domain_digest``) gets
HTTP 449 (``ActionMissingDomainException``).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from typing import Any

import rasa_sdk
from rasa_sdk import Action, ActionExecutionRejection, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EventType,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionEnded,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUtteranceReverted,
    UserUttered,
)
from rasa_sdk.executor import CollectingDispatcher

DomainDict = dict[str, Any]


def _entity_key(entity: dict[str, Any]) -> str:
    parts = [str(entity.get("entity")), entity.get("role") or "", entity.get("group") or ""]
    return ":".join(parts).rstrip(":")


class ActionInspectTracker(Action):
    def name(self) -> str:
        return "action_inspect_tracker"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        latest = tracker.latest_message or {}
        entities = list(latest.get("entities") or [])
        entity_values: dict[str, list[Any]] = {}
        for entity in entities:
            key = _entity_key(entity)
            if key not in entity_values:
                entity_values[key] = list(
                    tracker.get_latest_entity_values(
                        entity.get("entity"), entity.get("role"), entity.get("group")
                    )
                )
        report = {
            "sender_id": tracker.sender_id,
            "slots": tracker.slots,
            "get_slot": {name: tracker.get_slot(name) for name in tracker.slots},
            "latest_message": {
                "intent": (latest.get("intent") or {}).get("name"),
                "entities": entities,
                "text": latest.get("text"),
            },
            "latest_entity_values": entity_values,
            "latest_action_name": tracker.latest_action_name,
            "active_loop": tracker.active_loop,
            "active_loop_name": tracker.active_loop_name,
            "followup_action": tracker.followup_action,
            "paused": tracker.is_paused(),
            "event_count": len(tracker.events),
            "event_types": [event.get("event") for event in tracker.events],
            "applied_event_types": [event.get("event") for event in tracker.applied_events()],
            "latest_input_channel": tracker.get_latest_input_channel(),
            "intent_of_latest_message": tracker.get_intent_of_latest_message(),
            "slots_to_validate": tracker.slots_to_validate(),
            "user_id": tracker.user_id,
            "domain_keys": sorted(domain or {}),
            "sdk_version": rasa_sdk.__version__,
        }
        dispatcher.utter_message(json_message=report)
        return []


REMINDER_ENTITIES = [{"entity": "name", "value": "Ada"}]


class ActionEmitAllEvents(Action):
    def name(self) -> str:
        return "action_emit_all_events"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text="plain text")
        dispatcher.utter_message(
            text="pick one",
            buttons=[{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        )
        dispatcher.utter_message(image="https://example.invalid/diag.png")
        dispatcher.utter_message(json_message={"kind": "diag", "nested": {"n": 1, "list": [1, 2]}})
        dispatcher.utter_message(response="utter_diag", name="Ada", count=3)
        return [
            SlotSet("diag_text", "hello"),
            SlotSet("diag_number", 42, timestamp=1700000000.5),
            SlotSet("diag_list", ["a", "b"]),
            SlotSet("diag_none", None),
            Restarted(),
            AllSlotsReset(),
            ReminderScheduled(
                "EXTERNAL_diag",
                datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
                entities=REMINDER_ENTITIES,
                name="diag_reminder",
                kill_on_user_message=False,
            ),
            ReminderCancelled(
                name="diag_reminder", intent_name="EXTERNAL_diag", entities=REMINDER_ENTITIES
            ),
            ActionReverted(),
            UserUtteranceReverted(),
            ActionExecuted("action_diag_marker", policy="diag_policy", confidence=0.75),
            BotUttered(
                text="bot says hi",
                data={"buttons": [{"title": "Yes", "payload": "/affirm"}]},
                metadata={"source": "diagnostics"},
            ),
            UserUttered(
                "injected text",
                parse_data={
                    "intent": {"name": "greet", "confidence": 1.0},
                    "entities": [],
                    "text": "injected text",
                },
                input_channel="diag",
            ),
            AgentUttered(text="agent says hi", data={"k": "v"}),
            FollowupAction("action_listen"),
            ConversationPaused(),
            ConversationResumed(),
            ActiveLoop("diag_form"),
            LoopInterrupted(True),
            ActionExecutionRejected("diag_form", policy="diag_policy", confidence=0.5),
            ActiveLoop(None),
            StoryExported(),
            SessionStarted(),
        ]


class ActionEmitSessionEnded(Action):
    def name(self) -> str:
        return "action_emit_session_ended"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SessionEnded(metadata={"reason": "diag"})]


class ActionSlow(Action):
    def name(self) -> str:
        return "action_slow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await asyncio.sleep(float(os.environ.get("ACTION_SLOW_SECONDS", "5")))
        dispatcher.utter_message(text="done")
        return []


class ActionReject(Action):
    def name(self) -> str:
        return "action_reject"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        raise ActionExecutionRejection(self.name())


class ActionCrash(Action):
    def name(self) -> str:
        return "action_crash"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        raise RuntimeError("diagnostics crash")
