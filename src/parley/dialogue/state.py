"""What a policy sees of a conversation: one :class:`State` before each action.

A state holds the latest user message (its intent and entities, or its text for
end-to-end stories), the previous action, the slots that influence the conversation and
the active loop — Rasa's dialogue state, made hashable so that lookups (rules,
memoization) are dictionary hits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from parley.core.domain import Domain
from parley.core.events import ActionExecuted, Event, UserUttered
from parley.core.tracker import Tracker
from parley.dialogue.slots import Features, dialogue_slots, initial_slot_values, slot_features

ENTITY_LABEL_SEPARATOR = "#"

_STATES_KEY = "parley.dialogue.states"


@dataclass(frozen=True, slots=True)
class State:
    intent: str | None = None
    text: str | None = None
    """The user's text, for end-to-end turns given without an intent."""
    entities: frozenset[str] = frozenset()
    prev_action: str | None = None
    slots: tuple[tuple[str, Features], ...] = ()
    active_loop: str | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.intent is None
            and self.text is None
            and not self.entities
            and self.prev_action is None
            and not self.slots
            and self.active_loop is None
        )

    def describe(self) -> str:
        parts = []
        if self.intent or self.text:
            parts.append(f"user: {self.intent or repr(self.text)}")
        if self.entities:
            parts.append(f"entities: {', '.join(sorted(self.entities))}")
        if self.prev_action:
            parts.append(f"previous action: {self.prev_action}")
        if self.slots:
            parts.append(f"slots: {', '.join(name for name, _ in self.slots)}")
        if self.active_loop:
            parts.append(f"active loop: {self.active_loop}")
        return "; ".join(parts) or "(conversation start)"


class StateFeaturizer:
    """Turns trackers into state sequences, reading the domain once."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self._slots = [s for s in dialogue_slots(domain) if s.influence_conversation]
        self.influencing_slots = {slot.name: slot for slot in self._slots}
        """The slots that influence the conversation, by name."""
        self._initial_slots = initial_slot_values(domain)
        self._entities = {e.name for e in domain.entities if e.influence_conversation}
        self._intents = {intent.name: intent for intent in domain.intents}

    def tracker(self, sender_id: str, events: Iterable[Event] = ()) -> Tracker:
        return Tracker(sender_id, self._initial_slots, events)

    def state(self, tracker: Tracker) -> State:
        """The state of ``tracker`` now."""
        message = tracker.latest_message
        intent = text = None
        entities: frozenset[str] = frozenset()
        if message is not None:
            intent = message.intent_name
            use_text = tracker.use_text_for_featurization
            if intent is None or use_text:
                text = message.text
                intent = None if use_text else intent
            if intent is not None:
                entities = self._entities_for(intent, message)
        slots: list[tuple[str, Features]] = []
        values = tracker.slots
        for slot in self._slots:
            features = slot_features(slot, values.get(slot.name))
            if any(features):
                slots.append((slot.name, features))
        return State(
            intent=intent,
            text=text,
            entities=entities,
            prev_action=tracker.latest_action_name,
            slots=tuple(slots),
            active_loop=tracker.active_loop_name,
        )

    def state_entities(self, message: UserUttered) -> frozenset[str]:
        """The entity labels of a user message that count for its intent."""
        intent = message.intent_name
        return self._entities_for(intent, message) if intent else frozenset()

    def _entities_for(self, intent: str, message: UserUttered) -> frozenset[str]:
        spec = self._intents.get(intent)
        use = True if spec is None else spec.use_entities
        ignore = set(spec.ignore_entities) if spec else set()
        labels: set[str] = set()
        for entity in message.entities:
            name = entity.get("entity")
            if not isinstance(name, str) or name not in self._entities or name in ignore:
                continue
            if use is False or (isinstance(use, list) and name not in use):
                continue
            labels.add(name)
            for key in ("role", "group"):
                if entity.get(key):
                    labels.add(f"{name}{ENTITY_LABEL_SEPARATOR}{entity[key]}")
        return frozenset(labels)

    def past_states(self, tracker: Tracker) -> list[State]:
        """One state before each action of the applied events, and the current state
        last: the input a policy predicts the next action from.

        A turn predicts several times while its tracker grows; the states of the events
        seen last time are kept on the tracker and only the new events are replayed, as
        long as the events seen then are still the start of the events now (a folded
        loop turn changes them, and the states are computed afresh)."""
        events = tracker.featurized_events()
        cached = tracker.derived.get(_STATES_KEY)
        if cached is not None:
            seen, states, replay = cached
            if len(events) >= len(seen) and all(a is b for a, b in zip(seen, events, strict=False)):
                states = states[:-1]
                self._replay_into(events[len(seen) :], replay, states)
                tracker.derived[_STATES_KEY] = (events, states, replay)
                return list(states)
        replay = self.tracker(tracker.sender_id)
        states = []
        self._replay_into(events, replay, states)
        tracker.derived[_STATES_KEY] = (events, states, replay)
        return list(states)

    def _replay_into(self, events: Iterable[Event], replay: Tracker, states: list[State]) -> None:
        """Append one state before each action of ``events`` and the state after the last
        to ``states``, replaying the events on ``replay``."""
        for event in events:
            if isinstance(event, ActionExecuted):
                states.append(self.state(replay))
            replay.update(event)
        states.append(self.state(replay))

    def states_of(self, events: Iterable[Event], sender_id: str = "states") -> list[State]:
        """The states of a conversation of ``events`` (already as policies see them): one
        before each action, and the state after the last event."""
        states: list[State] = []
        self._replay_into(events, self.tracker(sender_id), states)
        return states

    def training_examples(self, events: Iterable[Event]) -> list[tuple[list[State], str]]:
        """``(states before the action, action)`` for every action in ``events`` that
        policies see (a loop's happy-path turns fold into its first run)."""
        seen = self.tracker("training", events).featurized_events()
        states = self.states_of(seen, "training")
        actions = [event for event in seen if isinstance(event, ActionExecuted)]
        return [
            (states[: index + 1], label)
            for index, action in enumerate(actions)
            if (label := action.name if action.name is not None else action.action_text) is not None
        ]
