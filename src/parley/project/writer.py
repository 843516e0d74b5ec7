"""Writing a project as a canonical Rasa 3.x project folder (export).

::

    domain.yml                    always
    config.yml                    always
    data/nlu.yml                  examples, synonyms, regexes, lookup tables
    data/stories.yml, data/rules.yml
    tests/test_stories.yml        conversation tests (stories and rules)
    tests/test_nlu.yml            NLU test examples
    endpoints.yml, credentials.yml

Files with nothing in them are left out, except the domain and the configuration. Reading
the folder back gives a project equal to the one written; that is what the ``dump_*``
functions are built for, and the round-trip tests hold them to it. They also serve the
platform's API, which shows a project's parts as files.
"""

from __future__ import annotations

import io
import math
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from enum import Enum
from itertools import groupby
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from parley.core.domain import (
    Button,
    Domain,
    Entity,
    Form,
    Intent,
    ResponseVariation,
    Slot,
    SlotMapping,
    SlotType,
)
from parley.core.problem import Location, Problem
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
from parley.core.training_data import Example, NLUData
from parley.errors import ProjectError
from parley.project.annotation import render_annotated
from parley.project.config import ComponentSpec, ModelConfig
from parley.project.project import Project, TestData
from parley.project.training_data_file import EXAMPLE_STRIP

FORMAT_VERSION = "3.1"
"""The ``version`` written at the top of every domain and training data file."""

DOMAIN = Path("domain.yml")
CONFIG = Path("config.yml")
NLU = Path("data/nlu.yml")
STORIES = Path("data/stories.yml")
RULES = Path("data/rules.yml")
TEST_STORIES = Path("tests/test_stories.yml")
TEST_NLU = Path("tests/test_nlu.yml")
ENDPOINTS = Path("endpoints.yml")
CREDENTIALS = Path("credentials.yml")
WRITTEN_FILES = (
    DOMAIN,
    CONFIG,
    NLU,
    STORIES,
    RULES,
    TEST_STORIES,
    TEST_NLU,
    ENDPOINTS,
    CREDENTIALS,
)
"""Every file :func:`write_project` may write, relative to the project folder."""

_YAML_SUFFIXES = (".yml", ".yaml")


def write_project(project: Project, root: Path | str, *, overwrite: bool = False) -> list[Path]:
    """Write ``project`` into the folder ``root`` and return the paths written.

    ``root`` is created if needed. A folder that already holds project files is refused
    unless ``overwrite`` is given; then the files this function writes are replaced, and
    those it would write but the project has nothing for are removed, so the folder holds
    exactly ``project``. Other project files (more files under ``data/``, a ``domain/``
    folder, …) are never deleted: their presence is an error.
    Everything is rendered before the first file is touched, so a project that cannot be
    written leaves the folder as it was. Raises :class:`ProjectError`.
    """
    root = Path(root)
    texts = render_project(project)
    _check_target(root, overwrite=overwrite)
    written: list[Path] = []
    for relative, text in texts.items():
        path = root / relative
        _write_file(path, text)
        written.append(path)
    for relative in WRITTEN_FILES:
        path = root / relative
        if relative not in texts and path.is_file():
            path.unlink()
    return written


def render_project(project: Project) -> dict[Path, str]:
    """The text of every file :func:`write_project` writes, keyed by relative path."""
    texts: dict[Path, str] = {}
    problems: list[Problem] = []

    def add(relative: Path, render: Any, *args: Any) -> None:
        try:
            texts[relative] = render(*args)
        except ProjectError as error:
            problems.extend(_placed(p, relative) for p in error.problems)

    add(DOMAIN, dump_domain, project.domain)
    add(CONFIG, dump_config, project.config)
    if _has_nlu(project.nlu):
        add(NLU, dump_nlu, project.nlu)
    if project.stories:
        add(STORIES, dump_stories, project.stories)
    if project.rules:
        add(RULES, dump_rules, project.rules)
    if project.tests.stories or project.tests.rules:
        add(TEST_STORIES, dump_test_stories, project.tests)
    if _has_nlu(project.tests.nlu):
        add(TEST_NLU, dump_nlu, project.tests.nlu)
    if project.endpoints is not None:
        add(ENDPOINTS, dump_yaml, project.endpoints)
    if project.credentials is not None:
        add(CREDENTIALS, dump_yaml, project.credentials)
    if problems:
        raise ProjectError(
            problems, summary=f"the project cannot be written: {len(problems)} error(s)"
        )
    return texts


# -- domain -------------------------------------------------------------------------------


def dump_domain(domain: Domain) -> str:
    """``domain.yml``: only what differs from the defaults, except slot ``mappings``, which
    Rasa 3.x requires on every slot."""
    problems = list(_repeated_names(domain))
    if problems:
        raise ProjectError(problems, summary="the domain cannot be written")
    return _emit(domain_document(domain))


def domain_document(domain: Domain) -> dict[str, Any]:
    """The domain as the document ``domain.yml`` holds (strings may be ruamel subclasses
    of ``str``, so it also serializes as JSON — the domain Rasa sends action servers)."""
    doc: dict[str, Any] = {"version": DoubleQuotedScalarString(FORMAT_VERSION)}
    if not domain.store_entities_as_slots:
        doc["config"] = {"store_entities_as_slots": False}
    if domain.intents:
        doc["intents"] = [_intent(intent) for intent in domain.intents]
    if domain.entities:
        doc["entities"] = [_entity(entity) for entity in domain.entities]
    if domain.slots:
        doc["slots"] = {slot.name: _slot(slot) for slot in domain.slots}
    if domain.responses:
        doc["responses"] = {
            name: [_variation(v) for v in variations]
            for name, variations in domain.responses.items()
        }
    if domain.actions:
        doc["actions"] = [
            {action.name: {"send_domain": True}} if action.send_domain else action.name
            for action in domain.actions
        ]
    if domain.forms:
        doc["forms"] = {form.name: _form(form) for form in domain.forms}
    if domain.e2e_actions:
        doc["e2e_actions"] = [_text(action) for action in domain.e2e_actions]
    session = domain.session_config
    doc["session_config"] = {
        "session_expiration_time": _number(session.session_expiration_time),
        "carry_over_slots_to_new_session": session.carry_over_slots_to_new_session,
    }
    return doc


def _repeated_names(domain: Domain) -> Iterator[Problem]:
    """A name declared twice: readers keep one of the two (slots and forms are keyed by
    name, so the file could not even hold both)."""
    for kind, names in (
        ("intent", domain.intent_names),
        ("entity", domain.entity_names),
        ("slot", domain.slot_names),
        ("action", domain.action_names),
        ("form", domain.form_names),
        ("end-to-end bot text", domain.e2e_actions),
    ):
        for name, count in Counter(names).items():
            if count > 1:
                yield Problem(
                    "unwritable-domain",
                    f"{kind} {name!r} is declared {count} times; a domain declares each "
                    "name once, so merge them into one",
                )


def _intent(intent: Intent) -> str | dict[str, Any]:
    options: dict[str, Any] = {}
    if intent.use_entities is not True:
        options["use_entities"] = intent.use_entities
    if intent.ignore_entities:
        options["ignore_entities"] = intent.ignore_entities
    return {intent.name: options} if options else intent.name


def _entity(entity: Entity) -> str | dict[str, Any]:
    options: dict[str, Any] = {}
    if entity.roles:
        options["roles"] = entity.roles
    if entity.groups:
        options["groups"] = entity.groups
    if not entity.influence_conversation:
        options["influence_conversation"] = False
    return {entity.name: options} if options else entity.name


def _slot(slot: Slot) -> dict[str, Any]:
    fields: dict[str, Any] = {"type": slot.type.value}
    # Like Rasa, readers default `influence_conversation` to false for `any` slots only.
    if slot.influence_conversation != (slot.type is not SlotType.ANY):
        fields["influence_conversation"] = slot.influence_conversation
    if slot.initial_value is not None:
        fields["initial_value"] = _data(slot.initial_value)
    if slot.values:
        fields["values"] = [_text(value) for value in slot.values]
    if slot.min_value is not None:
        fields["min_value"] = _number(slot.min_value)
    if slot.max_value is not None:
        fields["max_value"] = _number(slot.max_value)
    fields["mappings"] = [_mapping(mapping) for mapping in slot.mappings]
    return fields


def _mapping(mapping: SlotMapping) -> dict[str, Any]:
    fields: dict[str, Any] = {"type": mapping.type.value}
    for key in ("entity", "role", "group"):
        if (value := getattr(mapping, key)) is not None:
            fields[key] = value
    for key in ("intent", "not_intent"):
        names: list[str] = getattr(mapping, key)
        if names:
            fields[key] = names[0] if len(names) == 1 else names
    if mapping.value is not None:
        fields["value"] = _data(mapping.value)
    if mapping.action is not None:
        fields["action"] = mapping.action
    if mapping.conditions:
        fields["conditions"] = [
            condition.model_dump(exclude_none=True) for condition in mapping.conditions
        ]
    return fields


def _variation(variation: ResponseVariation) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if variation.text is not None:
        fields["text"] = _text(variation.text)
    if variation.image is not None:
        fields["image"] = _text(variation.image)
    if variation.buttons:
        fields["buttons"] = [_button(button) for button in variation.buttons]
    if variation.custom is not None:
        fields["custom"] = _data(variation.custom)
    if variation.channel is not None:
        fields["channel"] = variation.channel
    if variation.condition:
        fields["condition"] = [
            {"type": c.type, "name": c.name, "value": _data(c.value)} for c in variation.condition
        ]
    if variation.id is not None:
        fields["id"] = variation.id
    if variation.metadata:
        fields["metadata"] = _data(variation.metadata)
    for key, value in (variation.model_extra or {}).items():
        fields[key] = _data(value)
    return fields


def _button(button: Button) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": _text(button.title)}
    if button.payload is not None:
        fields["payload"] = _text(button.payload)
    for key, value in (button.model_extra or {}).items():
        fields[key] = _data(value)
    return fields


def _form(form: Form) -> dict[str, Any]:
    fields: dict[str, Any] = {"required_slots": form.required_slots}
    if form.ignored_intents:
        fields["ignored_intents"] = form.ignored_intents
    return fields


# -- NLU data -----------------------------------------------------------------------------


def dump_nlu(nlu: NLUData) -> str:
    """``data/nlu.yml``: one ``- intent:`` item per run of consecutive examples of an
    intent, so the examples read back in exactly their order."""
    items: list[dict[str, Any]] = []
    problems: list[Problem] = []
    position = 0
    for intent, group in groupby(nlu.examples, key=lambda example: example.intent):
        run = list(group)
        if intent is None:
            problems.append(
                Problem(
                    "unwritable-example",
                    f"example {position} ({run[0].text!r}) has no intent; NLU files list "
                    "examples under their intent, so give it one",
                )
            )
        else:
            item: dict[str, Any] = {"intent": intent}
            if intent in nlu.intent_metadata:
                item["metadata"] = _data(nlu.intent_metadata[intent])
            item["examples"] = _examples(run, position, problems)
            items.append(item)
        position += len(run)
    written = set(nlu.intents)
    for intent, metadata in nlu.intent_metadata.items():
        if intent not in written:  # metadata of an intent whose examples are elsewhere
            items.append({"intent": intent, "metadata": _data(metadata), "examples": ""})
    for kind, name, values in (
        *(("synonym", s.value, s.examples) for s in nlu.synonyms),
        *(("regex", r.name, r.patterns) for r in nlu.regexes),
        *(("lookup", t.name, t.elements) for t in nlu.lookups),
    ):
        items.append({kind: name, "examples": _entries(kind, name, values, problems)})
    if problems:
        raise ProjectError(problems, summary="the NLU data cannot be written")
    doc = {"version": DoubleQuotedScalarString(FORMAT_VERSION), "nlu": items}
    return _emit(doc, spaced_items=True)


def _examples(run: list[Example], position: int, problems: list[Problem]) -> Any:
    """The examples of one run: Rasa's ``- text`` lines when every example fits on one,
    else the list form, which holds any text and per-example metadata."""
    texts: list[str] = []
    for offset, example in enumerate(run):
        if example.text == "" or example.text.strip(EXAMPLE_STRIP) != example.text:
            problems.append(
                Problem(
                    "unwritable-example",
                    f"example {position + offset} ({example.text!r}) is empty or has spaces or "
                    "line breaks around it, which readers strip, as Rasa does; remove them",
                )
            )
        try:
            texts.append(render_annotated(example.text, example.entities))
        except ValueError as error:
            problems.append(Problem("unwritable-example", f"example {position + offset}: {error}"))
            texts.append(example.text)
    if all(example.metadata is None for example in run) and all(map(_fits_line, texts)):
        return _lines(texts)
    listed: list[dict[str, Any]] = []
    for text, example in zip(texts, run, strict=True):
        entry: dict[str, Any] = {"text": _text(text)}
        if example.metadata is not None:
            entry["metadata"] = _data(example.metadata)
        listed.append(entry)
    return listed


def _entries(kind: str, name: str, values: Sequence[str], problems: list[Problem]) -> str:
    """The ``examples`` of a synonym, regex or lookup table, which must be ``- value`` lines."""
    for value in values:
        if not _fits_entry(value):
            problems.append(
                Problem(
                    "unwritable-value",
                    f"{kind} {name!r}: {value!r} cannot be written, because an entry is one "
                    "line and readers strip spaces and line breaks around it; remove them",
                )
            )
    return _lines(values)


def _lines(values: Sequence[str]) -> str:
    """``- value`` lines as a literal block, or double-quoted when a value has characters a
    literal block cannot hold (readers split either on newlines)."""
    content = "".join(f"- {value}\n" for value in values)
    if all(map(_fits_line, values)):
        block: str = LiteralScalarString(content)
        return block
    return content


def _has_nlu(nlu: NLUData) -> bool:
    return bool(nlu.examples or nlu.synonyms or nlu.regexes or nlu.lookups or nlu.intent_metadata)


# -- stories and rules --------------------------------------------------------------------


def dump_stories(stories: Sequence[Story]) -> str:
    """``data/stories.yml``."""
    return _emit(_dialogue_doc(stories=stories), spaced_items=True)


def dump_rules(rules: Sequence[Rule]) -> str:
    """``data/rules.yml``."""
    return _emit(_dialogue_doc(rules=rules), spaced_items=True)


def dump_test_stories(tests: TestData) -> str:
    """``tests/test_stories.yml``: the test stories and test rules in one file."""
    if not tests.rules:
        return dump_stories(tests.stories)
    if not tests.stories:
        return dump_rules(tests.rules)
    return _emit(_dialogue_doc(stories=tests.stories, rules=tests.rules), spaced_items=True)


def _dialogue_doc(
    *, stories: Sequence[Story] | None = None, rules: Sequence[Rule] | None = None
) -> dict[str, Any]:
    problems = [
        *_unwritable_steps("story", stories or []),
        *_unwritable_steps("rule", rules or []),
    ]
    if problems:
        raise ProjectError(problems, summary="the stories and rules cannot be written")
    doc: dict[str, Any] = {"version": DoubleQuotedScalarString(FORMAT_VERSION)}
    if stories is not None:
        doc["stories"] = [_story(story) for story in stories]
    if rules is not None:
        doc["rules"] = [_rule(rule) for rule in rules]
    return doc


def _unwritable_steps(kind: str, blocks: Sequence[Story | Rule]) -> Iterator[Problem]:
    for index, block in enumerate(blocks):
        for number, step in enumerate(block.steps):
            for fault in _step_faults(step, in_rule=kind == "rule"):
                yield Problem(
                    "unwritable-step", f"{kind} {index} ({block.name!r}), step {number}: {fault}"
                )


def _step_faults(step: Step, *, in_rule: bool) -> Iterator[str]:
    """Why ``step`` would not read back as it is: what readers refuse or change."""
    match step:
        case UserStep():
            if step.intent is not None and step.intent.startswith("/"):
                yield (
                    f"the intent {step.intent!r} starts with `/`, which readers drop, as Rasa "
                    "does for `/greet`; name the intent without it"
                )
            if step.user is not None and (step.user.strip() != step.user or not step.user):
                yield (
                    f"the user text {step.user!r} is empty or has spaces or line breaks around "
                    "it, which readers strip, as Rasa does; remove them"
                )
        case ActionStep() if step.action is not None and step.bot is not None:
            yield "it has both an action and a bot text; a step is one of the two, so make it two"
        case CheckpointStep() if in_rule:
            yield "a rule cannot have checkpoints, which join stories; use a story for it"
        case OrStep():
            if not step.alternatives:
                yield "the `or` has no alternatives; give it at least one, or remove it"
            for alternative in step.alternatives:
                yield from _step_faults(alternative, in_rule=in_rule)


def _story(story: Story) -> dict[str, Any]:
    fields: dict[str, Any] = {"story": _text(story.name)}
    if story.metadata is not None:
        fields["metadata"] = _data(story.metadata)
    fields["steps"] = [_step(step) for step in story.steps]
    return fields


def _rule(rule: Rule) -> dict[str, Any]:
    fields: dict[str, Any] = {"rule": _text(rule.name)}
    if rule.metadata is not None:
        fields["metadata"] = _data(rule.metadata)
    if rule.condition:
        fields["condition"] = [_step(step) for step in rule.condition]
    if rule.conversation_start:
        fields["conversation_start"] = True
    fields["steps"] = [_step(step) for step in rule.steps]
    if not rule.wait_for_user_input:
        fields["wait_for_user_input"] = False
    return fields


def step_document(step: Step) -> dict[str, Any]:
    """One story step as ``stories:`` YAML holds it (conversation-test reports use it)."""
    return _step(step)


def _step(step: Step) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    match step:
        case UserStep():
            if step.intent is not None or step.user is None:
                fields["intent"] = step.intent
            if step.user is not None:
                fields["user"] = _text(step.user)
            if step.entities:
                fields["entities"] = [_step_entity(entity) for entity in step.entities]
            if step.metadata is not None:
                fields["metadata"] = _data(step.metadata)
        case ActionStep():
            if step.action is not None or step.bot is None:
                fields["action"] = step.action
            if step.bot is not None:
                fields["bot"] = _text(step.bot)
            if step.metadata is not None:
                fields["metadata"] = _data(step.metadata)
        case ActiveLoopStep():
            fields["active_loop"] = step.active_loop
        case SlotWasSetStep():
            fields["slot_was_set"] = [_slot_value(slot) for slot in step.slots]
        case CheckpointStep():
            fields["checkpoint"] = step.checkpoint
            if step.slot_was_set:
                fields["slot_was_set"] = [_slot_value(slot) for slot in step.slot_was_set]
        case OrStep():
            fields["or"] = [_step(alternative) for alternative in step.alternatives]
    return fields


_ENTITY_KEYS = frozenset({"entity", "value", "role", "group"})


def _step_entity(entity: StepEntity) -> str | dict[str, Any]:
    # An entity named like a key of the long form must use the long form to be read back.
    if entity.role is None and entity.group is None and entity.entity not in _ENTITY_KEYS:
        return {entity.entity: _data(entity.value)} if entity.value_given else entity.entity
    fields: dict[str, Any] = {"entity": entity.entity}
    if entity.value_given:
        fields["value"] = _data(entity.value)
    if entity.role is not None:
        fields["role"] = entity.role
    if entity.group is not None:
        fields["group"] = entity.group
    return fields


def _slot_value(slot: SlotValue) -> str | dict[str, Any]:
    return {slot.name: _data(slot.value)} if slot.value_given else slot.name


# -- configuration and other files --------------------------------------------------------


def dump_config(config: ModelConfig) -> str:
    """``config.yml``: each component as ``- name: X`` followed by its options."""
    named = [
        component
        for component in [*(config.pipeline or []), *(config.policies or [])]
        if "name" in component.options
    ]
    if named:
        raise ProjectError(
            [
                Problem(
                    "unwritable-component",
                    f"component {component.name!r} has an option called `name`, which the "
                    "file uses for the component's own name; rename the option",
                )
                for component in named
            ],
            summary="the configuration cannot be written",
        )
    doc: dict[str, Any] = {}
    if config.recipe is not None:
        doc["recipe"] = config.recipe
    if config.language is not None:
        doc["language"] = config.language
    if config.pipeline is not None:
        doc["pipeline"] = [_component(component) for component in config.pipeline]
    if config.policies is not None:
        doc["policies"] = [_component(component) for component in config.policies]
    if config.assistant_id is not None:
        doc["assistant_id"] = config.assistant_id
    return _emit(doc)


def _component(component: ComponentSpec) -> dict[str, Any]:
    return {"name": component.name, **_data(component.options)}


def dump_yaml(data: Any) -> str:
    """Any plain data (``endpoints.yml``, ``credentials.yml``) in the same style."""
    return _emit(_data(data))


# -- YAML ---------------------------------------------------------------------------------


# Words YAML 1.1 reads as booleans. Parley and Rasa read YAML 1.2, where they are strings,
# but quoting them keeps `title: 'Yes'` a string for every other tool too.
_YAML11_BOOLEANS = frozenset({"y", "n", "yes", "no", "on", "off"})


class _Representer(RoundTripRepresenter):
    """Round-trip style, with ``null`` written out rather than left empty, and no anchors:
    models share lists after ``model_copy``, which must not turn into ``&id001``/``*id001``."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent_none(self, data: Any) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:null", "null")

    def represent_str(self, data: Any) -> Any:
        if "\n" in data or _BLOCK_SAFE.fullmatch(data) is None:
            # Double quotes escape everything. ruamel would write some line separators
            # (U+0085, U+2028, ...) raw inside other quotes, where readers fold them.
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        if data.lower() in _YAML11_BOOLEANS:
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        return super().represent_str(data)


_Representer.add_representer(type(None), _Representer.represent_none)
_Representer.add_representer(str, _Representer.represent_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)  # round-trip mode reads and writes YAML 1.2
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = sys.maxsize  # never fold a line: example texts must stay one per line
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def _emit(doc: Any, *, spaced_items: bool = False) -> str:
    stream = io.StringIO()
    _yaml().dump(doc, stream)
    return _spaced(stream.getvalue(), items=spaced_items)


def _spaced(text: str, *, items: bool) -> str:
    """Add a blank line before each top-level key and, with ``items``, between top-level
    list items that span several lines (stories, NLU items), as Rasa lays out its files.

    Safe because lines at column 0 never belong to a scalar (block scalars are indented,
    and no line is folded), and no block scalar keeps trailing blank lines (see `_text`).
    """
    out: list[str] = []
    previous_lines = 0  # lines of the previous top-level entry
    for line in text.splitlines(keepends=True):
        starts_entry = line[:1] not in ("", " ", "\n", "?", ":")  # `? key` `: value` pairs
        if starts_entry:
            is_key = not line.startswith("- ")
            if out and (is_key or (items and previous_lines > 1)):
                out.append("\n")
            previous_lines = 0
        previous_lines += 1
        out.append(line)
    return "".join(out)


def _text(value: str) -> str:
    """A string as it reads best: a literal block when it spans lines and one can hold it
    exactly, else as the representer writes any string."""
    if "\n" in value and _fits_block(value):
        literal: str = LiteralScalarString(value)
        return literal
    return value


# YAML's printable characters minus those that a reader may turn into a plain newline.
_BLOCK_SAFE = re.compile(
    "[\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)


def _fits_block(value: str) -> bool:
    lines = value.split("\n")
    if value.endswith("\n"):
        lines.pop()
    return (
        _BLOCK_SAFE.fullmatch(value) is not None
        and bool(value.strip())
        and not value.endswith("\n\n")  # would need `|+`, whose trailing lines are fragile
        and not value.startswith("\n")
        and all(line == line.rstrip(" \t") for line in lines)
    )


def _fits_entry(text: str) -> bool:
    """Whether ``- text`` as a line of an ``examples`` string reads back as ``text``: one
    line, nothing that Rasa's readers strip (spaces, CR, LF) at either end."""
    return text != "" and "\n" not in text and text.strip(EXAMPLE_STRIP) == text


def _fits_line(text: str) -> bool:
    """Whether ``- text`` can also stand in a literal block, which is how people write it."""
    return _fits_entry(text) and text == text.strip() and _BLOCK_SAFE.fullmatch(text) is not None


def _data(value: Any) -> Any:
    """Plain data ready to emit: multi-line strings styled, enums as their values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {_data(key): _data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_data(item) for item in value]
    return value


def _number(value: float) -> float | int:
    """Whole numbers without a trailing ``.0``, as people write them; ``-0.0`` keeps its
    sign, which ``0`` would lose."""
    if not value.is_integer() or (value == 0 and math.copysign(1.0, value) < 0):
        return value
    return int(value)


# -- files --------------------------------------------------------------------------------


def _check_target(root: Path, *, overwrite: bool) -> None:
    if root.exists() and not root.is_dir():
        raise ProjectError(
            [Problem("not-a-folder", "this is a file, not a folder", Location(root))],
            summary=f"cannot write a project to {root}: it is a file; name a folder",
        )
    existing = _project_files(root)
    if existing and not overwrite:
        listed = ", ".join(str(path.relative_to(root)) for path in existing[:5])
        more = f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        raise ProjectError(
            [Problem("project-exists", f"the folder holds {listed}{more}", Location(root))],
            summary=(
                f"{root} already holds a project; write to an empty folder, or pass "
                "overwrite=True to replace it"
            ),
        )
    foreign = [path for path in existing if path.relative_to(root) not in WRITTEN_FILES]
    if foreign:
        raise ProjectError(
            [
                Problem(
                    "project-file-in-the-way",
                    "this project file is not one the writer replaces, so the folder would "
                    "not hold exactly the written project; move or delete it, or write to "
                    "an empty folder",
                    Location(path),
                )
                for path in foreign
            ],
            summary=f"cannot replace the project in {root}: other project files are there",
        )


def _project_files(root: Path) -> list[Path]:
    """The files in ``root`` that the project reader reads (see ``parley.project.reader``)."""
    if not root.is_dir():
        return []
    names = ("domain.yml", "domain.yaml", "config.yml", "endpoints.yml", "credentials.yml")
    files = [root / name for name in names if (root / name).is_file()]
    for folder in ("domain", "data", "tests"):
        files.extend(
            sorted(
                path
                for path in (root / folder).rglob("*")
                if path.suffix in _YAML_SUFFIXES
                and path.is_file()
                and (folder != "tests" or path.name.startswith("test_"))
            )
        )
    return files


def _write_file(path: Path, text: str) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8", newline="\n")
    os.replace(temporary, path)


def _placed(problem: Problem, relative: Path) -> Problem:
    if problem.location is not None:
        return problem
    return Problem(problem.code, problem.message, Location(relative), problem.severity)


__all__ = [
    "FORMAT_VERSION",
    "WRITTEN_FILES",
    "dump_config",
    "dump_domain",
    "dump_nlu",
    "dump_rules",
    "dump_stories",
    "dump_test_stories",
    "dump_yaml",
    "render_project",
    "write_project",
]
