"""Deliberately broken projects each produce the expected problem at the right place.

Every folder in ``tests/fixtures/broken`` is a small project with one mistake and an
``expected.yml`` naming the problem(s) it must produce: code, severity, file (relative to
the folder), line and, where it is meaningful, column. Reading must report each of them
and no other error; loading must raise :class:`ProjectError` exactly when one of them is
an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from parley.core.problem import Problem, Severity
from parley.errors import ProjectError
from parley.project import load_project, read_project
from parley.project.project import Project
from parley.project.yaml_file import read_yaml

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"
CASES = sorted(folder for folder in BROKEN.iterdir() if folder.is_dir())

REQUIRED_CODES = {
    # found while reading one file
    "yaml-syntax",
    "file-encoding",
    "wrong-type",
    "invalid-value",
    "unknown-key",
    "missing-key",
    "annotation-syntax",
    "annotation-slip",
    "domain-missing",
    "empty-file",
    # found by cross-file validation
    "unknown-intent",
    "intent-not-in-domain",
    "intent-without-examples",
    "unknown-action",
    "missing-response",
    "action-without-response",
    "missing-form-question",
    "unknown-entity",
    "entity-not-in-domain",
    "unknown-entity-role",
    "unknown-form",
    "unknown-slot",
    "invalid-initial-value",
    "invalid-slot-range",
    "invalid-slot-value",
    "form-slot-without-mapping",
    "response-unknown-slot",
    "duplicate-example",
    "repeated-example",
    "story-conflict",
    "rule-conflict",
    "duplicate-story-name",
    "empty-story",
    "empty-rule",
    "unused-checkpoint",
}


@dataclass(frozen=True)
class Expected:
    code: str
    severity: Severity
    file: str
    line: int | None
    column: int | None

    def matches(self, problem: Problem, root: Path) -> bool:
        location = problem.location
        if problem.code != self.code or problem.severity is not self.severity:
            return False
        if location is None:
            return False
        file = location.file.relative_to(root) if location.file.is_absolute() else location.file
        return (
            file.as_posix() == self.file
            and (self.line is None or location.line == self.line)
            and (self.column is None or location.column == self.column)
        )

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line, self.column) if part)
        return f"{where}: {self.severity.value} [{self.code}]"


PROBLEM_KEYS = {"code", "severity", "file", "line", "column"}


def expected_problems(folder: Path) -> list[Expected]:
    data = read_yaml(folder / "expected.yml").data
    # a misspelt key would silently drop a check, so the file's keys are checked too
    assert set(data) == {"description", "problems"}, f"{folder.name}/expected.yml"
    assert data["problems"], f"{folder.name}/expected.yml lists no problem"
    for item in data["problems"]:
        assert {"code", "severity", "file"} <= set(item) <= PROBLEM_KEYS, item
    return [
        Expected(
            code=item["code"],
            severity=Severity(item["severity"]),
            file=item["file"],
            line=item.get("line"),
            column=item.get("column"),
        )
        for item in data["problems"]
    ]


def test_there_are_enough_broken_projects_covering_every_check() -> None:
    assert len(CASES) >= 25
    covered = {expected.code for folder in CASES for expected in expected_problems(folder)}
    assert sorted(REQUIRED_CODES - covered) == []


@pytest.mark.parametrize("folder", CASES, ids=lambda folder: folder.name)
def test_reading_reports_the_expected_problems_and_no_other_error(folder: Path) -> None:
    expected = expected_problems(folder)
    reading = read_project(folder.resolve())
    root = reading.root
    found = "\n".join(f"  {problem}" for problem in reading.problems) or "  (none)"
    for wanted in expected:
        assert any(wanted.matches(problem, root) for problem in reading.problems), (
            f"expected {wanted}; reading reported:\n{found}"
        )
    unexpected = [
        problem
        for problem in reading.errors
        if not any(wanted.matches(problem, root) for wanted in expected)
    ]
    assert unexpected == [], f"unexpected errors; reading reported:\n{found}"


@pytest.mark.parametrize("folder", CASES, ids=lambda folder: folder.name)
def test_loading_fails_exactly_when_an_error_is_expected(folder: Path) -> None:
    expected = expected_problems(folder)
    errors = {wanted.code for wanted in expected if wanted.severity is Severity.ERROR}
    if errors:
        with pytest.raises(ProjectError) as raised:
            load_project(folder)
        assert errors <= {problem.code for problem in raised.value.problems}
    else:
        assert isinstance(load_project(folder), Project)
