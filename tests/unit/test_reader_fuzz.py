"""Hostile project files never make the reader raise; they make it report problems.

Hypothesis writes YAML-ish text (the keys of the real format, bracket soup, indentation
and tabs, anchors and aliases, tags, control characters, huge numbers…), well-formed YAML
of the format's keys with values of any shape, and valid files with a few edits, as a
project's domain, data, tests and configuration.
:func:`read_project` must return a reading whose every problem points into the project,
and no tag may ever make the loader run anything.
"""

from __future__ import annotations

import io
import math
import re
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from parley.core.problem import Problem
from parley.project import read_project
from parley.project.reading import ProjectReading

MARKER = "MARKER"
"""Stands in the generated text for a file that a tag running code would create."""

# Tags that make a careless loader construct objects or run code, and other tags that are
# no plain value.
HOSTILE_TAGS = (
    f'!!python/object/apply:os.system ["touch {MARKER}"]',
    f"!!python/object/apply:subprocess.check_call [[touch, {MARKER}]]",
    f'!!python/object/new:os.system ["touch {MARKER}"]',
    f"!!python/object:pathlib.Path {{args: [{MARKER}]}}",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple [1, 2]",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!timestamp 2001-12-14",
    "!custom value",
    "!<tag:example.com,2000:x> y",
)

# Pieces of the real format, of YAML syntax, and of values YAML reads in surprising ways.
FRAGMENTS = (
    *("version:", '"3.1"', '"2.0"', "nlu:", "- intent:", "examples:", "|", "|-", "|+", ">"),
    *("- ", "- - ", "stories:", "- story:", "steps:", "- user:", "- intent:", "- action:"),
    *("- bot:", "- active_loop:", "- slot_was_set:", "- checkpoint:", "- or:", "rules:"),
    *("- rule:", "condition:", "conversation_start:", "wait_for_user_input:", "intents:"),
    *("entities:", "roles:", "groups:", "slots:", "type:", "text", "categorical", "float"),
    *("mappings:", "conditions:", "- type: from_entity", "from_intent", "entity:", "value:"),
    *("role:", "group:", "responses:", "- text:", "buttons:", "- title:", "payload:"),
    *("custom:", "actions:", "forms:", "required_slots:", "session_config:", "synonym:"),
    *("session_expiration_time:", "use_entities:", "ignore_entities:", "pipeline:"),
    *("policies:", "- name:", "language:", "regex:", "lookup:", "metadata:", "config:"),
    *("store_entities_as_slots:", "e2e_actions:", "influence_conversation:", "values:"),
    *("initial_value:", "min_value:", "max_value:", "not_intent:", "user:", "utter_greet"),
    *("greet", "city", "[Berlin](city)", "[x](y:z)", '[x]{"entity": "y"}', "[a][{}]"),
    *('[a][{"entity": 1}]', "[a]{", "[](e)", "\\[x](y)", "\\\\[x](y)", "[x](", "[", "]"),
    *("(", ")", "{", "}", "\\", "&a", "*a", "<<: *a", "? ", ": ", ":", "#", "'", '"', ","),
    *("~", "null", "true", "yes", "No", ".inf", "-.inf", ".nan", "1e999", "-0", "0o17"),
    *("9" * 5000, "0x" + "f" * 4000, "2001-12-14", "2001-12-14t21:59:43.10-05:00", "12:30"),
    *("---", "...", "%YAML 1.1", "%YAML 1.2", "%TAG ! tag:example.com,2000:", "!!str"),
    *("!!int", "!!float", "!!null", "!!seq", "!!map", "!", "[1, 2]", "{a: 1}", "a: b: c"),
    *("\t", "\x00", "\x07", "\x1b", "\ufeff", "\u2028", "\x85", "\r", "😀", "漢字", "é"),
    *HOSTILE_TAGS,
)


def _hashable(value: object) -> bool:
    return not (isinstance(value, float) and math.isnan(value))  # NaN keys cannot be written


fragments = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(max_size=6),  # any text, control characters and unpaired brackets included
)
indents = st.one_of(
    st.sampled_from(["", "  ", "    ", "      ", "\t", " \t"]), st.text(" ", max_size=9)
)
separators = st.sampled_from([" ", "", ": ", ", ", " - ", " # "])


@st.composite
def yaml_lines(draw: st.DrawFn) -> str:
    """Lines of random fragments at random indents."""
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        pieces = draw(st.lists(fragments, min_size=1, max_size=5))
        separator = draw(separators)
        lines.append(draw(indents) + separator.join(pieces))
    ending = draw(st.sampled_from(["\n", "\r\n", ""]))
    return ending.join(lines) + ending


VALID_FILES = {
    "domain.yml": """
        version: "3.1"
        intents:
          - greet
          - inform:
              use_entities: [city]
        entities:
          - city:
              roles: [from, to]
        slots:
          city:
            type: categorical
            values: [berlin, paris]
            initial_value: berlin
            mappings:
              - type: from_entity
                entity: city
                role: to
                conditions:
                  - active_loop: trip_form
                    requested_slot: city
        responses:
          utter_greet:
            - text: "Hello {city}!"
              buttons:
                - title: "Yes"
                  payload: '/inform{"city": "paris"}'
              condition:
                - type: slot
                  name: city
                  value: berlin
          utter_ask_city:
            - text: Where to?
        actions:
          - action_search:
              send_domain: true
        forms:
          trip_form:
            required_slots: [city]
        session_config:
          session_expiration_time: 60
          carry_over_slots_to_new_session: true
        """,
    "data/nlu.yml": """
        version: "3.1"
        nlu:
          - intent: greet
            metadata: {sentiment: neutral}
            examples: |
              - hi
              - hello [Berlin](city)
          - intent: inform
            examples:
              - text: 'from [LA]{"entity": "city", "value": "Los Angeles", "role": "from"}'
                metadata: {source: chat}
              - text: '[NYC][{"entity": "city"}, {"entity": "city", "role": "to"}]'
          - synonym: Los Angeles
            examples: |
              - LA
          - regex: zip
            examples: |
              - \\d{5}
          - lookup: city
            examples: |
              - Berlin
        """,
    "data/stories.yml": """
        version: "3.1"
        stories:
          - story: trip
            steps:
              - intent: greet
                entities:
                  - city: Berlin
                  - entity: city
                    role: to
              - action: utter_greet
              - action: trip_form
              - active_loop: trip_form
              - slot_was_set:
                  - city: paris
                  - requested_slot
              - active_loop: null
              - or:
                  - intent: greet
                  - slot_was_set:
                      - city: berlin
              - checkpoint: done
          - story: after
            steps:
              - checkpoint: done
                slot_was_set:
                  - city
              - user: hello [Berlin](city)
                intent: greet
              - bot: Hello!
        rules:
          - rule: greet
            condition:
              - active_loop: trip_form
            conversation_start: true
            steps:
              - intent: greet
              - action: utter_greet
            wait_for_user_input: false
        """,
    "config.yml": """
        language: en
        pipeline:
          - name: WhitespaceTokenizer
          - name: DIETClassifier
            epochs: 10
        policies:
          - name: RulePolicy
        """,
    "tests/test_stories.yml": """
        stories:
          - story: test
            steps:
              - user: hi
                intent: greet
              - action: utter_greet
        """,
}
VALID = {name: textwrap.dedent(text).lstrip("\n") for name, text in VALID_FILES.items()}
RASA_2_DOMAIN = textwrap.dedent(
    """
    version: "2.0"
    intents:
      - greet:
          triggers: utter_greet
      - inform
    entities: [city]
    slots:
      city:
        type: rasa.shared.core.slots.TextSlot
        auto_fill: false
      seen:
        type: unfeaturized
    responses:
      utter_greet:
        - text: Hi!
      utter_ask_city:
        - text: Where?
    forms:
      trip_form:
        required_slots:
          city:
            - type: from_entity
              entity: city
              intent: [inform]
            - type: from_text
              not_intent: greet
    """
).lstrip("\n")
"""A domain in the Rasa 2.x format, which the reader converts."""


@st.composite
def mangled(draw: st.DrawFn, text: str) -> str:
    """A valid file with a few random edits: fragments inserted, spans cut, lines
    repeated or re-indented. Most of the file stays sound, so the edits reach the checks
    and conversions behind the YAML parser."""
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["insert", "cut", "repeat", "indent", "replace"]))
        if edit == "insert":
            line = lines[at]
            column = draw(st.integers(0, len(line)))
            lines[at] = line[:column] + draw(fragments) + line[column:]
        elif edit == "cut":
            end = draw(st.integers(at, min(at + 3, len(lines))))
            del lines[at:end]
        elif edit == "repeat":
            lines.insert(at, lines[at])
        elif edit == "indent":
            lines[at] = draw(indents) + lines[at].lstrip(" ")
        else:
            key, _, _ = lines[at].partition(":")
            lines[at] = f"{key}: {draw(fragments)}"
        text = "\n".join(lines)
    return text


# Keys of every file of the format, and a few names that are no key of it.
KEYS = (
    *("version", "nlu", "intent", "examples", "text", "metadata", "synonym", "regex"),
    *("lookup", "stories", "story", "steps", "user", "entities", "entity", "value", "role"),
    *("group", "action", "bot", "active_loop", "slot_was_set", "checkpoint", "or", "rules"),
    *("rule", "condition", "conversation_start", "wait_for_user_input", "responses"),
    *("intents", "use_entities", "ignore_entities", "triggers", "is_retrieval_intent"),
    *("roles", "groups", "influence_conversation", "slots", "type", "initial_value"),
    *("values", "min_value", "max_value", "mappings", "not_intent", "conditions"),
    *("requested_slot", "auto_fill", "buttons", "title", "payload", "custom", "channel"),
    *("id", "image", "actions", "send_domain", "forms", "required_slots", "ignored_intents"),
    *("e2e_actions", "session_config", "session_expiration_time", "store_entities_as_slots"),
    *("carry_over_slots_to_new_session", "config", "pipeline", "policies", "name"),
    *("language", "recipe", "assistant_id", "epochs", "utter_greet", "greet", "unknown", "<<"),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(),  # NaN and infinities included
    st.sampled_from(FRAGMENTS),
    st.sampled_from(KEYS),
    st.text(max_size=8),
    # Multi-line strings, written as literal blocks like examples are.
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map(
        lambda lines: LiteralScalarString("".join(f"- {line}\n" for line in lines))
    ),
)
keys = st.one_of(st.sampled_from(KEYS), st.sampled_from(KEYS), scalars.filter(_hashable))
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)


# Mostly text, which many values of the format are, so the edit often passes the schema.
replacements = st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(KEYS), scalars, structures)


@st.composite
def structured(draw: st.DrawFn) -> str:
    """Well-formed YAML of the format's keys with values of every shape and type, in
    block or flow style: it gets past the parser to the schemas and conversions."""
    top = draw(st.dictionaries(st.sampled_from(KEYS), structures, min_size=1, max_size=5))
    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = draw(st.sampled_from([False, True, None]))
    stream = io.StringIO()
    yaml.dump(top, stream)
    return stream.getvalue()


def _places(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in a parsed tree, outermost first."""
    found: list[tuple[Any, Any]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in list(items):
        found.append((node, key))
        if isinstance(child, dict | list):
            found.extend(_places(child))
    return found


@st.composite
def reshaped(draw: st.DrawFn, text: str) -> str:
    """A valid file with a few values swapped for values of any shape, keys renamed or
    removed, list items repeated: the rest stays valid, so every check behind the schema
    gets its turn at the odd part."""
    yaml = YAML(typ="rt", pure=True)
    tree = yaml.load(text)
    for _ in range(draw(st.integers(1, 3))):
        places = _places(tree)
        if not places:
            break
        container, key = places[draw(st.integers(0, len(places) - 1))]
        edit = draw(st.sampled_from(["replace", "replace", "rename", "remove", "repeat"]))
        if edit == "replace":
            container[key] = draw(replacements)
        elif edit == "rename" and isinstance(container, dict):
            container[draw(keys)] = container.pop(key)
        elif edit == "remove":
            del container[key]
        elif isinstance(container, list):
            container.insert(key, container[key])
    stream = io.StringIO()
    yaml.dump(tree, stream)
    return stream.getvalue()


def contents(name: str) -> st.SearchStrategy[str | None]:
    return st.one_of(
        st.none(),
        st.just(VALID[name]),
        reshaped(VALID[name]),
        reshaped(VALID[name]),
        mangled(VALID[name]),
        structured(),
        yaml_lines(),
    )


@st.composite
def one_file_edited(draw: st.DrawFn) -> dict[str, str | None]:
    """The valid project with one file edited: when the other files are sound, the
    cross-file checks run too."""
    name = draw(st.sampled_from([*VALID, "Rasa 2.x domain"]))
    if name == "Rasa 2.x domain":
        return {**VALID, "domain.yml": draw(reshaped(RASA_2_DOMAIN))}
    return {**VALID, name: draw(st.one_of(reshaped(VALID[name]), mangled(VALID[name])))}


project_files = st.one_of(
    st.fixed_dictionaries({name: contents(name) for name in VALID}).filter(
        lambda files: any(text is not None for text in files.values())
    ),
    one_file_edited(),
)
file_bytes = st.one_of(
    *[st.none()] * 7,  # as text, UTF-8, most of the time
    st.binary(min_size=1, max_size=8),  # bytes that are often not UTF-8, put in the middle
)


def write_files(root: Path, files: dict[str, str | None], raw: bytes | None) -> None:
    marker = root / MARKER
    for name, text in files.items():
        if text is None:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.replace(MARKER, str(marker)).encode("utf-8")
        if raw is not None and name == "domain.yml":
            data = data[: len(data) // 2] + raw + data[len(data) // 2 :]
        path.write_bytes(data)


YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
"""What YAML counts as the end of a line (locations count lines as the parser does)."""


def check_reading(reading: ProjectReading, root: Path) -> None:
    """Every problem is located in the project: in one of its files (or folders), on a line
    the file has."""
    assert isinstance(reading, ProjectReading)
    for problem in reading.problems:
        assert isinstance(problem, Problem)
        location = problem.location
        assert location is not None, problem
        assert location.file.is_relative_to(root), problem
        if location.line is not None and location.file.is_file():
            text = location.file.read_bytes().decode("utf-8", errors="replace")
            lines = len(YAML_LINE_BREAK.split(text))
            assert 1 <= location.line <= lines, problem
        if location.column is not None:
            assert location.column >= 1, problem


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=project_files, raw=file_bytes)
def test_hostile_files_are_reported_never_raised(
    files: dict[str, str | None], raw: bytes | None
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        write_files(root, files, raw)
        reading = read_project(root)  # must not raise, whatever the files hold
        check_reading(reading, root)
        assert not (root / MARKER).exists(), "a tag ran code"


def test_the_files_the_edits_start_from_are_a_valid_project(tmp_path: Path) -> None:
    write_files(tmp_path, dict(VALID), None)
    reading = read_project(tmp_path)
    assert [str(problem) for problem in reading.errors] == []
    assert len(reading.project.nlu.examples) == 4
    assert len(reading.project.stories) == 2


FILES = ("domain.yml", "data/nlu.yml", "data/stories.yml", "config.yml", "endpoints.yml")


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("tag", HOSTILE_TAGS)
def test_tags_that_ask_for_objects_or_code_are_reported_and_never_run(
    tmp_path: Path, name: str, tag: str
) -> None:
    (tmp_path / "domain.yml").write_text('version: "3.1"\nintents: [greet]\n', encoding="utf-8")
    marker = tmp_path / MARKER
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"version: '3.1'\nnlu:\n  - {tag.replace(MARKER, str(marker))}\n", "utf-8")
    reading = read_project(tmp_path)
    assert not marker.exists()
    tags = [problem for problem in reading.errors if problem.code == "yaml-tag"]
    assert len(tags) == 1, reading.problems
    location = tags[0].location
    assert location is not None
    assert (location.file, location.line, location.column) == (path, 3, 5)
    check_reading(reading, tmp_path)
