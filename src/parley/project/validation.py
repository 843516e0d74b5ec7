"""Cross-file checks of a project whose files all read cleanly.

The reader checks each file against its schema; this module checks that the files agree
with each other: every intent, entity, slot, form, action and response a story, rule,
test, mapping or response refers to is declared, and examples do not teach two intents.
Whether stories and rules contradict each other is checked by
:mod:`parley.project.story_conflicts`; :func:`validate_project` reports both.

Severities: what breaks training or a conversation is an error (a story using an
undeclared intent, action, slot, form or entity; a response that does not exist); what is
suspicious but trains and runs is a warning (an intent without examples, an annotation or
slot mapping naming an undeclared entity or intent, the same example under two intents).
``rasa data validate`` fails on a few of the latter too, but Rasa trains and serves such
projects, and real assistants (Rasa's own demos among them) contain them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence

from parley.core.domain import Entity, Form, MappingType, Slot, SlotMapping, SlotType
from parley.core.problem import Problem, Severity
from parley.core.story import (
    ActionStep,
    ActiveLoopStep,
    CheckpointStep,
    OrStep,
    Rule,
    SlotValue,
    SlotWasSetStep,
    Step,
    Story,
    UserStep,
)
from parley.project.findings import Findings, block_label, did_you_mean, quoted
from parley.project.project import Project
from parley.project.source_map import ModelPath, SourceMap
from parley.project.story_conflicts import DEFAULT_MAX_HISTORY, find_story_conflicts

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

_PLACEHOLDER = re.compile(r"(?<!\{)\{([^\n{}]+?)\}(?!\})")
_NAME = re.compile(r"[A-Za-z_][\w.-]*")


def validate_project(
    project: Project, sources: SourceMap, *, max_history: int = DEFAULT_MAX_HISTORY
) -> list[Problem]:
    """Every cross-file problem of ``project``, located through ``sources``.

    ``max_history`` is how many past dialogue states the story contradiction check compares.
    """
    # First, so that a bad ``max_history`` fails before any other check runs.
    conflicts = find_story_conflicts(project, sources, max_history=max_history)
    return _Validator(project, sources).run() + conflicts


# ---------------------------------------------------------------------------------------
# Message helpers


def _examples(paths: Sequence[ModelPath]) -> str:
    return "an example" if len(paths) == 1 else f"{len(paths)} examples (first here)"


# ---------------------------------------------------------------------------------------


class _Validator:
    def __init__(self, project: Project, sources: SourceMap) -> None:
        self.project = project
        self.findings = Findings(sources)

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

    def run(self) -> list[Problem]:
        self._check_intents()
        self._check_examples()
        self._check_nlu_entities()
        self._check_slots()
        self._check_forms()
        self._check_responses()
        self._check_declared_actions()
        self._check_blocks()
        return self.findings.problems

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
        self.findings.report(
            "unknown-intent",
            f"{user} uses intent '{name}', which is not in the domain"
            f"{did_you_mean(name, self.known_intents)} Add '{name}' under `intents:` in the "
            f"domain or use a declared intent: {quoted(sorted(self.domain_intents))}",
            path,
            severity,
        )

    def _unknown_entity(
        self, name: str, user: str, path: ModelPath, severity: Severity = Severity.ERROR
    ) -> None:
        self.findings.report(
            "unknown-entity",
            f"{user} uses entity '{name}', which is not in the domain"
            f"{did_you_mean(name, self.entities)} Add '{name}' under `entities:` in the "
            f"domain or use a declared entity: {quoted(sorted(self.entities))}",
            path,
            severity,
        )

    def _unknown_slot(
        self, name: str, user: str, path: ModelPath, severity: Severity = Severity.ERROR
    ) -> None:
        self.findings.report(
            "unknown-slot",
            f"{user} uses slot '{name}', which is not in the domain"
            f"{did_you_mean(name, self.slots)} Add '{name}' under `slots:` in the domain "
            f"or use a declared slot: {quoted(sorted(self.slots))}",
            path,
            severity,
        )

    def _unknown_form(self, name: str, user: str, path: ModelPath) -> None:
        self.findings.report(
            "unknown-form",
            f"{user} names '{name}' as active loop, but it is not a form"
            f"{did_you_mean(name, [*self.forms, *BUILTIN_LOOPS])} Add '{name}' under "
            f"`forms:` in the domain or use a declared form: {quoted(sorted(self.forms))}",
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
                self.findings.report(
                    code,
                    f"{user} gives entity '{entity.name}' the {what} '{value}', which the "
                    f"domain does not declare for it{did_you_mean(value, declared)} Add "
                    f"'{value}' to the entity's `{what}s:` in the domain; declared {what}s: "
                    f"{quoted(declared)}",
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
            self.findings.report(
                "intent-not-in-domain",
                f"intent '{name}' has NLU examples but is not in the domain"
                f"{did_you_mean(name, self.domain_intents)} Add '{name}' under `intents:` in "
                "the domain, or move the examples to a declared intent: "
                f"{quoted(sorted(self.domain_intents))}",
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
            self.findings.report(
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
                self.findings.report(
                    "repeated-example",
                    f"the example '{text}' appears twice under intent '{example.intent}' "
                    f"(first{self.findings.where(('nlu', 'examples', first), here)}); "
                    "remove one of them",
                    here,
                    Severity.WARNING,
                )
                continue
            if intents:
                listed = ", ".join(
                    f"'{intent}'{self.findings.where(('nlu', 'examples', at), here)}"
                    for intent, at in intents.items()
                )
                self.findings.report(
                    "duplicate-example",
                    f"the example '{text}' is under intent '{example.intent}' here and under "
                    f"{listed}; an example can teach only one intent, so keep it under one of "
                    f"{quoted([*intents, example.intent])} and remove the others",
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
            self.findings.report(
                "entity-not-in-domain",
                f"entity '{name}' is annotated in {_examples(paths)} but is not in the "
                f"domain{did_you_mean(name, self.entities)} Add it under `entities:` in the "
                "domain so the assistant can use it; declared entities: "
                f"{quoted(sorted(self.entities))}",
                paths[0],
                Severity.WARNING,
            )
        for (name, what, value), paths in undeclared_parts.items():
            declared = getattr(self.entities[name], f"{what}s")
            self.findings.report(
                f"unknown-entity-{what}",
                f"entity '{name}' has the {what} '{value}' in {_examples(paths)}, but the "
                f"domain does not declare it{did_you_mean(value, declared)} Add '{value}' to "
                f"the entity's `{what}s:` in the domain; declared {what}s: {quoted(declared)}",
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
                    self.findings.report(
                        "invalid-initial-value",
                        f"categorical slot '{slot.name}' has the initial value "
                        f"'{slot.initial_value}', which is not one of its values; use one "
                        f"of {quoted(slot.values)} or add it to `values:`",
                        (*path, "initial_value"),
                    )
            if (
                slot.type is SlotType.FLOAT
                and slot.min_value is not None
                and slot.max_value is not None
                and slot.min_value > slot.max_value
            ):
                self.findings.report(
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
            self.findings.report(
                "unknown-action",
                f"{user} runs action '{mapping.action}', which is not defined"
                f"{did_you_mean(mapping.action, self.custom_actions)} Add it under "
                f"`actions:` in the domain; declared actions: "
                f"{quoted(sorted(self.custom_actions))}",
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
                    self.findings.report(
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
        self.findings.report(
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
                        self.findings.report(
                            "response-unknown-slot",
                            f"{user} fills in '{{{placeholder}}}', but there is no slot "
                            f"'{placeholder}'{did_you_mean(placeholder, self.slots)} Unless a "
                            "custom action passes this value, add the slot or fix the name; "
                            f"declared slots: {quoted(sorted(self.slots))}",
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
                self.findings.report(
                    "action-without-response",
                    f"action '{name}' is declared but there is no response '{name}'"
                    f"{did_you_mean(name, self.responses)} Add a response '{name}' under "
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
            label = block_label(kind, block.name)
            if not block.steps:
                self.findings.report(
                    "empty-rule" if isinstance(block, Rule) else "empty-story",
                    f"{label} has no steps; add its steps (`steps:` with user and action "
                    "steps) or remove it",
                    path,
                )
            first = names.setdefault((kind, block.name), path)
            if first != path:
                self.findings.report(
                    "duplicate-story-name",
                    f"{label} has the same name as an earlier {kind}"
                    f"{self.findings.where(first, path)}; give each a distinct name so reports "
                    "and test results can tell them apart",
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
            self.findings.report(
                "missing-response",
                f"{label} uses response '{name}', which is not defined"
                f"{did_you_mean(name, self.responses)} Add a response '{name}' under "
                "`responses:` in the domain",
                path,
            )
            return
        custom = sorted(self.custom_actions | set(self.forms))
        self.findings.report(
            "unknown-action",
            f"{label} uses action '{name}', which is not defined"
            f"{did_you_mean(name, [*custom, *DEFAULT_ACTIONS, *self.responses])} Add it "
            "under `actions:` in the domain (or define a form of that name); declared "
            f"actions and forms: {quoted(custom)}",
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
            self.findings.report(
                "invalid-slot-value",
                f"{label} sets categorical slot '{slot.name}' to '{given.value}', which is "
                f"not one of its values; use one of {quoted(slot.values)} or add it to the "
                "slot's `values:`",
                path,
                Severity.WARNING,
            )
