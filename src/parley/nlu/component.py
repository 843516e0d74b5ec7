"""The component contract every NLU building block follows.

scikit-learn's habit: ``__init__`` only stores the (validated) config; ``train`` learns from
the training data; ``process`` annotates one message. A trained component writes what it
learned to its own :class:`~parley.nlu.resource.Resource` with ``persist``, and a model is
brought back with the class method ``load`` — creating and loading are separate paths.

Components declare what they ``require`` and ``provide`` (the capabilities below), so the
pipeline can tell a user which component is missing before training starts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from parley.core.ports import Duckling, SentenceEncoder
from parley.core.problem import Problem, Severity
from parley.core.suggestion import did_you_mean
from parley.core.training_data import NLUData
from parley.errors import ProjectError
from parley.nlu.message import Message
from parley.nlu.resource import Resource

# Capabilities: what a component adds to a message, and what another one needs first.
TOKENS = "tokens"
SENTENCE_FEATURES = "sentence_features"
TOKEN_FEATURES = "token_features"
INTENT = "intent"
ENTITIES = "entities"
RESPONSES = "response_selector"


@dataclass
class ComponentContext:
    """What the composition root hands every component: outside services and run options.

    ``duckling`` is None when no Duckling is wired (the in-process one is then used);
    ``encoder`` overrides the in-process sentence encoder (a language server, say).
    """

    language: str = "en"
    seed: int = 0
    duckling: Duckling | None = None
    encoder: SentenceEncoder | None = None
    problems: list[Problem] = field(default_factory=list)
    progress: Callable[[str, float], None] | None = None
    """Called with (what, fraction done) during long training steps. A component reports
    the fraction of its own training; the pipeline maps it into the component's share."""

    def warn(self, code: str, message: str) -> None:
        """Record a training warning; the CLI shows them, training goes on."""
        self.problems.append(Problem(code, message, severity=Severity.WARNING))

    def report(self, what: str, fraction: float) -> None:
        if self.progress is not None:
            self.progress(what, fraction)


@dataclass
class TrainingData:
    """The examples a pipeline learns from, as messages carrying their gold ``example``,
    plus the project's synonyms, regexes and lookup tables."""

    messages: list[Message]
    nlu: NLUData

    @classmethod
    def from_nlu(cls, nlu: NLUData) -> TrainingData:
        messages = [Message(text=e.text, example=e) for e in nlu.examples if e.intent is not None]
        return cls(messages=messages, nlu=nlu)

    @property
    def intents(self) -> list[str]:
        """Gold intents in first-seen order (retrieval intents in full: ``faq/ask_x``)."""
        return list(
            dict.fromkeys(m.example.intent for m in self.messages if m.example and m.example.intent)
        )


class Component(ABC):
    """Base of every NLU component. Subclasses set the class attributes below."""

    name: ClassVar[str]
    """The registry name configs use; stable, saved models refer to it."""
    version: ClassVar[int] = 1
    """Bumped when what ``persist`` writes changes, so an old model is refused clearly."""
    defaults: ClassVar[Mapping[str, Any]] = {}
    """Every option the component accepts, with its default."""
    ignored_options: ClassVar[frozenset[str]] = frozenset()
    """Options of the Rasa component of the same name that have no meaning here (epochs…):
    accepted so a Rasa ``config.yml`` trains as it is, and otherwise ignored."""
    requires: ClassVar[frozenset[str]] = frozenset()
    provides: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        self.config: dict[str, Any] = self.resolve_config(config or {})
        self.context = context or ComponentContext()

    @classmethod
    def resolve_config(cls, given: Mapping[str, Any]) -> dict[str, Any]:
        """``defaults`` updated with ``given``; an unknown option lists the valid ones."""
        unknown = [
            key for key in given if key not in cls.defaults and key not in cls.ignored_options
        ]
        if unknown:
            valid = ", ".join(sorted(cls.defaults)) or "(none)"
            problems = [
                Problem(
                    "pipeline-unknown-option",
                    f"{cls.name} has no option {key!r}{did_you_mean(key, cls.defaults)}; "
                    f"its options are: {valid}",
                )
                for key in unknown
            ]
            raise ProjectError(problems, summary=problems[0].message)
        config = dict(cls.defaults)
        config.update({k: v for k, v in given.items() if k in cls.defaults})
        return config

    def train(self, data: TrainingData) -> None:  # noqa: B027 - stateless components learn nothing
        """Learn from ``data``. Stateless components keep this no-op."""

    @abstractmethod
    def process(self, message: Message) -> None:
        """Add what this component provides to ``message``. Never raises on odd text."""

    def process_batch(self, messages: Sequence[Message]) -> None:
        """``process`` for many messages; components override it where batching is faster."""
        for message in messages:
            self.process(message)

    def persist(self, resource: Resource) -> None:  # noqa: B027 - stateless: nothing to write
        """Write what ``train`` learned into ``resource``, in plain formats."""

    @classmethod
    def load(cls, config: Mapping[str, Any], resource: Resource, context: ComponentContext) -> Self:
        """A trained component from what ``persist`` wrote. Stateless ones just build."""
        return cls(config, context)
