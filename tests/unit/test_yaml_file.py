"""Reading one YAML file: plain data, positions, and input YAML allows but a project refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.core.problem import Problem
from parley.project.yaml_file import MAX_DEPTH, YamlFile, YamlFileError, read_yaml_text

PATH = Path("data/x.yml")


def refused(text: str) -> Problem:
    with pytest.raises(YamlFileError) as raised:
        read_yaml_text(PATH, text)
    return raised.value.problem


def position(problem: Problem) -> tuple[int | None, int | None]:
    assert problem.location is not None
    return problem.location.line, problem.location.column


@pytest.mark.parametrize(
    "text",
    [
        "nlu: " + "[" * 300 + "]" * 300 + "\n",
        "nlu:\n" + "".join(" " * n + "- \n" for n in range(0, 2 * (MAX_DEPTH + 5), 2)),
        "a: " + "{b: " * 300 + "c" + "}" * 300 + "\n",
    ],
    ids=["flow-lists", "block-lists", "flow-mappings"],
)
def test_values_nested_too_deeply_are_refused_without_a_traceback(text: str) -> None:
    problem = refused(text)
    assert problem.code == "yaml-too-deep"
    assert f"more than {MAX_DEPTH} levels" in problem.message


def test_the_deepest_allowed_nesting_is_read() -> None:
    depth_below_root = MAX_DEPTH - 1
    text = "nlu: " + "[" * depth_below_root + "]" * depth_below_root + "\n"
    value = read_yaml_text(PATH, text).data["nlu"]
    for _ in range(depth_below_root - 1):
        value = value[0]
    assert value == []
    assert position(refused("nlu: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")) == (
        1,
        6 + depth_below_root,
    )


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: &x [*x]\n", (1, 8)),
        ("&x [1, *x]\n", (1, 8)),
        ("a: &x\n  b:\n    - c\n    - *x\n", (4, 7)),
        ("a: &x 1\nb: &x {c: *x}\n", (2, 11)),
    ],
)
def test_an_alias_inside_its_own_anchor_is_refused(text: str, where: tuple[int, int]) -> None:
    problem = refused(text)
    assert problem.code == "yaml-recursive-alias"
    assert "*x" in problem.message
    assert position(problem) == where


def test_aliases_to_finished_values_are_read() -> None:
    file = read_yaml_text(PATH, "a: &x [1]\nb: *x\nc: [*x, *x]\nd: &x 2\ne: *x\n")
    assert file.data == {"a": [1], "b": [1], "c": [[1], [1]], "d": 2, "e": 2}


def test_a_duplicate_key_is_named_with_its_first_line_in_a_few_words() -> None:
    big = "".join(f"  utter_{n}:\n    - text: some reply number {n}\n" for n in range(40))
    problem = refused(f'version: "3.1"\nresponses:\n{big}intents: []\nresponses:\n{big}')
    assert problem.code == "yaml-syntax"
    assert problem.message == (
        "duplicate key 'responses' (first at line 2); merge the two into one"
    )
    assert position(problem) == (84, 1)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("? [a, b]\n: x\n", "a list"), ("{[1]: 2}\n", "a list"), ("? {a: 1}\n: x\n", "a mapping")],
)
def test_a_key_that_is_a_list_or_mapping_is_refused(text: str, kind: str) -> None:
    problem = refused(text)
    assert problem.code == "yaml-complex-key"
    assert kind in problem.message


def test_node_and_location_walk_the_same_tree() -> None:
    file: YamlFile = read_yaml_text(PATH, "nlu:\n  - intent: greet\n    examples: |\n      - hi\n")
    assert file.node(("nlu", 0, "intent")) == "greet"
    assert file.node(("nlu", 0, "examples")) == "- hi\n"
    assert file.node(("nlu", 1)) is None
    assert file.node(("nlu", 0, "missing")) is None
    location = file.location(("nlu", 0, "examples"), key=True)
    assert (location.line, location.column) == (3, 5)
    missing = file.location(("nlu", 0, "missing"))
    assert (missing.line, missing.column) == (2, 5)


@pytest.mark.parametrize(
    ("text", "tag", "where"),
    [
        ('intents: !!python/object/apply:os.system ["true"]\n', "!!python/object/apply", (1, 10)),
        ("intents:\n  - !!python/name:os.system x\n", "!!python/name:os.system", (2, 5)),
        ("a: !!binary aGk=\n", "!!binary", (1, 4)),
        ("a: !!set {b, c}\n", "!!set", (1, 4)),
        ("a: !!timestamp 2001-12-14\n", "!!timestamp", (1, 4)),
        ("a: !custom {b: 1}\n", "!custom", (1, 4)),
        ("!mine a: 1\n", "!mine", (1, 1)),
    ],
)
def test_tags_of_other_than_plain_values_are_refused(
    text: str, tag: str, where: tuple[int, int]
) -> None:
    # Found by the reader fuzz test: a tagged list was read as if untagged, and its
    # positions were missing, which crashed locating a value in it.
    problem = refused(text)
    assert problem.code == "yaml-tag"
    assert f"the tag {tag}" in problem.message
    assert position(problem) == where


def test_tags_of_plain_values_are_read_as_plain_values() -> None:
    # Found by the reader fuzz test: `!!str` values were kept as ruamel's TaggedScalar.
    text = (
        "!!str a: !!str 1\nb: !!int '2'\nc: !!float 3\ne: !!seq [!!null '', !!str ]\nf: !!map {}\n"
    )
    data = read_yaml_text(PATH, text).data
    assert data == {"a": "1", "b": 2, "c": 3.0, "e": [None, ""], "f": {}}
    assert [type(key) for key in data] == [str] * 5
    assert type(data["a"]) is str


@pytest.mark.parametrize("number", ["9" * 5000, "-" + "1" * 4301, "0x" + "f" * 5000])
def test_a_whole_number_too_long_for_python_is_refused(number: str) -> None:
    # Found by the reader fuzz test: Python's limit on digits raised ValueError.
    problem = refused(f"a:\n  b: {number}\n")
    assert problem.code == "yaml-number"
    assert position(problem) == (2, 6)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!int\n", "!!int '' is not a whole number"),
        ("a: !!int 0x\n", "!!int '0x' is not a whole number"),
        ("a: !!int 1.5\n", "!!int '1.5' is not a whole number"),
        ("a: !!float abc\n", "!!float 'abc' is not a number"),
        ("a: !!bool maybe\n", "!!bool 'maybe' is not true or false"),
        ("a: !!null x\n", "!!null 'x' is not null"),
    ],
)
def test_a_value_that_is_not_of_its_tags_type_is_refused(text: str, message: str) -> None:
    # Found by the reader fuzz test: ruamel failed with IndexError, ValueError or KeyError.
    problem = refused(text)
    assert problem.code == "yaml-tag"
    assert problem.message.startswith(message)
    assert position(problem) == (1, 4)
