"""Turning pydantic's errors into problems that name the key, point at it and say the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.core.problem import Problem
from parley.project.config_file import ConfigFile
from parley.project.domain_file import DomainFile
from parley.project.schema import FileModel, validate_file
from parley.project.training_data_file import TrainingDataFile
from parley.project.yaml_file import read_yaml_text


def problems(model: type[FileModel], text: str) -> list[Problem]:
    return validate_file(model, read_yaml_text(Path("file.yml"), text))[1]


def only(model: type[FileModel], text: str, code: str, where: tuple[int, int]) -> Problem:
    """The one problem ``text`` has, checked to have ``code`` and stand at ``where``."""
    found = problems(model, text)
    assert len(found) == 1, [str(p) for p in found]
    assert found[0].code == code
    assert position(found[0]) == where
    return found[0]


def position(problem: Problem) -> tuple[int | None, int | None]:
    assert problem.location is not None
    return problem.location.line, problem.location.column


# --- keys YAML does not read as names ---------------------------------------------------


@pytest.mark.parametrize(
    ("model", "text", "key", "where"),
    [
        (DomainFile, "null: x\n", "null", (1, 1)),
        (ConfigFile, "language: en\n~: x\n", "null", (2, 1)),
        (DomainFile, 'version: "3.1"\n1: x\n', "1", (2, 1)),
        (
            DomainFile,
            "responses:\n  utter_a:\n    - text: a\n  null:\n    - text: b\n",
            "null",
            (4, 3),
        ),
        (DomainFile, "slots:\n  true:\n    type: text\n    mappings: []\n", "true", (2, 3)),
        (
            TrainingDataFile,
            "stories:\n- story: a\n  steps:\n  - intent: a\n    null: b\n",
            "null",
            (5, 5),
        ),
    ],
)
def test_a_key_that_is_not_a_string_is_named_at_its_own_position(
    model: type[FileModel], text: str, key: str, where: tuple[int, int]
) -> None:
    problem = only(model, text, "wrong-type", where)
    assert f"the key {key} " in problem.message
    assert f'quotes ("{key}")' in problem.message
    assert "Keys should be strings" not in problem.message


def test_a_bad_key_is_reported_even_when_its_value_is_wrong_too() -> None:
    found = problems(DomainFile, "responses:\n  null:\n    - text: a\n      bad: 1\n")
    assert any(p.code == "wrong-type" and position(p) == (2, 3) for p in found), found


# --- what the file gave -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "given"),
    [
        ("pipeline:\n  - null\n", "not null"),
        ("pipeline:\n  - 5\n", "not the number 5"),
        ("pipeline:\n  - true\n", "not the boolean true"),
        ("pipeline:\n  - [a]\n", "not a list"),
        ("language: [en]\n", "not a list"),
    ],
)
def test_a_wrong_type_says_what_was_given_once(text: str, given: str) -> None:
    problem = only(ConfigFile, text, "wrong-type", (2, 5) if "pipeline" in text else (1, 11))
    assert problem.message.endswith(given), problem.message
    assert "null None" not in problem.message


# --- a misspelt required key ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "text", "key", "meant", "where"),
    [
        (TrainingDataFile, "rules:\n- rul: x\n  steps: []\n", "rul", "rule", (2, 3)),
        (TrainingDataFile, "stories:\n- stroy: x\n  steps: []\n", "stroy", "story", (2, 3)),
        (
            TrainingDataFile,
            "nlu:\n- intent: x\n  exampels: '- a'\n",
            "exampels",
            "examples",
            (3, 3),
        ),
        (ConfigFile, "pipeline:\n  - nam: WhitespaceTokenizer\n", "nam", "name", (2, 5)),
        (DomainFile, "slots:\n  s:\n    typ: text\n", "typ", "type", (3, 5)),
    ],
)
def test_a_misspelt_required_key_is_one_error_at_the_key(
    model: type[FileModel], text: str, key: str, meant: str, where: tuple[int, int]
) -> None:
    problem = only(model, text, "unknown-key", where)
    assert f"unknown key {key!r}" in problem.message
    assert f"(did you mean {meant!r}?)" in problem.message
    assert "required" in problem.message


def test_a_missing_key_with_no_look_alike_is_still_reported_as_missing() -> None:
    found = problems(TrainingDataFile, "rules:\n- steps: []\n  color: red\n")
    assert sorted(p.code for p in found) == ["missing-key", "unknown-key"]
