"""Cross-file checks of a project whose files all read cleanly.

The reader checks each file against its schema; this module checks that the files agree
with each other: every intent, entity, slot, form, action and response a story, rule,
test, mapping or response refers to is declared; examples do not teach two intents; and
no two stories teach different actions after the same conversation history.

Severities: what breaks training or a conversation is an error (a story using an
undeclared intent, action, slot, form or entity; a response that does not exist); what is
suspicious but trains and runs is a warning (an intent without examples, an annotation or
slot mapping naming an undeclared entity or intent, the same example under two intents).
``rasa data validate`` fails on a few of the latter too, but Rasa trains and serves such
projects, and real assistants (Rasa's own demos among them) contain them.

Story contradictions are found the way Rasa's story-structure validation finds them:
stories are unrolled into linear conversations (``or`` alternatives and checkpoints
expanded, up to :data:`MAX_CONVERSATIONS`), the dialogue state before every bot action is
computed (latest intent and its entities, slots that influence the conversation, active
loop, previous action), and two conversations whose last ``max_history`` states are equal
but whose next actions differ are reported. ``max_history`` is a parameter (default
:data:`DEFAULT_MAX_HISTORY`), not read from the policies, like ``rasa data validate
--max-history``; pass the policies' value to check exactly what they will see.

Rules are left out of that check, as in Rasa, because a rule matches whatever came before
it. Instead rules are checked among themselves, strictly: two rules whose steps
(conditions included) are identical up to an action but which then predict different
actions contradict each other. A story and a rule that disagree are not reported (the
rule wins at prediction time).
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from parley.core.domain import Entity, Form, MappingType, Slot, SlotMapping, SlotType
from parley.core.problem import Location, Problem, Severity
from parley.core.story import (
    ActionStep,
    ActiveLoopStep,
    CheckpointStep,
    OrStep,
    Rule,
    SlotValue,
    SlotWasSetStep,
    Step,
    StepEntity,
    Story,
    UserStep,
)
from parley.project.project import Project
from parley.project.source_map import ModelPath, SourceMap

DEFAULT_INTENTS = frozenset({"restart", "back", "out_of_scope", "session_start", "nlu_fallback"})
"""Intents every assistant knows without declaring them (Rasa adds them to each domain)."""

EXTERNAL_INTENT_PREFIX = "EXTERNAL_"
"""Intents named like this are triggered by outside systems, so they need no examples."""

DEFAULT_ACTIONS = frozenset(
    {
        "action_listen",
        "action_restart",
        "action_session_start",
        "action_default_fallback",
        "action_deactivate_loop",
        "action_deactivate_form",  # the Rasa 2.x name of action_deactivate_loop
        "action_revert_fallback_events",
        "action_default_ask_affirmation",
        "action_default_ask_rephrase",
        "action_two_stage_fallback",
        "action_unlikely_intent",
        "action_back",
        "action_send_text",
        "action_extract_slots",
    }
)
"""Actions built into the dialogue engine; stories may use them without declaring them."""

ACTION_LISTEN = "action_listen"
ACTION_RESTART = "action_restart"
ACTION_UNLIKELY_INTENT = "action_unlikely_intent"
KNOWLEDGE_BASE_ACTION = "action_query_knowledge_base"
KNOWLEDGE_BASE_SLOTS = frozenset(
    {
        "knowledge_base_listed_objects",
        "knowledge_base_last_object",
        "knowledge_base_last_object_type",
    }
)
DEFAULT_SLOTS = frozenset({"requested_slot", "session_started_metadata"})
"""Slots every assistant has without declaring them."""
BUILTIN_LOOPS = frozenset({"action_two_stage_fallback"})
"""Loops other than forms: ``active_loop`` may name these too."""

RESPONSE_PREFIX = "utter_"
DEFAULT_MAX_HISTORY = 5
MAX_CONVERSATIONS = 20_000
"""How many linear conversations the contradiction check unrolls at most; beyond this a
warning says the check was cut short (checkpoints and ``or`` steps multiply paths)."""

_FILLED = "filled"
"""The value Rasa gives a slot or entity written without one (``- slot_name``)."""
_MAX_LISTED = 30
_PLACEHOLDER = re.compile(r"(?<!\{)\{([^\n{}]+?)\}(?!\})")
_NAME = re.compile(r"[A-Za-z_][\w.-]*")


def validate_project(
    project: Project, sources: SourceMap, *, max_history: int = DEFAULT_MAX_HISTORY
) -> list[Problem]:
    """Every cross-file problem of ``project``, located through ``sources``.

    ``max_history`` is how many past dialogue states the story contradiction check compares.
    """
    if max_history < 1:
        raise ValueError(f"max_history must be at least 1, not {max_history}")
    return _Validator(project, sources, max_history).run()


# ---------------------------------------------------------------------------------------
# Message helpers


def _quoted(names: Iterable[str]) -> str:
    items = [f"'{name}'" for name in names]
    if len(items) > _MAX_LISTED:
        rest = len(items) - _MAX_LISTED
        return ", ".join(items[:_MAX_LISTED]) + f", … ({rest} more)"
    return ", ".join(items) if items else "(the domain declares none)"


def _did_you_mean(name: str, options: Iterable[str]) -> str:
    """Ends a sentence about ``name``: with the closest option as a question, else a full stop."""
    close = difflib.get_close_matches(name, sorted(set(options)), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else "."


def _examples(paths: Sequence[ModelPath]) -> str:
    return "an example" if len(paths) == 1 else f"{len(paths)} examples (first here)"


def _block_label(kind: str, name: str) -> str:
    return f"{kind} '{name}'"


# ---------------------------------------------------------------------------------------
# Stories unrolled into conversations


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a predicted action was written."""

    label: str
    path: ModelPath


@dataclass(frozen=True, slots=True)
class _UserEvent:
    intent: str
    entities: tuple[StepEntity, ...]
    origin: _Origin
    """Where the user step is; the implicit ``action_listen`` before it is reported there."""


@dataclass(frozen=True, slots=True)
class _ActionEvent:
    name: str
    origin: _Origin


@dataclass(frozen=True, slots=True)
class _SlotEvent:
    name: str
    value: Any


@dataclass(frozen=True, slots=True)
class _LoopEvent:
    name: str | None


_Event = _UserEvent | _ActionEvent | _SlotEvent | _LoopEvent


@dataclass(frozen=True, slots=True)
class _State:
    """What the policies see before an action: the dialogue state Rasa featurizes."""

    intent: str | None
    entities: frozenset[str]
    previous_action: str | None
    active_loop: str | None
    slots: tuple[tuple[str, Any], ...]

    @property
    def is_start(self) -> bool:
        return self.intent is None and self.previous_action is None

    def describe(self) -> str:
        if self.previous_action and self.previous_action != ACTION_LISTEN:
            return f"action '{self.previous_action}'"
        if self.intent is not None:
            entities = f" with {', '.join(sorted(self.entities))}" if self.entities else ""
            return f"intent '{self.intent}'{entities}"
        return "conversation start"


@dataclass
class _Segment:
    """A stretch of a story between checkpoints."""

    label: str
    path: ModelPath
    starts: list[tuple[ModelPath, CheckpointStep]]
    steps: list[tuple[ModelPath, Step]] = field(default_factory=list)
    ends: list[tuple[ModelPath, CheckpointStep]] = field(default_factory=list)

    @property
    def last_path(self) -> ModelPath:
        return self.steps[-1][0] if self.steps else self.path


def _segments(label: str, path: ModelPath, steps: Sequence[Step]) -> list[_Segment]:
    """``steps`` cut at checkpoints: a checkpoint amid a story ends one segment and
    starts the next, so other stories can join or leave there."""
    segments = [_Segment(label, path, starts=[])]
    pending: list[tuple[ModelPath, CheckpointStep]] = []
    for index, step in enumerate(steps):
        current = segments[-1]
        where: ModelPath = (*path, "steps", index)
        if isinstance(step, CheckpointStep):
            if current.steps:
                pending.append((where, step))
            else:
                current.starts.append((where, step))
            continue
        if pending:
            current.ends = pending
            current = _Segment(label, path, starts=pending)
            segments.append(current)
            pending = []
        current.steps.append((where, step))
    segments[-1].ends = pending
    return segments


# ---------------------------------------------------------------------------------------


class _Validator:
    def __init__(self, project: Project, sources: SourceMap, max_history: int) -> None:
        self.project = project
        self.sources = sources
        self.max_history = max_history
        self.problems: list[Problem] = []

        domain = project.domain
        self.domain_intents = set(domain.intent_names)
        self.known_intents = self.domain_intents | DEFAULT_INTENTS
        self.entities: dict[str, Entity] = {entity.name: entity for entity in domain.entities}
        self.slots: dict[str, Slot] = {slot.name: slot for slot in domain.slots}
        self.forms: dict[str, Form] = {form.name: form for form in domain.forms}
        self.responses = set(domain.responses)
        # ``utter_faq`` answers the retrieval intent ``faq`` from responses ``utter_faq/…``.
        self.retrieval_responses = {
            name.split("/", 1)[0] for name in domain.responses if "/" in name
        }
        self.custom_actions = set(domain.action_names)
        self.builtin_slots = set(DEFAULT_SLOTS)
        if KNOWLEDGE_BASE_ACTION in self.custom_actions:
            self.builtin_slots |= KNOWLEDGE_BASE_SLOTS
        self.use_entities = {intent.name: intent for intent in domain.intents}
        self.influential_slots = sorted(
            (slot for slot in domain.slots if slot.influence_conversation),
            key=lambda slot: slot.name,
        )

    def run(self) -> list[Problem]:
        self._check_intents()
        self._check_examples()
        self._check_nlu_entities()
        self._check_slots()
        self._check_forms()
        self._check_responses()
        self._check_declared_actions()
        self._check_blocks()
        self._check_contradictions()
        return self.problems

    # -- reporting ---------------------------------------------------------------------

    def _locate(self, path: ModelPath) -> Location | None:
        return self.sources.locate(path)

    def _where(self, path: ModelPath, here: ModelPath) -> str:
        """Where ``path`` is, to follow a name in a message about ``here``: `` (line 7)``
        in the same file, `` (file:line:col)`` in another, nothing when unknown."""
        location = self._locate(path)
        if location is None:
            return ""
        near = self._locate(here)
        if near is not None and near.file == location.file and location.line is not None:
            return f" (line {location.line})"
        return f" ({location})"

    def _report(
        self, code: str, message: str, path: ModelPath, severity: Severity = Severity.ERROR
    ) -> None:
        self.problems.append(Problem(code, message, self._locate(path), severity))

    # -- names -------------------------------------------------------------------------

    def _is_known_intent(self, name: str) -> bool:
        return name in self.known_intents or name.split("/", 1)[0] in self.domain_intents

    def _is_known_slot(self, name: str) -> bool:
        return name in self.slots or name in self.builtin_slots

    def _is_known_action(self, name: str) -> bool:
        return (
            name in self.custom_actions
            or name in self.forms
            or name in DEFAULT_ACTIONS
            or name in self.responses
            or name in self.retrieval_responses
        )

    def _unknown_intent(
        self, name: str, user: str, path: ModelPath, severity: Severity = Severity.ERROR
    ) -> None:
        self._report(
            "unknown-intent",
            f"{user} uses intent '{name}', which is not in the domain"
            f"{_did_you_mean(name, self.known_intents)} Add '{name}' under `intents:` in the "
            f"domain or use a declared intent: {_quoted(sorted(self.domain_intents))}",
            path,
            severity,
        )

    def _unknown_entity(
        self, name: str, user: str, path: ModelPath, severity: Severity = Severity.ERROR
    ) -> None:
        self._report(
            "unknown-entity",
            f"{user} uses entity '{name}', which is not in the domain"
            f"{_did_you_mean(name, self.entities)} Add '{name}' under `entities:` in the "
            f"domain or use a declared entity: {_quoted(sorted(self.entities))}",
            path,
            severity,
        )

    def _unknown_slot(
        self, name: str, user: str, path: ModelPath, severity: Severity = Severity.ERROR
    ) -> None:
        self._report(
            "unknown-slot",
            f"{user} uses slot '{name}', which is not in the domain"
            f"{_did_you_mean(name, self.slots)} Add '{name}' under `slots:` in the domain "
            f"or use a declared slot: {_quoted(sorted(self.slots))}",
            path,
            severity,
        )

    def _unknown_form(self, name: str, user: str, path: ModelPath) -> None:
        self._report(
            "unknown-form",
            f"{user} names '{name}' as active loop, but it is not a form"
            f"{_did_you_mean(name, [*self.forms, *BUILTIN_LOOPS])} Add '{name}' under "
            f"`forms:` in the domain or use a declared form: {_quoted(sorted(self.forms))}",
            path,
        )

    def _check_roles(
        self, entity: Entity, role: str | None, group: str | None, user: str, path: ModelPath
    ) -> None:
        for code, what, value, declared in (
            ("unknown-entity-role", "role", role, entity.roles),
            ("unknown-entity-group", "group", group, entity.groups),
        ):
            if value is not None and value not in declared:
                self._report(
                    code,
                    f"{user} gives entity '{entity.name}' the {what} '{value}', which the "
                    f"domain does not declare for it{_did_you_mean(value, declared)} Add "
                    f"'{value}' to the entity's `{what}s:` in the domain; declared {what}s: "
                    f"{_quoted(declared)}",
                    path,
                    Severity.WARNING,
                )

    # -- intents and examples ----------------------------------------------------------

    def _check_intents(self) -> None:
        examples = self.project.nlu.examples
        with_examples: set[str] = set()
        first_example: dict[str, int] = {}
        for index, example in enumerate(examples):
            if example.intent:
                # examples of ``faq/ask_price`` belong to the retrieval intent ``faq``
                base = example.intent.split("/", 1)[0]
                with_examples.add(base)
                first_example.setdefault(base, index)
        for name, index in first_example.items():
            if self._is_known_intent(name):
                continue
            self._report(
                "intent-not-in-domain",
                f"intent '{name}' has NLU examples but is not in the domain"
                f"{_did_you_mean(name, self.domain_intents)} Add '{name}' under `intents:` in "
                "the domain, or move the examples to a declared intent: "
                f"{_quoted(sorted(self.domain_intents))}",
                ("nlu", "examples", index),
                Severity.WARNING,
            )
        for index, intent in enumerate(self.project.domain.intents):
            name = intent.name
            if (
                name in with_examples
                or name in DEFAULT_INTENTS
                or name.startswith(EXTERNAL_INTENT_PREFIX)
            ):
                continue
            self._report(
                "intent-without-examples",
                f"intent '{name}' is in the domain but has no NLU examples, so it can never "
                f"be recognised; add examples under `- intent: {name}` in an NLU file, or "
                f"remove it from the domain (intents triggered by outside systems should be "
                f"named '{EXTERNAL_INTENT_PREFIX}…')",
                ("domain", "intents", index),
                Severity.WARNING,
            )

    def _check_examples(self) -> None:
        seen: dict[str, dict[str, int]] = defaultdict(dict)
        for index, example in enumerate(self.project.nlu.examples):
            if example.intent is None:
                continue
            text = example.text.strip()
            intents = seen[text]
            here: ModelPath = ("nlu", "examples", index)
            if example.intent in intents:
                first = intents[example.intent]
                self._report(
                    "repeated-example",
                    f"the example '{text}' appears twice under intent '{example.intent}' "
                    f"(first{self._where(('nlu', 'examples', first), here)}); "
                    "remove one of them",
                    here,
                    Severity.WARNING,
                )
                continue
            if intents:
                listed = ", ".join(
                    f"'{intent}'{self._where(('nlu', 'examples', at), here)}"
                    for intent, at in intents.items()
                )
                self._report(
                    "duplicate-example",
                    f"the example '{text}' is under intent '{example.intent}' here and under "
                    f"{listed}; an example can teach only one intent, so keep it under one of "
                    f"{_quoted([*intents, example.intent])} and remove the others",
                    here,
                    Severity.WARNING,
                )
            intents[example.intent] = index

    def _check_nlu_entities(self) -> None:
        # One finding per name, at its first annotation: a missing declaration is one
        # mistake, however many examples it shows in.
        undeclared: dict[str, list[ModelPath]] = defaultdict(list)
        undeclared_parts: dict[tuple[str, str, str], list[ModelPath]] = defaultdict(list)
        for index, example in enumerate(self.project.nlu.examples):
            for number, annotation in enumerate(example.entities):
                path: ModelPath = ("nlu", "examples", index, "entities", number)
                entity = self.entities.get(annotation.entity)
                if entity is None:
                    undeclared[annotation.entity].append(path)
                    continue
                for what, value, declared in (
                    ("role", annotation.role, entity.roles),
                    ("group", annotation.group, entity.groups),
                ):
                    if value is not None and value not in declared:
                        undeclared_parts[(entity.name, what, value)].append(path)
        for name, paths in undeclared.items():
            self._report(
                "entity-not-in-domain",
                f"entity '{name}' is annotated in {_examples(paths)} but is not in the "
                f"domain{_did_you_mean(name, self.entities)} Add it under `entities:` in the "
                "domain so the assistant can use it; declared entities: "
                f"{_quoted(sorted(self.entities))}",
                paths[0],
                Severity.WARNING,
            )
        for (name, what, value), paths in undeclared_parts.items():
            declared = getattr(self.entities[name], f"{what}s")
            self._report(
                f"unknown-entity-{what}",
                f"entity '{name}' has the {what} '{value}' in {_examples(paths)}, but the "
                f"domain does not declare it{_did_you_mean(value, declared)} Add '{value}' to "
                f"the entity's `{what}s:` in the domain; declared {what}s: {_quoted(declared)}",
                paths[0],
                Severity.WARNING,
            )

    # -- domain ------------------------------------------------------------------------

    def _check_slots(self) -> None:
        for index, slot in enumerate(self.project.domain.slots):
            path: ModelPath = ("domain", "slots", index)
            if slot.type is SlotType.CATEGORICAL and slot.initial_value is not None:
                allowed = {str(value).lower() for value in slot.values}
                if str(slot.initial_value).lower() not in allowed:
                    self._report(
                        "invalid-initial-value",
                        f"categorical slot '{slot.name}' has the initial value "
                        f"'{slot.initial_value}', which is not one of its values; use one "
                        f"of {_quoted(slot.values)} or add it to `values:`",
                        (*path, "initial_value"),
                    )
            if (
                slot.type is SlotType.FLOAT
                and slot.min_value is not None
                and slot.max_value is not None
                and slot.min_value > slot.max_value
            ):
                self._report(
                    "invalid-slot-range",
                    f"float slot '{slot.name}' has min_value {slot.min_value} greater than "
                    f"max_value {slot.max_value}; swap them or fix one",
                    (*path, "min_value"),
                )
            for number, mapping in enumerate(slot.mappings):
                self._check_mapping(slot, mapping, (*path, "mappings", number))

    def _check_mapping(self, slot: Slot, mapping: SlotMapping, path: ModelPath) -> None:
        # A mapping naming an undeclared entity, intent or slot only fails to match, and
        # Rasa trains and runs such projects, so those are warnings; a condition naming an
        # unknown form is an error, as in ``rasa data validate``.
        user = f"a mapping of slot '{slot.name}'"
        warning = Severity.WARNING
        if mapping.type is MappingType.FROM_ENTITY and mapping.entity is not None:
            entity = self.entities.get(mapping.entity)
            if entity is None:
                self._unknown_entity(mapping.entity, user, (*path, "entity"), warning)
            else:
                self._check_roles(entity, mapping.role, mapping.group, user, path)
        for key in ("intent", "not_intent"):
            names: list[str] = getattr(mapping, key)
            for number, name in enumerate(names):
                if not self._is_known_intent(name):
                    at: ModelPath = (*path, key, number)
                    self._unknown_intent(name, f"{user} (`{key}`)", at, warning)
        if (
            mapping.type is MappingType.CUSTOM
            and mapping.action is not None
            and not self._is_known_action(mapping.action)
        ):
            self._report(
                "unknown-action",
                f"{user} runs action '{mapping.action}', which is not defined"
                f"{_did_you_mean(mapping.action, self.custom_actions)} Add it under "
                f"`actions:` in the domain; declared actions: "
                f"{_quoted(sorted(self.custom_actions))}",
                (*path, "action"),
            )
        for number, condition in enumerate(mapping.conditions):
            where: ModelPath = (*path, "conditions", number)
            if condition.active_loop is not None and condition.active_loop not in self.forms:
                self._unknown_form(condition.active_loop, f"{user} (condition)", where)
            requested = condition.requested_slot
            if requested is not None and not self._is_known_slot(requested):
                self._unknown_slot(
                    requested, f"{user} (condition `requested_slot`)", where, warning
                )

    def _check_forms(self) -> None:
        for index, form in enumerate(self.project.domain.forms):
            path: ModelPath = ("domain", "forms", index)
            user = f"form '{form.name}'"
            for number, name in enumerate(form.ignored_intents):
                if not self._is_known_intent(name):
                    self._unknown_intent(
                        name,
                        f"{user} (`ignored_intents`)",
                        (*path, "ignored_intents", number),
                        Severity.WARNING,
                    )
            for number, name in enumerate(form.required_slots):
                where: ModelPath = (*path, "required_slots", number)
                slot = self.slots.get(name)
                if slot is None:
                    self._unknown_slot(name, f"{user} (`required_slots`)", where)
                    continue
                if not slot.mappings:
                    self._report(
                        "form-slot-without-mapping",
                        f"{user} requires slot '{name}', but the slot has no mappings, so the "
                        f"form can never fill it; add `mappings:` to slot '{name}' (e.g. "
                        "`- type: from_text` or `- type: from_entity`, or `- type: custom` "
                        "when an action fills it)",
                        where,
                    )
                self._check_form_question(form, name, where)

    def _check_form_question(self, form: Form, slot: str, path: ModelPath) -> None:
        responses = (f"utter_ask_{form.name}_{slot}", f"utter_ask_{slot}")
        actions = (f"action_ask_{form.name}_{slot}", f"action_ask_{slot}")
        if any(name in self.responses for name in responses) or any(
            name in self.custom_actions for name in actions
        ):
            return
        self._report(
            "missing-form-question",
            f"form '{form.name}' has no way to ask for slot '{slot}'; add a response "
            f"'{responses[1]}' (or '{responses[0]}'), or a custom action '{actions[1]}' "
            f"under `actions:`",
            path,
            Severity.WARNING,
        )

    def _check_responses(self) -> None:
        for name, variations in self.project.domain.responses.items():
            for index, variation in enumerate(variations):
                path: ModelPath = ("domain", "responses", name, index)
                user = f"response '{name}'"
                texts = [variation.text or ""] + [button.title for button in variation.buttons]
                for placeholder in dict.fromkeys(
                    match.group(1).strip()
                    for text in texts
                    for match in _PLACEHOLDER.finditer(text)
                ):
                    if _NAME.fullmatch(placeholder) and not self._is_known_slot(placeholder):
                        self._report(
                            "response-unknown-slot",
                            f"{user} fills in '{{{placeholder}}}', but there is no slot "
                            f"'{placeholder}'{_did_you_mean(placeholder, self.slots)} Unless a "
                            "custom action passes this value, add the slot or fix the name; "
                            f"declared slots: {_quoted(sorted(self.slots))}",
                            path,
                            Severity.WARNING,
                        )
                for number, condition in enumerate(variation.condition):
                    if condition.type == "slot" and not self._is_known_slot(condition.name):
                        self._unknown_slot(
                            condition.name, f"{user} (condition)", (*path, "condition", number)
                        )

    def _check_declared_actions(self) -> None:
        for index, name in enumerate(self.project.domain.action_names):
            if (
                name.startswith(RESPONSE_PREFIX)
                and name not in self.responses
                and name not in self.retrieval_responses
            ):
                self._report(
                    "action-without-response",
                    f"action '{name}' is declared but there is no response '{name}'"
                    f"{_did_you_mean(name, self.responses)} Add a response '{name}' under "
                    "`responses:`, or rename the action if a custom action implements it "
                    f"(names starting with '{RESPONSE_PREFIX}' are read as responses)",
                    ("domain", "actions", index),
                    Severity.WARNING,
                )

    # -- stories, rules and tests ------------------------------------------------------

    def _blocks(self) -> Iterator[tuple[str, ModelPath, Story | Rule]]:
        project = self.project
        for index, story in enumerate(project.stories):
            yield "story", ("stories", index), story
        for index, rule in enumerate(project.rules):
            yield "rule", ("rules", index), rule
        for index, story in enumerate(project.tests.stories):
            yield "test story", ("tests", "stories", index), story
        for index, rule in enumerate(project.tests.rules):
            yield "test rule", ("tests", "rules", index), rule

    def _check_blocks(self) -> None:
        names: dict[tuple[str, str], ModelPath] = {}
        for kind, path, block in self._blocks():
            label = _block_label(kind, block.name)
            if not block.steps:
                self._report(
                    "empty-rule" if isinstance(block, Rule) else "empty-story",
                    f"{label} has no steps; add its steps (`steps:` with user and action "
                    "steps) or remove it",
                    path,
                )
            first = names.setdefault((kind, block.name), path)
            if first != path:
                self._report(
                    "duplicate-story-name",
                    f"{label} has the same name as an earlier {kind}{self._where(first, path)}; "
                    "give each a distinct name so reports and test results can tell them apart",
                    path,
                    Severity.WARNING,
                )
            if isinstance(block, Rule):
                for number, condition in enumerate(block.condition):
                    self._check_step(condition, label, (*path, "condition", number))
            for number, step in enumerate(block.steps):
                self._check_step(step, label, (*path, "steps", number))

    def _check_step(self, step: Step, label: str, path: ModelPath) -> None:
        if isinstance(step, UserStep):
            if step.intent is not None and not self._is_known_intent(step.intent):
                self._unknown_intent(step.intent, label, path)
            for number, given in enumerate(step.entities):
                where: ModelPath = (*path, "entities", number)
                entity = self.entities.get(given.entity)
                if entity is None:
                    self._unknown_entity(given.entity, label, where)
                else:
                    self._check_roles(entity, given.role, given.group, label, where)
        elif isinstance(step, ActionStep):
            if step.action is not None:
                self._check_action(step.action, label, path)
        elif isinstance(step, ActiveLoopStep):
            loop = step.active_loop
            if loop is not None and loop not in self.forms and loop not in BUILTIN_LOOPS:
                self._unknown_form(loop, label, path)
        elif isinstance(step, SlotWasSetStep):
            for number, slot in enumerate(step.slots):
                self._check_slot_value(slot, label, (*path, "slots", number))
        elif isinstance(step, CheckpointStep):
            for number, slot in enumerate(step.slot_was_set):
                self._check_slot_value(slot, label, (*path, "slot_was_set", number))
        elif isinstance(step, OrStep):
            for number, alternative in enumerate(step.alternatives):
                self._check_step(alternative, label, (*path, "alternatives", number))

    def _check_action(self, name: str, label: str, path: ModelPath) -> None:
        is_response = name.startswith(RESPONSE_PREFIX)
        if is_response and (name in self.responses or name in self.retrieval_responses):
            return
        if not is_response and self._is_known_action(name):
            return
        if is_response:
            # Even when listed under ``actions:``, an ``utter_`` action is a response to say.
            self._report(
                "missing-response",
                f"{label} uses response '{name}', which is not defined"
                f"{_did_you_mean(name, self.responses)} Add a response '{name}' under "
                "`responses:` in the domain",
                path,
            )
            return
        custom = sorted(self.custom_actions | set(self.forms))
        self._report(
            "unknown-action",
            f"{label} uses action '{name}', which is not defined"
            f"{_did_you_mean(name, [*custom, *DEFAULT_ACTIONS, *self.responses])} Add it "
            "under `actions:` in the domain (or define a form of that name); declared "
            f"actions and forms: {_quoted(custom)}",
            path,
        )

    def _check_slot_value(self, given: SlotValue, label: str, path: ModelPath) -> None:
        if not self._is_known_slot(given.name):
            self._unknown_slot(given.name, label, path)
            return
        slot = self.slots.get(given.name)
        if (
            slot is not None
            and slot.type is SlotType.CATEGORICAL
            and given.value_given
            and given.value is not None
            and str(given.value).lower() not in {str(value).lower() for value in slot.values}
        ):
            self._report(
                "invalid-slot-value",
                f"{label} sets categorical slot '{slot.name}' to '{given.value}', which is "
                f"not one of its values; use one of {_quoted(slot.values)} or add it to the "
                "slot's `values:`",
                path,
                Severity.WARNING,
            )

    # -- contradictions ----------------------------------------------------------------

    def _check_contradictions(self) -> None:
        project = self.project
        segments = [
            segment
            for index, story in enumerate(project.stories)
            for segment in _segments(
                _block_label("story", story.name), ("stories", index), story.steps
            )
        ]
        self._check_checkpoints(segments)
        conversations, complete = self._unroll(segments)
        predictions = _Predictions()
        for events in conversations:
            predictions.add(self._states(events), self.max_history)
        if not complete:
            self._report(
                "story-check-limited",
                f"the stories unroll into more than {MAX_CONVERSATIONS} conversations "
                "(checkpoints and `or` steps multiply), so only that many were checked for "
                "contradictions; split long checkpoint chains to check them all",
                ("stories",),
                Severity.WARNING,
            )
        for conflict in predictions.conflicts():
            self._report_conflict("story-conflict", "stories", conflict)

        rule_predictions = _Predictions()
        for index, rule in enumerate(project.rules):
            label = _block_label("rule", rule.name)
            steps = self._rule_events(rule, label, ("rules", index))
            for alternative in _expand_steps(steps):
                states = self._states(alternative)
                rule_predictions.add(states, None, prefix=rule.conversation_start)
        for conflict in rule_predictions.conflicts():
            self._report_conflict("rule-conflict", "rules", conflict)

    def _report_conflict(self, code: str, kinds: str, conflict: _Conflict) -> None:
        (first_action, first), (second_action, second) = conflict.choices[:2]
        history = " → ".join(state.describe() for state in conflict.history if not state.is_start)
        last = conflict.history[-1]
        context = []
        if last.slots:
            context.append("slots " + ", ".join(f"{name}={value}" for name, value in last.slots))
        if last.active_loop:
            context.append(f"active loop '{last.active_loop}'")
        extra = f" ({'; '.join(context)})" if context else ""

        def predicted(action: str) -> str:
            return "waits for the user" if action == ACTION_LISTEN else f"runs '{action}'"

        others = "".join(
            f"; {origin.label}{self._where(origin.path, second.path)} {predicted(action)}"
            for action, origin in conflict.choices[2:]
        )
        self._report(
            code,
            f"{kinds} contradict each other after {history}{extra}: {second.label} "
            f"{predicted(second_action)} here, but {first.label}"
            f"{self._where(first.path, second.path)} "
            f"{predicted(first_action)}{others}. The policies cannot learn both; make the "
            f"{kinds} agree, or make their histories differ (another intent, entity or "
            "slot_was_set)",
            second.path,
        )

    def _check_checkpoints(self, segments: list[_Segment]) -> None:
        started = {cp.checkpoint for segment in segments for _, cp in segment.starts}
        ended = {cp.checkpoint for segment in segments for _, cp in segment.ends}
        reported: set[str] = set()
        for segment in segments:
            for path, checkpoint in segment.starts:
                name = checkpoint.checkpoint
                if name not in ended and name not in reported:
                    reported.add(name)
                    self._report(
                        "unused-checkpoint",
                        f"{segment.label} starts at checkpoint '{name}', but no story ends "
                        f"with it, so what follows is never trained"
                        f"{_did_you_mean(name, ended)} End another story with this "
                        "checkpoint or remove it",
                        path,
                        Severity.WARNING,
                    )
            for path, checkpoint in segment.ends:
                name = checkpoint.checkpoint
                if name not in started and name not in reported:
                    reported.add(name)
                    self._report(
                        "unused-checkpoint",
                        f"{segment.label} ends at checkpoint '{name}', but no story starts "
                        f"with it{_did_you_mean(name, started)} Start another story with "
                        "this checkpoint or remove it",
                        path,
                        Severity.WARNING,
                    )

    def _step_events(self, step: Step, label: str, path: ModelPath) -> list[list[_Event]]:
        """The alternative event sequences one step stands for."""
        if isinstance(step, UserStep):
            intent = step.intent or f"text: {step.user or ''}"
            return [[_UserEvent(intent, tuple(step.entities), _Origin(label, path))]]
        if isinstance(step, ActionStep):
            name = step.action if step.action is not None else f"text: {step.bot or ''}"
            return [[_ActionEvent(name, _Origin(label, path))]]
        if isinstance(step, ActiveLoopStep):
            return [[_LoopEvent(step.active_loop)]]
        if isinstance(step, SlotWasSetStep):
            return [[_slot_event(slot) for slot in step.slots]]
        if isinstance(step, OrStep):
            return [
                options[0]
                for number, alternative in enumerate(step.alternatives)
                if (
                    options := self._step_events(
                        alternative, label, (*path, "alternatives", number)
                    )
                )
            ]
        return [[]]

    def _rule_events(self, rule: Rule, label: str, path: ModelPath) -> list[list[list[_Event]]]:
        steps: list[list[list[_Event]]] = []
        for number, condition in enumerate(rule.condition):
            steps.append(self._step_events(condition, label, (*path, "condition", number)))
        for number, step in enumerate(rule.steps):
            steps.append(self._step_events(step, label, (*path, "steps", number)))
        if rule.wait_for_user_input and rule.steps:
            steps.append([[_ActionEvent(ACTION_LISTEN, _Origin(label, path))]])
        return steps

    def _unroll(self, segments: list[_Segment]) -> tuple[list[list[_Event]], bool]:
        """Every linear conversation the stories describe, and whether all were unrolled."""
        following: dict[str, list[_Segment]] = defaultdict(list)
        for segment in segments:
            for _, checkpoint in segment.starts:
                following[checkpoint.checkpoint].append(segment)
        variants = {
            id(segment): list(
                _expand_steps(
                    [self._step_events(step, segment.label, path) for path, step in segment.steps]
                )
            )
            for segment in segments
        }
        conversations: list[list[_Event]] = []
        complete = True

        def walk(segment: _Segment, prefix: list[_Event], visited: frozenset[int]) -> None:
            nonlocal complete
            for variant in variants[id(segment)]:
                if len(conversations) >= MAX_CONVERSATIONS:
                    complete = False
                    return
                events = prefix + variant
                if not segment.ends:
                    final = _Origin(segment.label, segment.last_path)
                    conversations.append([*events, _ActionEvent(ACTION_LISTEN, final)])
                    continue
                successors = [
                    nxt
                    for _, checkpoint in segment.ends
                    for nxt in following.get(checkpoint.checkpoint, [])
                    if id(nxt) not in visited and self._satisfies(nxt, events)
                ]
                if not successors:
                    conversations.append(events)
                for nxt in successors:
                    walk(nxt, events, visited | {id(nxt)})

        for segment in segments:
            if not segment.starts:
                walk(segment, [], frozenset({id(segment)}))
        return conversations, complete

    def _satisfies(self, segment: _Segment, events: list[_Event]) -> bool:
        """Whether the slot conditions of the checkpoints ``segment`` starts at hold."""
        conditions = [
            checkpoint.slot_was_set for _, checkpoint in segment.starts if checkpoint.slot_was_set
        ]
        if not conditions:
            return True
        slots = self._slot_values(events)
        return any(
            all(
                slots.get(slot.name) == slot.value
                if slot.value_given
                else slots.get(slot.name) is not None
                for slot in condition
            )
            for condition in conditions
        )

    def _slot_values(self, events: Iterable[_Event]) -> dict[str, Any]:
        slots: dict[str, Any] = {slot.name: slot.initial_value for slot in self.slots.values()}
        for event in events:
            if isinstance(event, _SlotEvent):
                slots[event.name] = event.value
            elif isinstance(event, _UserEvent):
                slots.update(self._slots_from_entities(event.entities))
            elif isinstance(event, _ActionEvent) and event.name == ACTION_RESTART:
                slots = {slot.name: slot.initial_value for slot in self.slots.values()}
        return slots

    def _slots_from_entities(self, entities: Sequence[StepEntity]) -> dict[str, Any]:
        """Slots an entity fills by itself (``from_entity`` mappings without a form)."""
        if not entities or not self.project.domain.store_entities_as_slots:
            return {}
        filled: dict[str, Any] = {}
        for slot in self.slots.values():
            values = [
                given.value if given.value_given else _FILLED
                for mapping in slot.mappings
                if mapping.type is MappingType.FROM_ENTITY
                and not any(condition.active_loop for condition in mapping.conditions)
                for given in entities
                if (given.entity, given.role, given.group)
                == (mapping.entity, mapping.role, mapping.group)
            ]
            if values:
                filled[slot.name] = values if slot.type is SlotType.LIST else values[-1]
        return filled

    def _states(self, events: Sequence[_Event]) -> list[tuple[_State, _ActionEvent]]:
        """The state before each action of a conversation, paired with that action."""
        intent: str | None = None
        entities: frozenset[str] = frozenset()
        previous: str | None = None
        loop: str | None = None
        slots: dict[str, Any] = {slot.name: slot.initial_value for slot in self.slots.values()}
        result: list[tuple[_State, _ActionEvent]] = []

        def act(action: _ActionEvent) -> None:
            nonlocal previous, intent, entities, loop, slots, result
            if action.name == ACTION_UNLIKELY_INTENT:
                return  # Rasa cannot learn it from stories, so it never conflicts
            state = _State(intent, entities, previous, loop, self._slot_features(slots))
            result.append((state, action))
            previous = action.name
            if action.name == ACTION_RESTART:
                intent, entities, previous, loop = None, frozenset(), None, None
                slots = {slot.name: slot.initial_value for slot in self.slots.values()}

        for event in events:
            if isinstance(event, _UserEvent):
                if previous != ACTION_LISTEN:
                    act(_ActionEvent(ACTION_LISTEN, event.origin))
                intent = event.intent
                entities = self._entity_features(event.intent, event.entities)
                slots.update(self._slots_from_entities(event.entities))
            elif isinstance(event, _ActionEvent):
                act(event)
            elif isinstance(event, _SlotEvent):
                slots[event.name] = event.value
            else:
                loop = event.name
        return result

    def _entity_features(self, intent: str, given: Sequence[StepEntity]) -> frozenset[str]:
        declared = self.use_entities.get(intent)
        wanted: set[str] | None = None  # None: every entity
        ignored: set[str] = set()
        if declared is not None:
            if declared.use_entities is False:
                return frozenset()
            if isinstance(declared.use_entities, list):
                wanted = set(declared.use_entities)
            ignored = set(declared.ignore_entities)
        tags: set[str] = set()
        for entity in given:
            known = self.entities.get(entity.entity)
            if known is not None and not known.influence_conversation:
                continue
            if entity.entity in ignored or (wanted is not None and entity.entity not in wanted):
                continue
            tags.add(entity.entity)
            if entity.role:
                tags.add(f"{entity.entity}#{entity.role}")
            if entity.group:
                tags.add(f"{entity.entity}#{entity.group}")
        return frozenset(tags)

    def _slot_features(self, values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
        features = []
        for slot in self.influential_slots:
            feature = _slot_feature(slot, values.get(slot.name))
            if feature is not None:
                features.append((slot.name, feature))
        return tuple(features)


def _slot_event(slot: SlotValue) -> _SlotEvent:
    return _SlotEvent(slot.name, slot.value if slot.value_given else _FILLED)


def _slot_feature(slot: Slot, value: Any) -> Any:
    """What a policy sees of a slot's value, as Rasa featurizes each slot type."""
    if value is None:
        return None
    if slot.type is SlotType.BOOL:
        return str(value).lower() in {"true", "1", "yes", "y", "on", _FILLED}
    if slot.type is SlotType.CATEGORICAL:
        text = str(value).lower()
        return text if text in {str(v).lower() for v in slot.values} else "__other__"
    if slot.type is SlotType.FLOAT:
        low = slot.min_value if slot.min_value is not None else 0.0
        high = slot.max_value if slot.max_value is not None else 1.0
        try:
            number = float(value)
        except (TypeError, ValueError):
            return "set"
        return min(max(number, low), high)
    if slot.type is SlotType.LIST:
        return bool(value) or None
    if slot.type is SlotType.ANY:
        return None
    return True


def _expand_steps(steps: list[list[list[_Event]]]) -> Iterator[list[_Event]]:
    """Each combination of the alternatives of ``steps``, flattened, at most
    :data:`MAX_CONVERSATIONS` of them."""
    combos = itertools.islice(itertools.product(*steps), MAX_CONVERSATIONS)
    for combo in combos:
        yield [event for part in combo for event in part]


@dataclass
class _Conflict:
    history: tuple[_State, ...]
    choices: list[tuple[str, _Origin]]


class _Predictions:
    """Which action follows each history; a history with two actions is a conflict."""

    def __init__(self) -> None:
        self._next: dict[tuple[Any, ...], dict[str, _Origin]] = {}

    def add(
        self,
        states: Sequence[tuple[_State, _ActionEvent]],
        max_history: int | None,
        prefix: object = None,
    ) -> None:
        history: list[_State] = []
        for state, action in states:
            history.append(state)
            window = history if max_history is None else history[-max_history:]
            key = (prefix, *window)
            actions = self._next.setdefault(key, {})
            actions.setdefault(action.name, action.origin)

    def conflicts(self) -> Iterator[_Conflict]:
        seen: set[frozenset[tuple[str, ModelPath]]] = set()
        for key, actions in self._next.items():
            if len(actions) < 2:
                continue
            history = tuple(state for state in key[1:] if isinstance(state, _State))
            if not history or history[-1].is_start:
                continue  # what a conversation starts with is not learnt from history
            choices = list(actions.items())
            identity = frozenset((action, origin.path) for action, origin in choices)
            if identity in seen:
                continue
            seen.add(identity)
            yield _Conflict(history, choices)
