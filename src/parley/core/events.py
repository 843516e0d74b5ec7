"""Events: everything that happens in a conversation, as an append-only log.

A tracker's state (slots, active loop, latest message…) is derived from its events alone.
Each event type reads and writes exactly the JSON Rasa uses for it (``{"event": "slot",
"name": …, "value": …, "timestamp": …}``), so action servers, Rasa X exports and other tools
read Parley's conversations as they read Rasa's. ``event_from_rasa`` refuses an unknown
``event`` name with the list of valid ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from parley.errors import EventError


def _now() -> float:
    return time.time()


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event. ``type_name`` is the ``event`` field of the JSON."""

    type_name: ClassVar[str] = ""
    always_metadata: ClassVar[bool] = False
    """Rasa writes ``metadata`` of user and bot events even when it is empty."""
    timestamp: float = field(default_factory=_now)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_rasa(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event": self.type_name, "timestamp": self.timestamp}
        if self.metadata or self.always_metadata:
            data["metadata"] = self.metadata
        data.update(self._fields())
        return data

    def _fields(self) -> dict[str, Any]:
        return {}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        return cls(**base)


@dataclass(frozen=True, kw_only=True)
class UserUttered(Event):
    """The user said something; ``parse_data`` is what NLU made of it (Rasa's JSON)."""

    type_name: ClassVar[str] = "user"
    always_metadata: ClassVar[bool] = True
    text: str | None = None
    parse_data: dict[str, Any] = field(default_factory=dict)
    input_channel: str | None = None
    message_id: str | None = None

    @property
    def intent_name(self) -> str | None:
        intent = self.parse_data.get("intent") or {}
        name = intent.get("name") if isinstance(intent, dict) else None
        return name if isinstance(name, str) else None

    @property
    def intent_confidence(self) -> float:
        intent = self.parse_data.get("intent") or {}
        value = intent.get("confidence") if isinstance(intent, dict) else None
        return float(value) if isinstance(value, int | float) else 0.0

    @property
    def entities(self) -> list[dict[str, Any]]:
        found = self.parse_data.get("entities") or []
        return [entity for entity in found if isinstance(entity, dict)]

    @property
    def rasa_parse_data(self) -> dict[str, Any]:
        """``parse_data`` as Rasa writes it: ``intent``, ``entities``, ``text``,
        ``message_id`` and ``metadata`` are always there (from the event's own fields
        when NLU's result lacks them)."""
        return {
            "intent": {},
            "entities": [],
            "text": self.text,
            "message_id": self.message_id,
            "metadata": self.metadata,
            **self.parse_data,
        }

    def _fields(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "parse_data": self.rasa_parse_data,
            "input_channel": self.input_channel,
            "message_id": self.message_id,
        }

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        parse_data = data.get("parse_data") or {}
        if not isinstance(parse_data, dict):
            raise EventError("a `user` event's `parse_data` must be an object")
        return cls(
            **base,
            text=_optional_str(data, "text"),
            parse_data=parse_data,
            input_channel=_optional_str(data, "input_channel"),
            message_id=_optional_str(data, "message_id"),
        )


@dataclass(frozen=True, kw_only=True)
class BotUttered(Event):
    """The bot said something; ``data`` holds buttons, image, custom payload…"""

    type_name: ClassVar[str] = "bot"
    always_metadata: ClassVar[bool] = True
    text: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def _fields(self) -> dict[str, Any]:
        return {"text": self.text, "data": self.data}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        payload = data.get("data") or {}
        if not isinstance(payload, dict):
            raise EventError("a `bot` event's `data` must be an object")
        return cls(**base, text=_optional_str(data, "text"), data=payload)

    def message(self) -> dict[str, Any]:
        """What a channel sends: the text and the rich parts that are set."""
        out: dict[str, Any] = {k: v for k, v in self.data.items() if v is not None}
        if self.text is not None:
            out["text"] = self.text
        return out


@dataclass(frozen=True, kw_only=True)
class ActionExecuted(Event):
    """An action ran (``action_listen`` means the bot waits for the user)."""

    type_name: ClassVar[str] = "action"
    name: str | None = None
    policy: str | None = None
    confidence: float | None = None
    action_text: str | None = None
    """The bot text of an end-to-end story step, instead of a name."""
    hide_rule_turn: bool = False

    def _fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "policy": self.policy,
            "confidence": self.confidence,
            "action_text": self.action_text,
            "hide_rule_turn": self.hide_rule_turn,
        }

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        name = _optional_str(data, "name")
        action_text = _optional_str(data, "action_text")
        if name is None and action_text is None:
            raise EventError("an `action` event needs `name` (or `action_text`)")
        return cls(
            **base,
            name=name,
            policy=_optional_str(data, "policy"),
            confidence=_optional_float(data, "confidence"),
            action_text=action_text,
            hide_rule_turn=bool(data.get("hide_rule_turn", False)),
        )


@dataclass(frozen=True, kw_only=True)
class SlotSet(Event):
    type_name: ClassVar[str] = "slot"
    name: str
    value: Any = None

    def _fields(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        return cls(**base, name=_required_str(data, "name"), value=data.get("value"))


@dataclass(frozen=True, kw_only=True)
class ActiveLoop(Event):
    """A loop (form) became active; ``name`` None ends the active one."""

    type_name: ClassVar[str] = "active_loop"
    name: str | None = None

    def _fields(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        return cls(**base, name=_optional_str(data, "name"))


@dataclass(frozen=True, kw_only=True)
class LoopInterrupted(Event):
    """The user left the active loop's happy path (its next run skips validation)."""

    type_name: ClassVar[str] = "loop_interrupted"
    is_interrupted: bool = True

    def _fields(self) -> dict[str, Any]:
        return {"is_interrupted": self.is_interrupted}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        return cls(**base, is_interrupted=bool(data.get("is_interrupted", False)))


@dataclass(frozen=True, kw_only=True)
class ActionExecutionRejected(Event):
    """An action refused to run (a form that could not fill its requested slot)."""

    type_name: ClassVar[str] = "action_execution_rejected"
    name: str
    policy: str | None = None
    confidence: float | None = None

    def _fields(self) -> dict[str, Any]:
        return {"name": self.name, "policy": self.policy, "confidence": self.confidence}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        return cls(
            **base,
            name=_required_str(data, "name"),
            policy=_optional_str(data, "policy"),
            confidence=_optional_float(data, "confidence"),
        )


@dataclass(frozen=True, kw_only=True)
class FollowupAction(Event):
    """Run this action next, whatever the policies say."""

    type_name: ClassVar[str] = "followup"
    name: str

    def _fields(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        return cls(**base, name=_required_str(data, "name"))


@dataclass(frozen=True, kw_only=True)
class AllSlotsReset(Event):
    type_name: ClassVar[str] = "reset_slots"


@dataclass(frozen=True, kw_only=True)
class Restarted(Event):
    """The conversation starts over: everything before is forgotten."""

    type_name: ClassVar[str] = "restart"


@dataclass(frozen=True, kw_only=True)
class UserUtteranceReverted(Event):
    """Forget the last user message and everything after it (Rasa's ``rewind``)."""

    type_name: ClassVar[str] = "rewind"


@dataclass(frozen=True, kw_only=True)
class ActionReverted(Event):
    """Forget the last action and everything after it (Rasa's ``undo``)."""

    type_name: ClassVar[str] = "undo"


@dataclass(frozen=True, kw_only=True)
class ConversationPaused(Event):
    """The bot stays silent (a human took over) until resumed."""

    type_name: ClassVar[str] = "pause"


@dataclass(frozen=True, kw_only=True)
class ConversationResumed(Event):
    type_name: ClassVar[str] = "resume"


@dataclass(frozen=True, kw_only=True)
class SessionStarted(Event):
    """A new session begins: state is reset (slots carried over are set again after it)."""

    type_name: ClassVar[str] = "session_started"


@dataclass(frozen=True, kw_only=True)
class StoryExported(Event):
    type_name: ClassVar[str] = "export"
    path: str | None = None

    def _fields(self) -> dict[str, Any]:
        # Rasa writes no `path`; it is kept only when there is one.
        return {} if self.path is None else {"path": self.path}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        return cls(**base, path=_optional_str(data, "path"))


@dataclass(frozen=True, kw_only=True)
class ReminderScheduled(Event):
    """Trigger ``intent`` at ``date_time`` (an ISO 8601 string, as Rasa writes it)."""

    type_name: ClassVar[str] = "reminder"
    intent: str
    date_time: str
    entities: Any = None
    name: str | None = None
    kill_on_user_message: bool = True

    def _fields(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "date_time": self.date_time,
            "entities": self.entities,
            "name": self.name,
            "kill_on_user_msg": self.kill_on_user_message,
        }

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        when = data.get("date_time")
        if not isinstance(when, str):
            raise EventError("a `reminder` event needs `date_time` as an ISO 8601 string")
        try:
            datetime.fromisoformat(when)
        except ValueError as error:
            raise EventError(f"a `reminder` event's `date_time` {when!r}: {error}") from None
        return cls(
            **base,
            intent=_required_str(data, "intent"),
            date_time=when,
            entities=data.get("entities"),
            name=_optional_str(data, "name"),
            kill_on_user_message=bool(data.get("kill_on_user_msg", True)),
        )


@dataclass(frozen=True, kw_only=True)
class ReminderCancelled(Event):
    type_name: ClassVar[str] = "cancel_reminder"
    name: str | None = None
    intent: str | None = None
    entities: Any = None

    def _fields(self) -> dict[str, Any]:
        # Rasa writes none of these (rasa-sdk sends them): kept only when set.
        fields = {"name": self.name, "intent": self.intent, "entities": self.entities}
        return {key: value for key, value in fields.items() if value is not None}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        return cls(
            **base,
            name=_optional_str(data, "name"),
            intent=_optional_str(data, "intent"),
            entities=data.get("entities"),
        )


@dataclass(frozen=True, kw_only=True)
class AgentUttered(Event):
    type_name: ClassVar[str] = "agent"
    text: str | None = None
    data: Any = None

    def _fields(self) -> dict[str, Any]:
        return {"text": self.text, "data": self.data}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        return cls(**base, text=_optional_str(data, "text"), data=data.get("data"))


@dataclass(frozen=True, kw_only=True)
class EntitiesAdded(Event):
    """Entities added to the latest user message after NLU."""

    type_name: ClassVar[str] = "entities"
    entities: list[dict[str, Any]] = field(default_factory=list)

    def _fields(self) -> dict[str, Any]:
        return {"entities": self.entities}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        entities = data.get("entities") or []
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise EventError("an `entities` event's `entities` must be a list of objects")
        return cls(**base, entities=entities)


@dataclass(frozen=True, kw_only=True)
class UserFeaturization(Event):
    """Whether the last user message was read by its text (end-to-end) or its intent."""

    type_name: ClassVar[str] = "user_featurization"
    use_text_for_featurization: bool = False

    def _fields(self) -> dict[str, Any]:
        return {"use_text_for_featurization": self.use_text_for_featurization}

    @classmethod
    def _from_fields(cls, data: dict[str, Any], base: dict[str, Any]) -> Event:
        return cls(**base, use_text_for_featurization=bool(data.get("use_text_for_featurization")))


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type_name: cls
    for cls in (
        UserUttered,
        BotUttered,
        ActionExecuted,
        SlotSet,
        ActiveLoop,
        LoopInterrupted,
        ActionExecutionRejected,
        FollowupAction,
        AllSlotsReset,
        Restarted,
        UserUtteranceReverted,
        ActionReverted,
        ConversationPaused,
        ConversationResumed,
        SessionStarted,
        StoryExported,
        ReminderScheduled,
        ReminderCancelled,
        AgentUttered,
        EntitiesAdded,
        UserFeaturization,
    )
}

# Events of Rasa 2.x, read as their 3.x successors so old conversations load.
_LEGACY = {"form": "active_loop", "form_validation": "loop_interrupted"}


def event_from_rasa(data: Any) -> Event:
    """The event a Rasa event JSON object describes; :class:`EventError` names what is wrong."""
    if not isinstance(data, dict):
        raise EventError(f"an event must be a JSON object, not {type(data).__name__}")
    kind = data.get("event")
    if not isinstance(kind, str):
        raise EventError("an event needs an `event` field naming its type")
    if kind in _LEGACY:
        data = dict(data)
        if kind == "form_validation":
            data["is_interrupted"] = not data.get("validate", True)
        kind = _LEGACY[kind]
    cls = EVENT_TYPES.get(kind)
    if cls is None:
        valid = ", ".join(sorted(EVENT_TYPES))
        raise EventError(f"unknown event type {kind!r}; valid types: {valid}")
    timestamp = data.get("timestamp")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise EventError(f"a `{kind}` event's `metadata` must be an object")
    base: dict[str, Any] = {"metadata": metadata}
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        base["timestamp"] = float(timestamp)
    return cls._from_fields(data, base)


def events_from_rasa(items: Any) -> list[Event]:
    if not isinstance(items, list):
        raise EventError(f"events must be a JSON list, not {type(items).__name__}")
    return [event_from_rasa(item) for item in items]


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise EventError(f"a `{data.get('event')}` event's `{key}` must be a string, not {value!r}")
    return value


def _required_str(data: dict[str, Any], key: str) -> str:
    value = _optional_str(data, key)
    if value is None:
        raise EventError(f"a `{data.get('event')}` event needs `{key}`")
    return value


def _optional_float(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EventError(f"a `{data.get('event')}` event's `{key}` must be a number")
    return float(value)
