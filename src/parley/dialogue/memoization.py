"""Memoization: the stories, remembered exactly — Rasa's (Augmented)MemoizationPolicy.

Each action of each story is stored under the last ``max_history`` states before it. A
conversation whose last states are exactly those gets that action with confidence 1.
States leading to different actions in different stories are forgotten (ambiguous).
The augmented variant, when nothing matches, forgets the conversation's oldest events one
action at a time (from the last ``max_history`` turns on) and looks again, as if the
conversation had started there: slots set in the forgotten part are unset, as in Rasa.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from parley.core.events import ActionExecuted, Event
from parley.core.tracker import ACTION_LISTEN, Tracker, collapse_loops
from parley.dialogue.policy import (
    Policy,
    PolicyContext,
    Prediction,
    TrainingData,
    read_lookup,
)
from parley.dialogue.state import State
from parley.dialogue.state_json import state_from_json, state_to_json

LOOKUP_FILE = "memory.json"


class MemoizationPolicy(Policy):
    name = "MemoizationPolicy"
    default_priority = 3
    known_options = frozenset({"priority", "max_history"})
    augmented = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        history = self.options.get("max_history", 5)
        self.max_history: int | None = None if history is None else int(history)
        self.lookup: dict[tuple[State, ...], str] = {}

    def _key(self, states: Sequence[State]) -> tuple[State, ...]:
        if self.max_history is None:
            return tuple(states)
        return tuple(states[-self.max_history :])

    def train(self, data: TrainingData, context: PolicyContext) -> None:
        lookup: dict[tuple[State, ...], str] = {}
        ambiguous: set[tuple[State, ...]] = set()
        for states, action in data.story_examples(context.featurizer):
            key = self._key(states)
            if key in ambiguous:
                continue
            known = lookup.get(key)
            if known is not None and known != action:
                del lookup[key]
                ambiguous.add(key)
                continue
            lookup[key] = action
        self.lookup = lookup

    def predict(
        self, tracker: Tracker, states: Sequence[State], context: PolicyContext
    ) -> Prediction | None:
        action = self.lookup.get(self._key(states))
        if action is None and self.augmented:
            action = self._recall_truncated(tracker, states, context)
        return self._prediction(action, 1.0) if action is not None else None

    def _recall_truncated(
        self, tracker: Tracker, states: Sequence[State], context: PolicyContext
    ) -> str | None:
        """The action remembered for the conversation replayed from one of its actions on,
        from a fresh tracker; the oldest start first."""
        events = tracker.applied_events()
        first = _first_kept(events, self.max_history)
        previous = list(states)
        for start, event in enumerate(events):
            if start < first or not isinstance(event, ActionExecuted):
                continue
            # Applied events hold no restart or rewind: replaying them is folding the loops.
            truncated = context.featurizer.states_of(collapse_loops(events[start:]))
            if truncated == previous:
                continue
            action = self.lookup.get(self._key(truncated))
            if action is not None:
                return action
            previous = truncated
        return None

    def persist(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        entries = [
            {"states": [state_to_json(s) for s in key], "action": action}
            for key, action in self.lookup.items()
        ]
        (folder / LOOKUP_FILE).write_text(json.dumps(entries), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, options: Mapping[str, Any]) -> MemoizationPolicy:
        policy = cls(options)
        for states, action in read_lookup(folder / LOOKUP_FILE):
            policy.lookup[tuple(state_from_json(s) for s in states)] = action
        return policy


class AugmentedMemoizationPolicy(MemoizationPolicy):
    name = "AugmentedMemoizationPolicy"
    augmented = True


def _first_kept(events: Sequence[Event], max_history: int | None) -> int:
    """Where the last ``max_history`` actions begin, moved back to the ``action_listen``
    before them so that the latest user message stays (Rasa's trimming)."""
    if not max_history:
        return 0
    actions = 0
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, ActionExecuted):
            actions += 1
            if actions > max_history and event.name == ACTION_LISTEN:
                return index
    return 0
