"""load → write → load gives the same project for every assistant in ../shared/bench/bots."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from parley.project import Project, load_project, write_project

pytestmark = pytest.mark.integration


def _differences(before: Project, after: Project) -> str:
    """A unified diff of the two projects' dumps, so a failure shows what was lost."""

    def lines(project: Project) -> list[str]:
        data: Any = project.model_dump(mode="json")
        return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).splitlines()

    diff = difflib.unified_diff(
        lines(before), lines(after), "as read", "as read after writing", lineterm="", n=4
    )
    return "\n".join(diff)


def test_every_shared_bot_survives_a_write_and_a_second_read(
    shared_bots: list[Path], tmp_path: Path
) -> None:
    failures: dict[str, str] = {}
    for bot in shared_bots:
        project = load_project(bot)
        copy = tmp_path / bot.name
        write_project(project, copy)
        again = load_project(copy)
        if again != project:
            failures[bot.name] = _differences(project, again)
    assert not failures, "\n\n".join(f"{name}:\n{diff}" for name, diff in failures.items())


def test_a_written_bot_is_written_again_unchanged(shared_bots: list[Path], tmp_path: Path) -> None:
    """Writing is deterministic: the second export of a bot is byte for byte the first."""
    for bot in shared_bots:
        first, second = tmp_path / bot.name / "first", tmp_path / bot.name / "second"
        write_project(load_project(bot), first)
        write_project(load_project(first), second)
        for path in sorted(first.rglob("*.yml")):
            relative = path.relative_to(first)
            assert (second / relative).read_text(encoding="utf-8") == path.read_text(
                encoding="utf-8"
            ), f"{bot.name}: {relative}"
