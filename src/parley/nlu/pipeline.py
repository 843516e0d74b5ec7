"""A trained or trainable sequence of components, built from a project's ``config.yml``.

``Pipeline.from_config`` resolves names (Rasa names through :mod:`parley.nlu.rasa_names`,
Parley names through the registry), checks that each component's requirements are provided
by the ones before it, and fills in the default pipeline when ``config.yml`` has none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from parley.core.messages import ParseResult
from parley.core.problem import Problem, Severity
from parley.core.training_data import NLUData
from parley.errors import ModelError, ProjectError, UnknownNameError
from parley.nlu.component import Component, ComponentContext, TrainingData
from parley.nlu.message import Message
from parley.nlu.rasa_names import RASA_EQUIVALENTS
from parley.nlu.registry import components
from parley.nlu.resource import Resource
from parley.project.config import ComponentSpec

DEFAULT_PIPELINE: tuple[ComponentSpec, ...] = (
    ComponentSpec(name="WhitespaceTokenizer"),
    ComponentSpec(name="RegexFeaturizer"),
    ComponentSpec(name="LexicalSyntacticFeaturizer"),
    ComponentSpec(name="CountVectorsFeaturizer"),
    # Character n-grams across word boundaries: "card ar" carries the word pair that word
    # bigrams would, inside the same unit-length block, so they help on large data (Banking77
    # +0.9 points) without the separate, sparse bigram block that hurts small data. An n-gram
    # met in one training message only (min_df 2) is dropped: it can only memorise that
    # message (Braun +0.4 points; in cross-validation too).
    ComponentSpec(
        name="CountVectorsFeaturizer",
        options={"analyzer": "char", "min_ngram": 1, "max_ngram": 5, "min_df": 2},
    ),
    ComponentSpec(name="LinearIntentClassifier"),
    ComponentSpec(name="CRFEntityExtractor"),
    ComponentSpec(name="RegexEntityExtractor"),
    ComponentSpec(name="EntitySynonymMapper"),
    ComponentSpec(name="ResponseSelector"),
    ComponentSpec(
        name="FallbackClassifier", options={"threshold": 0.3, "ambiguity_threshold": 0.1}
    ),
)
"""What trains when ``config.yml`` gives no pipeline: sparse word and character n-grams, a
calibrated linear intent classifier, a CRF for entities, regexes/lookups, synonyms,
response selection for retrieval intents, and the NLU fallback. No optional extra needed."""

PIPELINE_FILE = "pipeline.json"


def resolve_specs(
    specs: Sequence[ComponentSpec] | None, problems: list[Problem] | None = None
) -> list[ComponentSpec]:
    """Parley component specs for a (possibly Rasa) pipeline; ``problems`` collects warnings."""
    if not specs:
        return list(DEFAULT_PIPELINE)
    names = [spec.name for spec in specs]
    resolved: list[ComponentSpec] = []
    for spec in specs:
        equivalent = RASA_EQUIVALENTS.get(spec.name)
        if equivalent is not None and spec.name not in components:
            replaced = equivalent.translate(spec.options, names + [s.name for s in resolved])
            resolved.extend(replaced)
            if equivalent.lossy and problems is not None:
                problems.append(
                    Problem(
                        "pipeline-rasa-component",
                        f"{spec.name} ({equivalent.does}): {equivalent.becomes}",
                        severity=Severity.WARNING,
                    )
                )
            continue
        if spec.name not in components:
            raise UnknownNameError(
                "NLU component", spec.name, [*components.names(), *RASA_EQUIVALENTS]
            )
        resolved.append(spec)
    return resolved


class Pipeline:
    def __init__(self, components: Sequence[Component], context: ComponentContext) -> None:
        self.components = list(components)
        self.context = context

    @classmethod
    def from_config(
        cls, specs: Sequence[ComponentSpec] | None, context: ComponentContext | None = None
    ) -> Pipeline:
        context = context or ComponentContext()
        resolved = resolve_specs(specs, context.problems)
        built = [components.get(spec.name)(spec.options, context) for spec in resolved]
        _check_requirements(built)
        return cls(built, context)

    @property
    def specs(self) -> list[ComponentSpec]:
        return [ComponentSpec(name=c.name, options=c.config) for c in self.components]

    def train(self, nlu: NLUData) -> TrainingData:
        """Train every component in order; each sees what the ones before it added."""
        data = TrainingData.from_nlu(nlu)
        _warn_about_data(data, self.context)
        overall = self.context.progress
        share = 1 / len(self.components)
        try:
            for index, component in enumerate(self.components):
                if overall is not None:
                    # A component reports the fraction of its own training; the bar shows
                    # it inside the component's share of the whole pipeline.
                    self.context.progress = _within(overall, index * share, share)
                self.context.report(f"training {component.name}", 0.0)
                component.train(data)
                component.process_batch(data.messages)
        finally:
            self.context.progress = overall
        self.context.report("trained", 1.0)
        return data

    def process(self, message: Message) -> Message:
        for component in self.components:
            component.process(message)
        return message

    def parse(
        self, text: str, *, reference_time: datetime | None = None, metadata: Any = None
    ) -> ParseResult:
        """Intent, entities and retrieval answers for ``text``; never raises on odd text."""
        message = Message(text=text, reference_time=reference_time, metadata=metadata)
        return self.process(message).to_result()

    def parse_batch(self, texts: Iterable[str]) -> list[ParseResult]:
        messages = [Message(text=text) for text in texts]
        for component in self.components:
            component.process_batch(messages)
        return [m.to_result() for m in messages]

    def persist(self, folder: Path) -> list[dict[str, Any]]:
        """Write every component's resource under ``folder`` plus ``pipeline.json``."""
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for index, component in enumerate(self.components):
            resource_name = f"{index:02d}_{component.name}"
            component.persist(Resource(folder / resource_name))
            entries.append(
                {
                    "name": component.name,
                    "version": component.version,
                    "config": component.config,
                    "resource": resource_name,
                }
            )
        (folder / PIPELINE_FILE).write_text(json.dumps(entries, indent=1, sort_keys=True), "utf-8")
        return entries

    @classmethod
    def load(cls, folder: Path, context: ComponentContext | None = None) -> Pipeline:
        """A trained pipeline from what ``persist`` wrote. Reads data only, runs no code
        from the folder; a component of another version is refused with the fix."""
        context = context or ComponentContext()
        try:
            entries = json.loads((folder / PIPELINE_FILE).read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ModelError(f"the model's {PIPELINE_FILE} cannot be read: {error}") from error
        if not isinstance(entries, list):
            raise ModelError(f"the model's {PIPELINE_FILE} is not a list of components")
        loaded = []
        for entry in entries:
            name, version, config, resource = _entry(entry)
            try:
                component_class = components.get(name)
            except UnknownNameError as error:
                raise ModelError(f"the model needs {error}") from error
            if component_class.version != version:
                raise ModelError(
                    f"the model was trained with {name} version {version}, this Parley has "
                    f"version {component_class.version}; train the model again"
                )
            try:
                loaded.append(component_class.load(config, Resource(folder / resource), context))
            except ProjectError as error:
                raise ModelError(f"the model's {name} settings are invalid: {error}") from error
            except (ValueError, TypeError, KeyError, IndexError, MemoryError) as error:
                # Components check what they read; this catches a check one of them missed,
                # so a hostile model never surfaces as a crash of the caller.
                raise ModelError(
                    f"the model's {name} data is damaged ({type(error).__name__}: {error}); "
                    "train the model again"
                ) from error
        pipeline = cls(loaded, context)
        pipeline.check_consistency()
        return pipeline

    def check_consistency(self) -> None:
        """Run an empty message through every component, so parts that do not fit together
        (a featurizer giving other widths than its classifier was trained on) are refused
        now, not at every parse. Empty text reaches no outside service (Duckling)."""
        try:
            self.process(Message(text=""))
        except ModelError as error:
            raise ModelError(
                f"the model's components do not fit together: {error}; train it again"
            ) from error
        except (ValueError, TypeError, KeyError, IndexError) as error:
            raise ModelError(
                f"the model's components do not fit together ({type(error).__name__}: "
                f"{error}); train it again"
            ) from error


def _entry(entry: Any) -> tuple[str, int, dict[str, Any], str]:
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("name"), str)
        or not isinstance(entry.get("version"), int)
        or not isinstance(entry.get("config"), dict)
        or not isinstance(entry.get("resource"), str)
        or "/" in entry["resource"]
        or entry["resource"] in {"", ".", ".."}
    ):
        raise ModelError(f"the model's {PIPELINE_FILE} has a malformed entry: {entry!r:.200}")
    return entry["name"], entry["version"], entry["config"], entry["resource"]


def _check_requirements(built: Sequence[Component]) -> None:
    provided: set[str] = set()
    problems = []
    for component in built:
        missing = component.requires - provided
        if missing:
            providers = sorted(
                name for name in components.names() if components.get(name).provides & missing
            )
            problems.append(
                Problem(
                    "pipeline-missing-requirement",
                    f"{component.name} needs {', '.join(sorted(missing))} from an earlier "
                    f"component; put one of these before it: {', '.join(providers)}",
                )
            )
        provided |= component.provides
    if problems:
        raise ProjectError(problems, summary=problems[0].message)


def _warn_about_data(data: TrainingData, context: ComponentContext) -> None:
    intents = data.intents
    if len(intents) == 1:
        context.warn(
            "nlu-one-intent",
            f"the training data has one intent ({intents[0]}); every message will be "
            "classified as it. Add examples of other intents.",
        )
    counts: dict[str, int] = {}
    for message in data.messages:
        if message.example and message.example.intent:
            counts[message.example.intent] = counts.get(message.example.intent, 0) + 1
    few = sorted(name for name, count in counts.items() if count < 2)
    if few:
        context.warn(
            "nlu-few-examples",
            f"intent(s) with a single example: {', '.join(few)}; add a few more so the "
            "classifier can tell them apart",
        )


def _within(
    report: Callable[[str, float], None], start: float, width: float
) -> Callable[[str, float], None]:
    def scaled(what: str, fraction: float) -> None:
        report(what, start + width * min(max(fraction, 0.0), 1.0))

    return scaled
