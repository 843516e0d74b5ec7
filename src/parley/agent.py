"""The agent: one loaded model answering messages (DESIGN §3, one message turn).

``Agent.handle(UserMessage)`` locks the conversation, loads its events, starts a session
when there is none or the last one expired, parses the text (or reads a ``/intent{...}``
payload), fills slots by their mappings, then predicts and runs actions until the bot
listens, appends the new events to the tracker store, and returns the bot's messages.
The ports (tracker store, lock store, action client, clock) come from the caller; the
in-memory ones are the default, so the agent works as a library without a server.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from parley.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    BotUttered,
    Event,
    LoopInterrupted,
    UserUttered,
)
from parley.core.messages import BotMessage, ParseResult, UserMessage
from parley.core.ports import ActionClient, Clock, LockStore, TrackerStore
from parley.core.stores import InMemoryLockStore, InMemoryTrackerStore, SystemClock
from parley.core.tracker import ACTION_LISTEN, ACTION_SESSION_START, Tracker
from parley.dialogue.action_lookup import ActionLookup
from parley.dialogue.actions import (
    ACTION_EXTRACT_SLOTS,
    ActionContext,
    default_fallback,
)
from parley.dialogue.dialogue_model import DialogueModel
from parley.dialogue.domain_json import domain_json
from parley.dialogue.policy import Prediction
from parley.dialogue.responses import ResponseGenerator
from parley.errors import ActionError, ActionRejectedError, ServiceError

logger = logging.getLogger(__name__)

KEPT_TRACKERS = 1_000
"""Trackers of recent conversations kept between their turns."""

MAX_PREDICTIONS = 10
"""Actions per turn before the agent stops predicting (a loop in the stories, usually)."""

Parser = Callable[[str], ParseResult]

_LAST_ACTIONS = frozenset({ACTION_LISTEN, ACTION_SESSION_START})
"""After these the bot waits for the user (Rasa's ``should_predict_another_action``): a
session start ends with ``action_listen`` among its own events."""

_PAYLOAD = re.compile(
    r"^/(?P<intent>[^{@\s]+)(?:@(?P<confidence>[0-9.]+))?(?P<entities>\{.*\})?$", re.S
)


def parse_payload(text: str) -> dict[str, Any] | None:
    """Rasa's ``/intent{"entity": "value"}`` shortcut (button payloads) as parse JSON, or
    None when ``text`` is not one."""
    match = _PAYLOAD.match(text.strip())
    if match is None:
        return None
    confidence = 1.0
    if match.group("confidence"):
        try:
            confidence = min(max(float(match.group("confidence")), 0.0), 1.0)
        except ValueError:
            return None
    entities: list[dict[str, Any]] = []
    raw = match.group("entities")
    if raw:
        try:
            given = json.loads(raw)
        except json.JSONDecodeError:
            return None
        if not isinstance(given, dict):
            return None
        start = match.start("entities")
        for name, value in given.items():
            for item in value if isinstance(value, list) else [value]:
                entities.append(
                    {"entity": name, "value": item, "start": start, "end": start + len(raw)}
                )
    intent = {"name": match.group("intent"), "confidence": confidence}
    return {"text": text, "intent": intent, "entities": entities, "intent_ranking": [intent]}


def _continues(kept: Sequence[Event], stored: Sequence[Event]) -> bool:
    """Whether ``stored`` is ``kept`` and then more. The store hands back equal events, not
    the same objects, so the ends are compared: whatever else writes to a conversation
    (another process, the API's event route) adds events, which shows in the last one."""
    if not kept:
        return not stored
    count = len(kept)
    return len(stored) >= count and stored[count - 1] == kept[-1] and stored[0] == kept[0]


@dataclass
class TurnResult:
    events: list[Event] = field(default_factory=list)

    @property
    def bot_events(self) -> list[BotUttered]:
        return [e for e in self.events if isinstance(e, BotUttered)]


class Agent:
    def __init__(
        self,
        dialogue: DialogueModel,
        parse: Parser | None = None,
        *,
        tracker_store: TrackerStore | None = None,
        lock_store: LockStore | None = None,
        action_client: ActionClient | None = None,
        clock: Clock | None = None,
        model_id: str | None = None,
        response_seed: int | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.domain = dialogue.domain
        self._parse = parse
        self.tracker_store: TrackerStore = tracker_store or InMemoryTrackerStore()
        self.lock_store: LockStore = lock_store or InMemoryLockStore()
        self.action_client = action_client
        self.clock: Clock = clock or SystemClock()
        self.model_id = model_id
        self.actions = ActionLookup(self.domain)
        self.responses = ResponseGenerator(self.domain, seed=response_seed)
        self._domain_document = domain_json(self.domain)
        self._kept: OrderedDict[str, Tracker] = OrderedDict()
        self._kept_guard = threading.Lock()

    # -- the turn ------------------------------------------------------------------------

    def handle(self, message: UserMessage) -> list[BotMessage]:
        """Answer one user message: the bot's messages, after the turn's events are stored."""
        result = self.handle_turn(message)
        return [self.bot_message(message.sender_id, e) for e in result.bot_events]

    def handle_turn(self, message: UserMessage) -> TurnResult:
        return self._user_turn(message, respond=True)

    def log_message(self, message: UserMessage) -> TurnResult:
        """Add the user's message to the conversation (parsed, slots filled by their
        mappings) without predicting an answer: Rasa's ``POST /conversations/{id}/messages``."""
        return self._user_turn(message, respond=False)

    def _user_turn(self, message: UserMessage, *, respond: bool) -> TurnResult:
        with self._turn(message.sender_id, message.input_channel, message.metadata) as (
            tracker,
            result,
            context,
        ):
            self._log(tracker, result, self.user_event(message))
            # A paused conversation (a human took over) only logs the message; `/restart`
            # still restarts it, as in Rasa.
            if not tracker.paused or tracker.intent_name == "restart":
                self._log_all(
                    tracker, result, self.actions.get(ACTION_EXTRACT_SLOTS).run(tracker, context)
                )
                if respond:
                    self._predict_and_run(tracker, result, context)
            return result

    def execute(self, sender_id: str, action: str, *, channel: str | None = None) -> TurnResult:
        """Run ``action`` now (Rasa's ``/execute``), then predict as after any action."""
        with self._turn(sender_id, channel, {}) as (tracker, result, context):
            if (
                self._run(tracker, result, context, action, None) == "ran"
                and action not in _LAST_ACTIONS
            ):
                self._predict_and_run(tracker, result, context)
            return result

    @contextmanager
    def _turn(
        self, sender_id: str, channel: str | None, metadata: dict[str, Any]
    ) -> Iterator[tuple[Tracker, TurnResult, ActionContext]]:
        """One turn of a conversation: locked, its tracker loaded and a session started
        when due; the turn's events are appended to the store when the body is done."""
        with self.lock_store.lock(sender_id):
            tracker = self._turn_tracker(sender_id)
            result = TurnResult()
            context = self.action_context(channel, metadata)
            self._start_session_if_due(tracker, result, context)
            yield tracker, result, context
            self.tracker_store.append(sender_id, result.events, model_id=self.model_id)
            self._keep(tracker)

    def tracker(self, sender_id: str) -> Tracker:
        return self.dialogue.tracker(sender_id, self.tracker_store.retrieve(sender_id))

    def _turn_tracker(self, sender_id: str) -> Tracker:
        """The conversation's tracker for a turn: the one the previous turn ended with,
        brought up to date, when the stored events still begin with its events (nothing
        else changed them); else rebuilt from the events. Rebuilding replays the whole
        session, and the policies' states with it, on every turn."""
        events = self.tracker_store.retrieve(sender_id)
        with self._kept_guard:
            kept = self._kept.pop(sender_id, None)
        if kept is not None and _continues(kept.events, events):
            for event in events[len(kept.events) :]:
                kept.update(event)
            return kept
        return self.dialogue.tracker(sender_id, events)

    def _keep(self, tracker: Tracker) -> None:
        # Only once its turn is stored: a failed turn's tracker holds events that are not.
        with self._kept_guard:
            self._kept[tracker.sender_id] = tracker
            if len(self._kept) > KEPT_TRACKERS:
                self._kept.popitem(last=False)

    def predict(self, tracker: Tracker) -> Prediction | None:
        return self.dialogue.predict(tracker)

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's parse JSON for ``text`` (``/intent`` payloads are read, not parsed)."""
        payload = parse_payload(text)
        if payload is not None:
            return payload
        if self._parse is None:
            return {"text": text, "intent": {"name": None, "confidence": 0.0}, "entities": []}
        return self._parse(text).to_rasa()

    def user_event(self, message: UserMessage) -> UserUttered:
        text = message.text or ""
        parse_data = dict(message.parse_data) if message.parse_data else self.parse(text)
        message_id = message.message_id or uuid.uuid4().hex
        parse_data["message_id"] = message_id
        parse_data["metadata"] = message.metadata
        parse_data.setdefault("text", text)
        return UserUttered(
            text=text,
            parse_data=parse_data,
            input_channel=message.input_channel,
            message_id=message_id,
            metadata=dict(message.metadata),
            timestamp=self.clock.now(),
        )

    def action_context(
        self, channel: str | None, metadata: dict[str, Any] | None = None
    ) -> ActionContext:
        return ActionContext(
            domain=self.domain,
            responses=self.responses,
            action_client=self.action_client,
            channel=channel,
            extra={"session_metadata": metadata or {}},
            domain_document=self._domain_document,
        )

    def bot_message(self, sender_id: str, event: BotUttered) -> BotMessage:
        message = event.message()
        return BotMessage.model_validate({"recipient_id": sender_id, **message})

    # -- steps ---------------------------------------------------------------------------

    def _log(self, tracker: Tracker, result: TurnResult, event: Event) -> None:
        tracker.update(event)
        result.events.append(event)

    def _log_all(self, tracker: Tracker, result: TurnResult, events: Sequence[Event]) -> None:
        for event in events:
            self._log(tracker, result, event)

    def session_expired(self, tracker: Tracker) -> bool:
        if not tracker.events:
            return True
        minutes = self.domain.session_config.session_expiration_time
        if minutes <= 0:
            return False
        last_user = next((e for e in reversed(tracker.events) if isinstance(e, UserUttered)), None)
        if last_user is None:
            return False
        return self.clock.now() - last_user.timestamp > minutes * 60

    def _start_session_if_due(
        self, tracker: Tracker, result: TurnResult, context: ActionContext
    ) -> None:
        if self.session_expired(tracker):
            self._run(tracker, result, context, ACTION_SESSION_START, None)

    def _predict_and_run(
        self, tracker: Tracker, result: TurnResult, context: ActionContext
    ) -> None:
        rejected: str | None = None
        for _ in range(MAX_PREDICTIONS):
            followup = tracker.followup_action
            prediction: Prediction | None = None
            if followup is not None:
                name = followup
            else:
                prediction = self._predict(tracker, rejected)
                name = prediction.action if prediction else ACTION_LISTEN
            if prediction is not None:
                self._log_all(tracker, result, prediction.events)
            loop = tracker.active_loop
            if (
                loop is not None
                and loop.rejected
                and loop.validate
                and name not in {loop.name, ACTION_LISTEN}
            ):
                # The user left the form's happy path: when it runs again it asks again
                # instead of validating the message that interrupted it.
                self._log(tracker, result, LoopInterrupted(is_interrupted=True))
            outcome = self._run(tracker, result, context, name, prediction)
            if outcome == "failed" or (outcome == "ran" and name in _LAST_ACTIONS):
                return
            rejected = name if outcome == "rejected" else None
        logger.warning(
            "%s: stopped after %d actions in one turn without listening; check the stories "
            "and rules for a loop",
            tracker.sender_id,
            MAX_PREDICTIONS,
        )

    def _predict(self, tracker: Tracker, rejected: str | None) -> Prediction | None:
        """The next action; right after ``rejected`` was rejected, the best prediction
        of another action (as Rasa's ensemble excludes a rejected action), or None (the
        bot listens) when no policy has another one."""
        excluded = frozenset() if rejected is None else frozenset({rejected})
        return self.dialogue.predict(tracker, excluded=excluded)

    def _run(
        self,
        tracker: Tracker,
        result: TurnResult,
        context: ActionContext,
        name: str,
        prediction: Prediction | None,
    ) -> str:
        """Run one action and log it: ``ran``, ``rejected`` (predict another action), or
        ``failed`` (the user got the fallback message and the bot listens)."""
        policy = prediction.policy if prediction else None
        confidence = prediction.confidence if prediction else None
        try:
            action = self.actions.get(name)
            events = action.run(tracker, context)
        except ActionRejectedError as rejection:
            logger.info("%s: %s", tracker.sender_id, rejection)
            self._log(
                tracker,
                result,
                ActionExecutionRejected(name=name, policy=policy, confidence=confidence),
            )
            return "rejected"
        except (ServiceError, ActionError) as error:
            logger.error("%s: action %s failed: %s", tracker.sender_id, name, error)
            said = default_fallback(tracker, context)
            failed: list[Event] = []
            if name != tracker.active_loop_name:
                # Not for the active loop: it did not refuse the message (its action server
                # failed), so it stays unrejected and takes the user's next message.
                failed.append(
                    ActionExecutionRejected(name=name, policy=policy, confidence=confidence)
                )
            # The bot spoke, so it listens again (also when its latest action, before the
            # user's message, was a listen).
            failed += [said, ActionExecuted(name=ACTION_LISTEN)]
            self._log_all(tracker, result, failed)
            return "failed"
        executed = action.executed_event(policy, confidence)
        self._log(tracker, result, executed)
        self._log_all(tracker, result, events)
        return "ran"
