"""The policy contract: from a conversation's states, which action comes next.

Like NLU components, a policy's ``__init__`` only stores its options; ``train`` learns
from conversations (stories) and rules, ``persist`` writes what it learnt as JSON / npz
into its own folder and ``load`` reads it back — nothing executable is ever stored.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from parley.core.domain import Domain
from parley.core.events import Event
from parley.core.problem import Problem, Severity
from parley.core.tracker import Tracker
from parley.dialogue.state import State, StateFeaturizer
from parley.errors import ModelError


@dataclass(frozen=True)
class Prediction:
    """A policy's answer: the action, how sure it is, and events to log before it."""

    action: str
    confidence: float
    policy: str
    priority: int
    events: tuple[Event, ...] = ()
    is_rule: bool = False


@dataclass
class TrainingData:
    """What policies learn from: stories as event runs, rules as event runs with the rule
    they came from (conversation start, condition…)."""

    stories: list[list[Event]] = field(default_factory=list)
    rules: list[tuple[bool, list[Event]]] = field(default_factory=list)
    """``(conversation_start, events)`` per rule run."""
    _story_examples: list[tuple[list[State], str]] | None = field(
        default=None, repr=False, compare=False
    )

    def story_examples(self, featurizer: StateFeaturizer) -> list[tuple[list[State], str]]:
        """Every story's ``(states, action)`` examples, featurized once for all the
        policies that learn from stories."""
        if self._story_examples is None:
            self._story_examples = [
                example
                for events in self.stories
                for example in featurizer.training_examples(events)
            ]
        return self._story_examples


@dataclass
class PolicyContext:
    """What every policy gets: the domain, a featurizer over it, and a place for
    warnings (a rule contradiction, an option Parley does not use…)."""

    domain: Domain
    featurizer: StateFeaturizer
    seed: int = 0
    problems: list[Problem] = field(default_factory=list)


class Policy(ABC):
    """Base of every dialogue policy."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    default_priority: ClassVar[int] = 1
    known_options: ClassVar[frozenset[str]] = frozenset({"priority"})
    ignored_options: ClassVar[frozenset[str]] = frozenset(
        {
            "epochs",
            "constrain_similarities",
            "model_confidence",
            "batch_size",
            "evaluate_on_number_of_examples",
            "evaluate_every_number_of_epochs",
            "number_of_transformer_layers",
            "transformer_size",
            "use_gpu",
            "featurizers",
        }
    )
    """Options of Rasa's policies (TED's TensorFlow training) accepted without a word."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options = dict(options or {})
        self.priority = int(self.options.get("priority", self.default_priority))

    def option_problems(self) -> list[Problem]:
        """A warning naming the options this policy neither uses nor knows from Rasa."""
        unknown = set(self.options) - self.known_options - self.ignored_options
        if not unknown:
            return []
        return [
            Problem(
                "policy-option-ignored",
                f"{self.name} does not use {', '.join(sorted(unknown))}; "
                f"its options are: {', '.join(sorted(self.known_options))}",
                severity=Severity.WARNING,
            )
        ]

    @abstractmethod
    def train(self, data: TrainingData, context: PolicyContext) -> None: ...

    @abstractmethod
    def predict(
        self, tracker: Tracker, states: Sequence[State], context: PolicyContext
    ) -> Prediction | None:
        """The next action for ``tracker`` (whose states are ``states``), or None when
        this policy has nothing to say."""

    @abstractmethod
    def persist(self, folder: Path) -> None: ...

    @classmethod
    @abstractmethod
    def load(cls, folder: Path, options: Mapping[str, Any]) -> Policy: ...

    def _prediction(self, action: str, confidence: float, *, is_rule: bool = False) -> Prediction:
        return Prediction(
            action=action,
            confidence=confidence,
            policy=self.name,
            priority=self.priority,
            is_rule=is_rule,
        )


def read_policy_json(path: Path) -> Any:
    """A JSON file a policy persisted; :class:`ModelError` when it is missing or damaged."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ModelError(
            f"cannot read {path.name} of a dialogue policy ({error}); train the model again"
        ) from None


def read_lookup(path: Path) -> list[tuple[list[Any], str]]:
    """A persisted lookup (rules, memoized stories): ``(states as JSON, action)`` pairs."""
    entries = read_policy_json(path)
    if not isinstance(entries, list):
        raise ModelError(f"{path.name} is not a list; train the model again")
    pairs: list[tuple[list[Any], str]] = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("action"), str):
            raise ModelError(f"{path.name} has an entry without an action; train again")
        states = entry.get("states")
        if not isinstance(states, list):
            raise ModelError(f"{path.name} has an entry without states; train again")
        pairs.append((states, entry["action"]))
    return pairs
