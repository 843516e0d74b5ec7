"""Reading a project folder: which files are read, and what is said about those that are not.

The broken-project fixtures cover mistakes inside files; these tests cover the folder
layout (links, unreadable folders, a domain given twice), which git fixtures cannot hold.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from parley.core.problem import Severity
from parley.project import read_project
from parley.project.reading import ProjectReading

DOMAIN = """
version: "3.1"
intents:
  - greet
  - goodbye
responses:
  utter_greet:
    - text: Hello!
  utter_goodbye:
    - text: Bye!
"""

NLU = """
version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hi
      - hello
  - intent: goodbye
    examples: |
      - bye
"""

MORE_NLU = """
version: "3.1"
nlu:
  - intent: goodbye
    examples: |
      - see you
      - farewell
"""

STORIES = """
version: "3.1"
stories:
  - story: greet
    steps:
      - intent: greet
      - action: utter_greet
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A small valid project; the tests move its parts around."""
    project = tmp_path / "bot"
    write(project / "domain.yml", DOMAIN)
    write(project / "config.yml", "language: en\n")
    write(project / "data" / "nlu.yml", NLU)
    write(project / "data" / "stories.yml", STORIES)
    return project


def codes(reading: ProjectReading) -> list[tuple[str, Severity, str]]:
    """Each problem as (code, severity, file relative to the project)."""
    found = []
    for problem in reading.problems:
        assert problem.location is not None, problem
        found.append(
            (problem.code, problem.severity, problem.location.file.relative_to(reading.root))
        )
    return [(code, severity, path.as_posix()) for code, severity, path in found]


def example_texts(reading: ProjectReading) -> list[str]:
    return sorted(example.text for example in reading.project.nlu.examples)


# --- links and unreadable entries -------------------------------------------------------


def test_a_linked_folder_under_data_is_read(root: Path, tmp_path: Path) -> None:
    write(tmp_path / "shared" / "goodbye.yml", MORE_NLU)
    (root / "data" / "shared").symlink_to(tmp_path / "shared", target_is_directory=True)
    reading = read_project(root)
    assert codes(reading) == []
    assert example_texts(reading) == ["bye", "farewell", "hello", "hi", "see you"]
    assert root / "data" / "shared" / "goodbye.yml" in reading.files


def test_a_link_back_up_the_tree_is_not_followed_and_files_are_read_once(root: Path) -> None:
    (root / "data" / "again").symlink_to(root / "data", target_is_directory=True)
    (root / "data" / "up").symlink_to(root, target_is_directory=True)
    (root / "data" / "nlu-link.yml").symlink_to(root / "data" / "nlu.yml")
    reading = read_project(root)
    assert codes(reading) == [("link-loop", Severity.WARNING, "data/up")]
    assert [str(p.relative_to(root)) for p in reading.files if p.parent.name == "data"] == [
        "data/nlu-link.yml",
        "data/stories.yml",
    ]
    assert example_texts(reading) == ["bye", "hello", "hi"]


def test_a_broken_link_to_a_data_file_is_an_error(root: Path) -> None:
    (root / "data" / "b.yml").symlink_to(root / "data" / "gone.yml")
    reading = read_project(root)
    assert codes(reading) == [("broken-link", Severity.ERROR, "data/b.yml")]
    (problem,) = reading.problems
    assert "gone.yml" in problem.message


def test_a_broken_link_that_is_not_a_data_file_is_a_warning(root: Path) -> None:
    (root / "data" / "notes.txt").symlink_to(root / "gone.txt")
    (root / "tests").mkdir()
    (root / "tests" / "helper.yml").symlink_to(root / "gone.yml")
    assert codes(read_project(root)) == [
        ("broken-link", Severity.WARNING, "data/notes.txt"),
        ("broken-link", Severity.WARNING, "tests/helper.yml"),
    ]


def test_a_broken_link_in_a_domain_folder_is_an_error(root: Path) -> None:
    (root / "domain.yml").rename(root / "main.yml")
    (root / "domain").mkdir()
    (root / "main.yml").rename(root / "domain" / "main.yml")
    (root / "domain" / "slots.yml").symlink_to(root / "gone.yml")
    assert codes(read_project(root)) == [("broken-link", Severity.ERROR, "domain/slots.yml")]


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> set[Path]:
    """Folders added to the set cannot be listed, as without read permission (the tests
    may run as root, who can read anything)."""
    refused: set[Path] = set()
    scandir = os.scandir

    def refusing(path: Any = ".") -> Any:
        if Path(path) in refused:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    return refused


def test_an_unreadable_data_folder_is_an_error(root: Path, unreadable: set[Path]) -> None:
    unreadable.add(root / "data")
    reading = read_project(root)
    assert codes(reading) == [("file-unreadable", Severity.ERROR, "data")]
    assert "Permission denied" in reading.problems[0].message


def test_an_unreadable_folder_below_data_is_an_error(root: Path, unreadable: set[Path]) -> None:
    write(root / "data" / "more" / "goodbye.yml", MORE_NLU)
    unreadable.add(root / "data" / "more")
    reading = read_project(root)
    assert codes(reading) == [("file-unreadable", Severity.ERROR, "data/more")]
    assert example_texts(reading) == ["bye", "hello", "hi"]


def test_an_unreadable_tests_folder_is_an_error(root: Path, unreadable: set[Path]) -> None:
    write(root / "tests" / "test_stories.yml", STORIES)
    unreadable.add(root / "tests")
    assert codes(read_project(root)) == [("file-unreadable", Severity.ERROR, "tests")]


def test_an_unreadable_file_is_an_error(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read_bytes = Path.read_bytes
    target = root / "data" / "stories.yml"

    def refusing(path: Path) -> bytes:
        if path == target:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refusing)
    assert codes(read_project(root)) == [("file-unreadable", Severity.ERROR, "data/stories.yml")]


def test_data_that_is_a_file_is_an_error(root: Path) -> None:
    (root / "data" / "nlu.yml").unlink()
    (root / "data" / "stories.yml").unlink()
    (root / "data").rmdir()
    write(root / "data", NLU)
    assert codes(read_project(root)) == [("not-a-folder", Severity.ERROR, "data")]


# --- where the domain and the configuration are --------------------------------------------


def test_a_folder_named_domain_yml_is_read_as_a_domain_folder_as_rasa_does(root: Path) -> None:
    (root / "domain.yml").rename(root / "main.yml")
    (root / "domain.yml").mkdir()
    (root / "main.yml").rename(root / "domain.yml" / "main.yml")
    reading = read_project(root)
    assert codes(reading) == []
    assert [i.name for i in reading.project.domain.intents] == ["greet", "goodbye"]


def test_domain_yml_wins_over_domain_yaml_and_the_other_is_named(root: Path) -> None:
    write(root / "domain.yaml", "intents:\n  - thank\n")
    reading = read_project(root)
    assert codes(reading) == [("domain-ignored", Severity.WARNING, "domain.yaml")]
    assert "domain.yaml is ignored because domain.yml exists" in reading.problems[0].message
    assert [i.name for i in reading.project.domain.intents] == ["greet", "goodbye"]


def test_a_broken_domain_link_is_not_reported_as_a_missing_domain(root: Path) -> None:
    (root / "domain.yml").unlink()
    (root / "domain.yml").symlink_to(root / "elsewhere.yml")
    assert codes(read_project(root)) == [("broken-link", Severity.ERROR, "domain.yml")]


def test_an_empty_file_in_a_domain_folder_is_only_a_warning(root: Path) -> None:
    (root / "domain").mkdir()
    (root / "domain.yml").rename(root / "domain" / "main.yml")
    write(root / "domain" / "later.yml", "# to do\n")
    assert codes(read_project(root)) == [("empty-file", Severity.WARNING, "domain/later.yml")]


def test_an_empty_domain_yml_is_one_error(root: Path) -> None:
    write(root / "domain.yml", "")
    reading = read_project(root)
    assert codes(reading) == [("domain-empty", Severity.ERROR, "domain.yml")]


@pytest.mark.parametrize("name", ["config.yml", "endpoints.yml", "credentials.yml"])
def test_a_settings_file_that_is_a_folder_is_an_error(root: Path, name: str) -> None:
    (root / name).unlink(missing_ok=True)
    (root / name).mkdir()
    reading = read_project(root)
    assert codes(reading) == [("not-a-file", Severity.ERROR, name)]
    assert f"{name} is a folder" in reading.problems[0].message


# --- speed -----------------------------------------------------------------------------------


def test_each_examples_block_is_measured_once(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Locating each example must not re-read the whole block (that made one intent with
    30,000 examples take minutes); ``benchmarks/read_project.py`` times it."""
    from parley.project import training_data_file

    lines = "".join(f"      - hello number {n}\n" for n in range(500))
    write(root / "data" / "nlu.yml", NLU.replace("      - hi\n      - hello\n", lines))
    block_indent = training_data_file._Converter._block_indent
    calls: list[Any] = []

    def counting(self: Any, *args: Any) -> int:
        calls.append(args)
        return block_indent(self, *args)

    monkeypatch.setattr(training_data_file._Converter, "_block_indent", counting)
    reading = read_project(root)
    assert len(reading.project.nlu.examples) == 501
    assert [args[-1] for args in calls] == [("nlu", 0, "examples"), ("nlu", 1, "examples")]
    last = reading.sources.locate(("nlu", "examples", 499))
    assert last is not None
    assert (last.line, last.column) == (4 + 500, 9)


# --- what the domain reports while it is assembled --------------------------------------


def test_a_2x_domain_conversion_is_reported(root: Path) -> None:
    # Slots without `mappings` are the Rasa 2.x format; converting them happens while the
    # domain is assembled, after every file was read, and must still reach the reading.
    domain = (root / "domain.yml").read_text(encoding="utf-8")
    write(root / "domain.yml", domain + "slots:\n  city:\n    type: text\n")
    reading = read_project(root)
    assert ("legacy-format", Severity.WARNING, "domain.yml") in codes(reading)
    slot = reading.project.domain.slot("city")
    assert slot is not None
    assert slot.mappings
