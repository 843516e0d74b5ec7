"""Rules: fixed behaviour (``rules:`` in the data), forms, and the fallback when no policy
is sure enough — Rasa's RulePolicy.

A rule becomes lookup keys: for each of its actions, the partial states that lead to it
(only the features the rule mentions; ``null`` slots and loops must be unset). A key
matches a conversation when its states match the conversation's last states one by one;
the longest matching key wins, and of keys as long the one fixing more features (a rule
with a slot condition over the same rule without), as Rasa's longest rule key does. An
empty state (the start of a ``conversation_start`` rule) matches only the conversation's
first state.

Before the rules come two things no rule has to spell out: the default intents
(``/restart``, ``/session_start``, ``/back``) and the active loop's happy path (a loop runs
after each user message until it is rejected, then the bot listens).
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parley.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from parley.core.problem import Problem, Severity
from parley.core.tracker import ACTION_LISTEN, Tracker
from parley.dialogue.policy import (
    Policy,
    PolicyContext,
    Prediction,
    TrainingData,
    read_lookup,
)
from parley.dialogue.slots import Features, slot_features
from parley.dialogue.state import State
from parley.errors import ModelError

NOT_SET = "__not_set__"
DEFAULT_INTENT_ACTIONS = {
    "restart": "action_restart",
    "session_start": "action_session_start",
    "back": "action_back",
}
LOOKUP_FILE = "rules.json"


@dataclass(frozen=True)
class RuleState:
    """The features a rule says about one state; None means "anything"."""

    intent: str | None = None
    entities: frozenset[str] | None = None
    text: str | None = None
    prev_action: str | None = None
    slots: tuple[tuple[str, Features | str], ...] = ()
    active_loop: str | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.intent is None
            and self.entities is None
            and self.text is None
            and self.prev_action is None
            and not self.slots
            and self.active_loop is None
        )

    @property
    def specificity(self) -> int:
        """How many features the state fixes."""
        named = (self.intent, self.text, self.prev_action, self.active_loop)
        return (
            sum(value is not None for value in named) + len(self.entities or ()) + len(self.slots)
        )

    def matches(self, state: State) -> bool:
        if self.prev_action is None or state.prev_action is None:
            # Only a conversation's first state has no previous action, and only the
            # first state of a conversation_start rule says none: such states match each
            # other whatever slots they hold (initial values, slots carried over into a
            # new session), as in Rasa.
            return self.prev_action is None and state.prev_action is None
        if self.intent is not None and self.intent != state.intent:
            return False
        if self.text is not None and self.text != state.text:
            return False
        if self.entities is not None and self.entities != state.entities:
            return False
        if self.prev_action is not None and self.prev_action != state.prev_action:
            return False
        if self.active_loop is not None:
            if self.active_loop == NOT_SET:
                if state.active_loop is not None:
                    return False
            elif self.active_loop != state.active_loop:
                return False
        if self.slots:
            present = dict(state.slots)
            for name, value in self.slots:
                if value == NOT_SET:
                    if name in present:
                        return False
                elif present.get(name) != value:
                    return False
        return True

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key in ("intent", "text", "prev_action", "active_loop"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.entities is not None:
            data["entities"] = sorted(self.entities)
        if self.slots:
            data["slots"] = {
                name: value if isinstance(value, str) else list(value) for name, value in self.slots
            }
        return data

    @classmethod
    def from_json(cls, data: Any) -> RuleState:
        if not isinstance(data, dict):
            raise ModelError("a rule state in rules.json is not an object; train again")
        slots = data.get("slots", {})
        entities = data.get("entities", [])
        texts = {key: data.get(key) for key in ("intent", "text", "prev_action", "active_loop")}
        if (
            not isinstance(slots, dict)
            or not isinstance(entities, list)
            or not all(value is None or isinstance(value, str) for value in texts.values())
        ):
            raise ModelError("a rule state in rules.json is malformed; train again")
        try:
            return cls(
                **texts,
                entities=frozenset(map(str, entities)) if "entities" in data else None,
                slots=tuple(
                    (str(name), value if isinstance(value, str) else tuple(map(float, value)))
                    for name, value in slots.items()
                ),
            )
        except (TypeError, ValueError) as error:
            raise ModelError(
                f"a rule state in rules.json is malformed ({error}); train again"
            ) from None


Key = tuple[RuleState, ...]


@dataclass
class _Partial:
    intent: str | None = None
    text: str | None = None
    entities: frozenset[str] | None = None
    prev_action: str | None = None
    slots: dict[str, Features | str] = field(default_factory=dict)
    active_loop: str | None = None

    def snapshot(self) -> RuleState:
        return RuleState(
            intent=self.intent,
            text=self.text,
            entities=self.entities,
            prev_action=self.prev_action,
            slots=tuple(sorted(self.slots.items())),
            active_loop=self.active_loop,
        )


def rule_keys(
    events: Sequence[Event], context: PolicyContext, *, conversation_start: bool
) -> list[tuple[Key, str]]:
    """The lookup entries one rule run gives: ``(partial states, action)`` per action."""
    slots = context.featurizer.influencing_slots
    partial = _Partial()
    states: list[RuleState] = []
    entries: list[tuple[Key, str]] = []
    for event in events:
        if isinstance(event, ActionExecuted):
            states.append(partial.snapshot())
            label = event.name if event.name is not None else event.action_text
            key = tuple(states) if conversation_start else tuple(states[1:])
            if label is not None and key and not all(s.is_empty for s in key):
                entries.append((key, label))
            partial.prev_action = label
        elif isinstance(event, UserUttered):
            partial.intent = event.intent_name
            partial.text = event.text if event.intent_name is None else None
            labels = context.featurizer.state_entities(event)
            partial.entities = labels if labels else None
        elif isinstance(event, SlotSet) and event.name in slots:
            if event.value is None:
                partial.slots[event.name] = NOT_SET
            else:
                features = slot_features(slots[event.name], event.value)
                if any(features):
                    partial.slots[event.name] = features
        elif isinstance(event, ActiveLoop):
            partial.active_loop = event.name or NOT_SET
    return entries


class RulePolicy(Policy):
    name = "RulePolicy"
    default_priority = 6
    known_options = frozenset(
        {
            "priority",
            "core_fallback_threshold",
            "core_fallback_action_name",
            "enable_fallback_prediction",
            "restrict_rules",
            "check_for_contradictions",
        }
    )

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.fallback_threshold = float(self.options.get("core_fallback_threshold", 0.3))
        self.fallback_action = str(
            self.options.get("core_fallback_action_name", "action_default_fallback")
        )
        self.enable_fallback = bool(self.options.get("enable_fallback_prediction", True))
        self.restrict_rules = bool(self.options.get("restrict_rules", True))
        self.lookup: dict[Key, str] = {}
        self._by_previous_action: dict[str | None, list[tuple[int, Key]]] = {}

    def train(self, data: TrainingData, context: PolicyContext) -> None:
        lookup: dict[Key, str] = {}
        for conversation_start, events in data.rules:
            if self.restrict_rules:
                users = sum(isinstance(e, UserUttered) for e in events)
                if users > 1:
                    context.problems.append(
                        Problem(
                            "rule-too-long",
                            "a rule has more than one user message; rules describe short "
                            "fixed behaviour, so write this one as a story (or set "
                            "restrict_rules: false on RulePolicy)",
                            severity=Severity.WARNING,
                        )
                    )
            for key, action in rule_keys(events, context, conversation_start=conversation_start):
                known = lookup.get(key)
                if known is not None and known != action:
                    context.problems.append(
                        Problem(
                            "rule-contradiction",
                            f"rules contradict each other: after "
                            f"{key[-1].to_json()} one predicts {known!r}, another "
                            f"{action!r}; change one of them",
                            severity=Severity.WARNING,
                        )
                    )
                    continue
                lookup[key] = action
        self.lookup = lookup
        self._index()

    def predict(
        self, tracker: Tracker, states: Sequence[State], context: PolicyContext
    ) -> Prediction | None:
        latest = tracker.latest_action_name
        if latest == ACTION_LISTEN and tracker.intent_name in DEFAULT_INTENT_ACTIONS:
            return self._prediction(DEFAULT_INTENT_ACTIONS[tracker.intent_name], 1.0, is_rule=True)
        loop = tracker.active_loop
        if loop is not None and not loop.rejected:
            action = loop.name if latest != loop.name else ACTION_LISTEN
            return self._prediction(action, 1.0, is_rule=True)
        for key in self._matching_keys(states):
            action = self.lookup[key]
            if loop is not None:
                if action == loop.name and latest == ACTION_LISTEN:
                    continue  # the loop was just rejected: something else must happen
                if action == ACTION_LISTEN and key[-1].active_loop is None:
                    # A general rule ended inside the loop: go back to the loop.
                    return self._prediction(loop.name, 1.0, is_rule=True)
            return self._prediction(action, 1.0, is_rule=True)
        if self.enable_fallback:
            return self._prediction(self.fallback_action, self.fallback_threshold)
        return None

    def _index(self) -> None:
        """Order the keys once (longest, then most specific first; ties keep the rules'
        order) and group them by the previous action their last state requires."""
        ordered = sorted(
            self.lookup, key=lambda key: (len(key), sum(s.specificity for s in key)), reverse=True
        )
        self._by_previous_action = {}
        for rank, key in enumerate(ordered):
            self._by_previous_action.setdefault(key[-1].prev_action, []).append((rank, key))

    def _matching_keys(self, states: Sequence[State]) -> Iterator[Key]:
        """The keys matching ``states``, best first; only keys whose last state allows the
        conversation's previous action are tried."""
        latest = states[-1].prev_action if states else None
        groups = [self._by_previous_action.get(latest, [])]
        if latest is not None:
            groups.append(self._by_previous_action.get(None, []))
        for _, key in heapq.merge(*groups):
            if len(key) <= len(states) and all(
                rule.matches(state)
                for rule, state in zip(reversed(key), reversed(states), strict=False)
            ):
                yield key

    def persist(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        entries = [
            {"states": [state.to_json() for state in key], "action": action}
            for key, action in self.lookup.items()
        ]
        (folder / LOOKUP_FILE).write_text(json.dumps(entries, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, options: Mapping[str, Any]) -> RulePolicy:
        policy = cls(options)
        for states, action in read_lookup(folder / LOOKUP_FILE):
            policy.lookup[tuple(RuleState.from_json(s) for s in states)] = action
        policy._index()
        return policy
