"""A conversation's state, derived from its events alone (pure, no I/O).

Events are applied in order. ``restart`` and ``session_started`` reset the state; ``rewind``
(forget the last user message) and ``undo`` (forget the last action) remove events from the
*applied* ones, and the state is rebuilt from what is left — as Rasa's tracker does, so a
conversation replays to the same state in either system.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parley.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserFeaturization,
    UserUtteranceReverted,
    UserUttered,
)

ACTION_LISTEN = "action_listen"
ACTION_SESSION_START = "action_session_start"
REQUESTED_SLOT = "requested_slot"


@dataclass
class LoopState:
    """The active loop (form) and how its last run went."""

    name: str
    validate: bool = True
    """False after the user interrupted the loop: its next run does not validate."""
    rejected: bool = False
    """True when its last run was rejected (it could not use the user's message)."""
    trigger_message: dict[str, Any] = field(default_factory=dict)

    def to_rasa(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "is_interrupted": not self.validate,
            "rejected": self.rejected,
            "trigger_message": self.trigger_message,
        }


@dataclass
class _State:
    slots: dict[str, Any]
    latest_message: UserUttered | None = None
    latest_bot_utterance: BotUttered | None = None
    latest_action: dict[str, str] = field(default_factory=dict)
    active_loop: LoopState | None = None
    followup_action: str | None = None
    paused: bool = False
    use_text_for_featurization: bool | None = None


class Tracker:
    """The event log of one conversation and the state it adds up to.

    ``initial_slots`` are the domain's slots with their initial values; slot events for
    names outside it are kept in the log but change no state (as in Rasa).
    """

    def __init__(
        self,
        sender_id: str,
        initial_slots: Mapping[str, Any],
        events: Iterable[Event] = (),
    ) -> None:
        self.sender_id = sender_id
        self._initial_slots = dict(initial_slots)
        self.events: list[Event] = []
        self._applied: list[Event] = []
        self._loops: set[str] = set()
        """Every loop an ``active_loop`` event ever named (see :func:`collapse_loops`)."""
        self._state = self._fresh_state()
        self.derived: dict[str, Any] = {}
        """What readers of this tracker computed from its events and may reuse as it grows
        (policies keep their states here); :meth:`copy` starts without it."""
        for event in events:
            self.update(event)

    # -- building ----------------------------------------------------------------------

    def _fresh_state(self) -> _State:
        # As Rasa's tracker reset: nothing happened yet, so the bot would listen.
        return _State(slots=copy.deepcopy(self._initial_slots), followup_action=ACTION_LISTEN)

    def update(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, ActiveLoop) and event.name:
            self._loops.add(event.name)
        if isinstance(event, Restarted | SessionStarted):
            self._applied = []
        elif isinstance(event, ActionReverted):
            self._undo_till(ActionExecuted)
            self._replay()
            return
        elif isinstance(event, UserUtteranceReverted):
            # A user message always follows an action_listen: forget both.
            self._undo_till(UserUttered)
            self._undo_till(ActionExecuted)
            self._replay()
            return
        else:
            self._applied.append(event)
        self._apply(event)

    def extend(self, events: Iterable[Event]) -> None:
        for event in events:
            self.update(event)

    def _undo_till(self, kind: type[Event]) -> None:
        while self._applied:
            if isinstance(self._applied.pop(), kind):
                return

    def _replay(self) -> None:
        self._state = self._fresh_state()
        for event in self._applied:
            self._apply(event)

    def _apply(self, event: Event) -> None:
        state = self._state
        if isinstance(event, UserUttered):
            state.latest_message = event
            state.followup_action = None
            state.use_text_for_featurization = None
        elif isinstance(event, BotUttered):
            state.latest_bot_utterance = event
        elif isinstance(event, ActionExecuted):
            state.latest_action = (
                {"action_name": event.name}
                if event.name is not None
                else {"action_text": event.action_text or ""}
            )
            state.followup_action = None
        elif isinstance(event, SlotSet):
            if event.name in state.slots:
                state.slots[event.name] = event.value
        elif isinstance(event, AllSlotsReset):
            state.slots = copy.deepcopy(self._initial_slots)
        elif isinstance(event, Restarted):
            self._state = self._fresh_state()
            self._state.followup_action = ACTION_SESSION_START
        elif isinstance(event, SessionStarted):
            self._state = self._fresh_state()
        elif isinstance(event, ActiveLoop):
            state.active_loop = (
                LoopState(name=event.name, trigger_message=self.latest_parse_data())
                if event.name
                else None
            )
        elif isinstance(event, LoopInterrupted):
            if state.active_loop is not None:
                state.active_loop.validate = not event.is_interrupted
        elif isinstance(event, ActionExecutionRejected):
            if state.active_loop is not None and state.active_loop.name == event.name:
                state.active_loop.rejected = True
        elif isinstance(event, FollowupAction):
            state.followup_action = event.name
        elif isinstance(event, ConversationPaused):
            state.paused = True
        elif isinstance(event, ConversationResumed):
            state.paused = False
        elif isinstance(event, EntitiesAdded):
            if state.latest_message is not None and self.latest_action_name == ACTION_LISTEN:
                known = state.latest_message.entities
                added = [e for e in event.entities if e not in known]
                if added:
                    parse_data = dict(state.latest_message.parse_data)
                    parse_data["entities"] = [*known, *added]
                    state.latest_message = dataclasses.replace(
                        state.latest_message, parse_data=parse_data
                    )
        elif isinstance(event, UserFeaturization) and self.latest_action_name == ACTION_LISTEN:
            state.use_text_for_featurization = event.use_text_for_featurization
        loop = state.active_loop
        if isinstance(event, ActionExecuted) and loop is not None and event.name == loop.name:
            # A loop that ran again is no longer rejected, and validates again.
            loop.rejected = False
            loop.validate = True

    # -- reading -----------------------------------------------------------------------

    @property
    def slots(self) -> dict[str, Any]:
        return self._state.slots

    def get_slot(self, name: str) -> Any:
        return self._state.slots.get(name)

    @property
    def latest_message(self) -> UserUttered | None:
        return self._state.latest_message

    @property
    def latest_bot_utterance(self) -> BotUttered | None:
        return self._state.latest_bot_utterance

    @property
    def latest_action(self) -> dict[str, str]:
        return self._state.latest_action

    @property
    def latest_action_name(self) -> str | None:
        action = self._state.latest_action
        return action.get("action_name") or action.get("action_text")

    @property
    def active_loop(self) -> LoopState | None:
        return self._state.active_loop

    @property
    def active_loop_name(self) -> str | None:
        loop = self._state.active_loop
        return loop.name if loop else None

    @property
    def followup_action(self) -> str | None:
        return self._state.followup_action

    @property
    def use_text_for_featurization(self) -> bool | None:
        """Whether the latest user message was read by its text (end-to-end); None when
        no policy said."""
        return self._state.use_text_for_featurization

    @property
    def paused(self) -> bool:
        return self._state.paused

    @property
    def intent_name(self) -> str | None:
        message = self._state.latest_message
        return message.intent_name if message else None

    def applied_events(self) -> list[Event]:
        """The events that make up the state: after the last restart or session start,
        without the reverted ones."""
        return list(self._applied)

    def applied(self) -> Iterator[Event]:
        return iter(self._applied)

    def featurized_events(self) -> list[Event]:
        """The applied events with a loop's happy-path turns folded into its first run:
        what policies read (see :func:`collapse_loops`)."""
        return collapse_loops(self._applied, self._loops)

    def latest_parse_data(self) -> dict[str, Any]:
        message = self._state.latest_message
        # Rasa's tracker holds an empty user message until the first one.
        return (message or UserUttered(timestamp=0.0)).rasa_parse_data

    def latest_entity_values(
        self, entity: str, role: str | None = None, group: str | None = None
    ) -> list[Any]:
        message = self._state.latest_message
        if message is None:
            return []
        return [
            e.get("value")
            for e in message.entities
            if e.get("entity") == entity and e.get("role") == role and e.get("group") == group
        ]

    def last_event_time(self) -> float | None:
        return self.events[-1].timestamp if self.events else None

    def latest_input_channel(self) -> str | None:
        # Of every event, as Rasa and rasa-sdk read it (a restart does not forget it).
        for event in reversed(self.events):
            if isinstance(event, UserUttered):
                return event.input_channel
        return None

    def copy(self) -> Tracker:
        """An independent tracker in the same state, without replaying the events."""
        twin = Tracker(self.sender_id, self._initial_slots)
        twin.events = list(self.events)
        twin._applied = list(self._applied)
        twin._loops = set(self._loops)
        state = self._state
        twin._state = dataclasses.replace(
            state,
            slots=copy.deepcopy(state.slots),
            latest_action=dict(state.latest_action),
            active_loop=dataclasses.replace(state.active_loop) if state.active_loop else None,
        )
        return twin

    def events_after_latest_restart(self) -> list[Event]:
        """Every event after the latest ``restart`` (reverted ones and session starts
        included), as Rasa's ``EventVerbosity.AFTER_RESTART``."""
        for index in range(len(self.events) - 1, -1, -1):
            if isinstance(self.events[index], Restarted):
                return self.events[index + 1 :]
        return list(self.events)

    def to_rasa(self, *, events: str = "all") -> dict[str, Any]:
        """Rasa's tracker JSON (``current_state``). ``events`` is Rasa's event verbosity:
        ``all``, ``after_restart`` (every event after the latest restart), ``applied``
        (the events that make up the state) or ``none`` (``"events": null``)."""
        if events == "all":
            chosen: list[Event] = self.events
        elif events == "after_restart":
            chosen = self.events_after_latest_restart()
        elif events == "applied":
            chosen = self._applied
        elif events == "none":
            chosen = []
        else:
            raise ValueError(
                f"unknown events verbosity {events!r}; valid: all, after_restart, applied, none"
            )
        loop = self._state.active_loop
        return {
            "sender_id": self.sender_id,
            "slots": copy.deepcopy(self._state.slots),
            "latest_message": self.latest_parse_data(),
            "latest_event_time": self.last_event_time(),
            "followup_action": self._state.followup_action,
            "paused": self._state.paused,
            "events": [event.to_rasa() for event in chosen] if events != "none" else None,
            "latest_input_channel": self.latest_input_channel(),
            "active_loop": loop.to_rasa() if loop else {},
            "latest_action": dict(self._state.latest_action),
            "latest_action_name": self.latest_action_name,
        }


def collapse_loops(applied: Sequence[Event], loops: Collection[str] | None = None) -> list[Event]:
    """The applied events as policies see them: the turns a loop (form) runs through on its
    happy path fold into its first run, as in Rasa's ``applied_events``.

    When a loop runs again right after a user message that it handled (no other action in
    between, no rejection), the user message and actions since its previous run are
    dropped and the run itself is not repeated; slot events stay. A conversation that
    fills a form over five turns then reads like a story that shows the form once
    (``- action: my_form`` / ``- active_loop: my_form`` / ``- active_loop: null``), so stories
    written that way match live conversations. ``loops`` are the loop names (default: every
    name an ``active_loop`` event of ``applied`` gives).
    """
    if loops is None:
        loops = {event.name for event in applied if isinstance(event, ActiveLoop) and event.name}
    if not loops:
        return list(applied)
    kept: list[Event] = []
    for event in applied:
        name = event.name if isinstance(event, ActionExecuted) else None
        if name is not None and name in loops and not _first_run_or_unhappy(name, kept):
            _undo_till_previous_run(name, kept)
        else:
            kept.append(event)
    return kept


def _first_run_or_unhappy(loop: str, kept: Sequence[Event]) -> bool:
    next_action: str | None = None
    for event in reversed(kept):
        # A deactivation before any earlier run: this is the loop's first run.
        if isinstance(event, ActiveLoop) and event.name is None:
            return True
        rejected = isinstance(event, ActionExecutionRejected) and event.name == loop
        # Stories have no rejections: another action after the latest user message
        # shows the unhappy path there.
        other_action = (
            isinstance(event, UserUttered) and next_action is not None and next_action != loop
        )
        if rejected or other_action:
            return True
        if isinstance(event, ActionExecuted):
            if event.name == loop:
                return False
            next_action = event.name or event.action_text
    return True


def _undo_till_previous_run(loop: str, kept: list[Event]) -> None:
    """Drop the actions and user messages since the loop's previous run (other events,
    slots above all, stay)."""
    index = len(kept) - 1
    while index >= 0:
        event = kept[index]
        if isinstance(event, ActionExecuted) and event.name == loop:
            return
        if isinstance(event, ActionExecuted | UserUttered | UserFeaturization):
            del kept[index]
        index -= 1
