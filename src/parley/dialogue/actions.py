"""Actions: what the bot does. The base, the responses, and Rasa's default actions.

An action reads the tracker and returns events; bot messages are ``bot`` events. The
agent logs ``action`` (ActionExecuted) before the events an action returns, as Rasa does.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from parley.core.domain import Domain
from parley.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from parley.core.ports import ActionClient
from parley.core.tracker import ACTION_LISTEN, ACTION_SESSION_START, REQUESTED_SLOT, Tracker
from parley.dialogue.domain_json import domain_json
from parley.dialogue.responses import RICH_KEYS, ResponseGenerator
from parley.dialogue.slots import SESSION_STARTED_METADATA

logger = logging.getLogger(__name__)

ACTION_RESTART = "action_restart"
ACTION_DEFAULT_FALLBACK = "action_default_fallback"
ACTION_DEACTIVATE_LOOP = "action_deactivate_loop"
ACTION_REVERT_FALLBACK_EVENTS = "action_revert_fallback_events"
ACTION_DEFAULT_ASK_AFFIRMATION = "action_default_ask_affirmation"
ACTION_DEFAULT_ASK_REPHRASE = "action_default_ask_rephrase"
ACTION_TWO_STAGE_FALLBACK = "action_two_stage_fallback"
ACTION_UNLIKELY_INTENT = "action_unlikely_intent"
ACTION_BACK = "action_back"
ACTION_EXTRACT_SLOTS = "action_extract_slots"

DEFAULT_ACTION_NAMES = (
    ACTION_LISTEN,
    ACTION_RESTART,
    ACTION_SESSION_START,
    ACTION_DEFAULT_FALLBACK,
    ACTION_DEACTIVATE_LOOP,
    ACTION_REVERT_FALLBACK_EVENTS,
    ACTION_DEFAULT_ASK_AFFIRMATION,
    ACTION_DEFAULT_ASK_REPHRASE,
    ACTION_TWO_STAGE_FALLBACK,
    ACTION_UNLIKELY_INTENT,
    ACTION_BACK,
    ACTION_EXTRACT_SLOTS,
)

DEFAULT_FALLBACK_TEXT = "Sorry, I couldn't handle that. Please try again."
"""Said when an action fails and the domain has no ``utter_default``."""


@dataclass
class ActionContext:
    """What actions need besides the tracker."""

    domain: Domain
    responses: ResponseGenerator
    action_client: ActionClient | None = None
    channel: str | None = None
    sdk_version: str = "3.6.0"
    """The Rasa version announced to action servers (rasa-sdk checks compatibility)."""
    extra: dict[str, Any] = field(default_factory=dict)
    domain_document: dict[str, Any] | None = None
    """The domain as action servers get it; computed on first use when not given (an
    agent computes it once for all its turns)."""

    @property
    def domain_json(self) -> dict[str, Any]:
        if self.domain_document is None:
            self.domain_document = domain_json(self.domain)
        return self.domain_document


class Action(ABC):
    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]: ...

    def executed_event(self, policy: str | None, confidence: float | None) -> ActionExecuted:
        return ActionExecuted(name=self.name, policy=policy, confidence=confidence)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def bot_event(message: Mapping[str, Any], *, response: str | None = None) -> BotUttered:
    """A ``bot`` event from a generated message: text, the rich parts in ``data``, the
    rest (``id``, response name…) in ``metadata``, as Rasa's ``create_bot_utterance``."""
    rest = dict(message)
    text = rest.pop("text", None)
    data = {key: rest.pop(key, None) for key in RICH_KEYS}
    metadata = dict(rest.pop("metadata", None) or {})
    metadata.update(rest)
    if response is not None:
        metadata.setdefault("utter_action", response)
    return BotUttered(text=text, data=data, metadata=metadata)


def utter(
    name: str, tracker: Tracker, context: ActionContext, /, **values: Any
) -> BotUttered | None:
    message = context.responses.generate(name, tracker.slots, context.channel, **values)
    return None if message is None else bot_event(message, response=name)


def default_fallback(tracker: Tracker, context: ActionContext) -> BotUttered:
    """What the bot says when it cannot go on: ``utter_default``, or a short apology."""
    return utter("utter_default", tracker, context) or BotUttered(text=DEFAULT_FALLBACK_TEXT)


class ResponseAction(Action):
    """Says a domain response (``utter_*``)."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        event = utter(self.name, tracker, context)
        if event is None:
            logger.warning(
                "response %s has no variation for channel %s", self.name, context.channel
            )
            return []
        return [event]


class RetrievalAction(Action):
    """``utter_faq``: says the response the response selector picked for the retrieval
    intent ``faq`` (``utter_faq/ask_price``)."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        intent = self.name.removeprefix("utter_")
        selector = tracker.latest_parse_data().get("response_selector") or {}
        prediction = selector.get(intent) or selector.get("default") or {}
        key = (prediction.get("response") or {}).get("intent_response_key")
        if not isinstance(key, str):
            logger.warning("%s: the response selector chose no response for %s", self.name, intent)
            return []
        event = utter(f"utter_{key}", tracker, context)
        return [event] if event is not None else []


class TextAction(Action):
    """An end-to-end story's bot text, said as written."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        return [BotUttered(text=self.name)]

    def executed_event(self, policy: str | None, confidence: float | None) -> ActionExecuted:
        return ActionExecuted(action_text=self.name, policy=policy, confidence=confidence)


class ActionListen(Action):
    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        return []


class ActionRestart(Action):
    """Says ``utter_restart`` if the domain has it, then restarts the conversation."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        said = utter("utter_restart", tracker, context)
        return [*([said] if said else []), Restarted()]


class ActionSessionStart(Action):
    """Starts a session: ``session_started``, the slots carried over (when the domain's
    session config says so), the session's metadata, then ``action_listen``."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        events: list[Event] = [SessionStarted()]
        if context.domain.session_config.carry_over_slots_to_new_session:
            events.extend(
                SlotSet(name=name, value=value)
                for name, value in tracker.slots.items()
                if value is not None and name not in {REQUESTED_SLOT, SESSION_STARTED_METADATA}
            )
        metadata = context.extra.get("session_metadata")
        if metadata:
            events.append(SlotSet(name=SESSION_STARTED_METADATA, value=metadata))
        events.append(ActionExecuted(name=ACTION_LISTEN))
        return events


class ActionDefaultFallback(Action):
    """Says ``utter_default`` and forgets the user message that led here."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        said = default_fallback(tracker, context)
        return [said, UserUtteranceReverted()]


class ActionDeactivateLoop(Action):
    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        return [ActiveLoop(name=None), SlotSet(name=REQUESTED_SLOT, value=None)]


class ActionBack(Action):
    """Says ``utter_back`` (if any) and takes back the user's last two messages: the
    ``/back`` itself and the one before it."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        said = utter("utter_back", tracker, context)
        return [*([said] if said else []), UserUtteranceReverted(), UserUtteranceReverted()]


class ActionUnlikelyIntent(Action):
    """Marks an unlikely intent; changes nothing (Rasa's UnexpecTED policy predicts it)."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        return []


class ActionDefaultAskAffirmation(Action):
    """Asks whether the user meant the most likely intent (two-stage fallback, stage 1):
    a button per likely intent and one for something else."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        parse = tracker.latest_parse_data()
        ranking = [
            item for item in parse.get("intent_ranking") or [] if item.get("name") != "nlu_fallback"
        ]
        intent = (ranking[0] if ranking else parse.get("intent") or {}).get("name")
        said = utter("utter_ask_affirmation", tracker, context, intent=intent) or BotUttered(
            text=f"Did you mean '{intent}'?",
            data={
                "buttons": [
                    {"title": "Yes", "payload": f"/{intent}"},
                    {"title": "No", "payload": "/out_of_scope"},
                ]
            },
        )
        return [said]


class ActionDefaultAskRephrase(Action):
    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        said = utter("utter_ask_rephrase", tracker, context)
        return [
            said
            or BotUttered(text="I'm sorry, I didn't quite understand that. Could you rephrase?")
        ]


def fallback_turns(tracker: Tracker) -> int:
    """How many of the latest user messages were answered by a fallback question (asked
    to affirm or to rephrase), counting back from the latest message."""
    count = 0
    asked = False
    for event in reversed(tracker.applied_events()):
        if isinstance(event, ActionExecuted) and event.name in FALLBACK_QUESTIONS:
            asked = True
        elif isinstance(event, UserUttered):
            if not asked and count:
                break
            count += 1
            asked = False
    return max(count - 1, 0)


def revert_fallback_turns(tracker: Tracker) -> list[Event]:
    """Take back the unclear message and the fallback questions about it, keeping the
    latest message (the one that was understood), re-logged after the rewind behind the
    ``action_listen`` it answers (as Rasa's ``_message_clarification``), so the policies
    read it as a fresh user turn."""
    taken_back = fallback_turns(tracker)
    latest = tracker.latest_message
    if not taken_back or latest is None:
        return []
    return [
        *(UserUtteranceReverted() for _ in range(taken_back + 1)),
        ActionExecuted(name=ACTION_LISTEN),
        latest,
    ]


NLU_FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"


def _latest_intents(tracker: Tracker, count: int) -> list[str | None]:
    """The intents of the latest ``count`` user messages, the newest first."""
    found: list[str | None] = []
    for event in reversed(tracker.applied_events()):
        if isinstance(event, UserUttered):
            found.append(event.intent_name)
            if len(found) == count:
                break
    return found


class ActionTwoStageFallback(Action):
    """Rasa's two-stage fallback, as a loop: ask the user to affirm the likely intent; on
    "no" (``out_of_scope``), ask to rephrase; a rephrasing that is unclear again is asked
    to be affirmed once more. A message understood at any stage replaces the unclear one
    (the fallback turns are taken back) and the conversation goes on from it. Two unclear
    messages in a row, or a "no" to the second affirmation, end it as
    ``action_default_fallback`` does: ``utter_default`` is said and the unclear exchange
    is taken back."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        activating = tracker.active_loop_name != self.name
        events: list[Event] = [ActiveLoop(name=self.name)] if activating else []
        intents = _latest_intents(tracker, 3)
        if intents and intents[0] not in {NLU_FALLBACK_INTENT, OUT_OF_SCOPE_INTENT}:
            return [*events, ActiveLoop(name=None), *revert_fallback_turns(tracker)]
        if intents[:2] == [NLU_FALLBACK_INTENT] * 2 or intents == [
            OUT_OF_SCOPE_INTENT,
            NLU_FALLBACK_INTENT,
            OUT_OF_SCOPE_INTENT,
        ]:
            # Say the default fallback and forget the whole unclear exchange, so the
            # conversation goes on from before it; the loop ends after the rewinds, which
            # would otherwise take its end back.
            said = default_fallback(tracker, context)
            taken_back = fallback_turns(tracker) + 1
            return [
                *events,
                said,
                *(UserUtteranceReverted() for _ in range(taken_back)),
                ActiveLoop(name=None),
            ]
        if activating or intents[:1] == [NLU_FALLBACK_INTENT]:
            return [
                *events,
                *ActionDefaultAskAffirmation(ACTION_DEFAULT_ASK_AFFIRMATION).run(tracker, context),
            ]
        return [
            *events,
            *ActionDefaultAskRephrase(ACTION_DEFAULT_ASK_REPHRASE).run(tracker, context),
        ]


FALLBACK_QUESTIONS = frozenset(
    {ACTION_DEFAULT_ASK_AFFIRMATION, ACTION_DEFAULT_ASK_REPHRASE, ACTION_TWO_STAGE_FALLBACK}
)


class ActionRevertFallbackEvents(Action):
    """Takes back the fallback turns once the user was understood (Rasa 2's two-stage
    fallback used it in a rule after ``action_default_ask_affirmation``)."""

    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        return revert_fallback_turns(tracker)
