"""The starter assistant ``parley init`` writes."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from parley.errors import ParleyError
from parley.project import load_project, read_project
from parley.project.scaffold import create_starter_project, starter_files

EXPECTED_FILES = {
    "config.yml",
    "credentials.yml",
    "domain.yml",
    "endpoints.yml",
    "data/nlu.yml",
    "data/rules.yml",
    "data/stories.yml",
    "tests/test_stories.yml",
}


def test_starter_files_ship_with_the_package() -> None:
    assert {p.as_posix() for p in starter_files()} == EXPECTED_FILES


def test_creates_the_files_in_a_new_folder(tmp_path: Path) -> None:
    target = tmp_path / "new" / "bot"
    written = create_starter_project(target)
    assert {p.relative_to(target).as_posix() for p in written} == EXPECTED_FILES
    for path in written:
        assert path.read_bytes() == starter_files()[PurePosixPath(path.relative_to(target))]


def test_an_empty_existing_folder_is_fine(tmp_path: Path) -> None:
    assert len(create_starter_project(tmp_path)) == len(EXPECTED_FILES)


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ParleyError, match="not empty"):
        create_starter_project(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_force_writes_beside_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "domain.yml").write_text("old")
    create_starter_project(tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "domain.yml").read_text() != "old"


def test_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "bot"
    target.write_text("")
    with pytest.raises(ParleyError, match="is a file"):
        create_starter_project(target)


def test_the_starter_is_valid_without_warnings(tmp_path: Path) -> None:
    create_starter_project(tmp_path)
    reading = read_project(tmp_path)
    assert [str(p) for p in reading.problems] == []
    assert {p.relative_to(tmp_path).as_posix() for p in reading.files} == EXPECTED_FILES


def test_the_starter_has_what_the_issue_asks_for(tmp_path: Path) -> None:
    create_starter_project(tmp_path)
    project = load_project(tmp_path)
    domain = project.domain
    intents = {i.name for i in domain.intents}
    assert {"greet", "goodbye", "affirm", "deny", "bot_challenge"} <= intents
    assert [(f.name, f.required_slots) for f in domain.forms] == [("order_form", ["drink", "size"])]
    assert [a.name for a in domain.actions] == ["action_place_order"]
    for intent in intents:
        examples = [e for e in project.nlu.examples if e.intent == intent]
        assert len(examples) >= 8, intent
    assert {a.entity for e in project.nlu.examples for a in e.entities} == {"drink", "size"}
    assert project.stories
    assert project.rules
    assert project.tests.stories
    assert project.config.pipeline
    assert project.config.policies
