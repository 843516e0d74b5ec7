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


def test_a_shared_bot_survives_a_write_and_a_second_read(shared_bot: Path, tmp_path: Path) -> None:
    project = load_project(shared_bot)
    write_project(project, tmp_path / "copy")
    again = load_project(tmp_path / "copy")
    # JSON dumps differ where values only compare equal (1 == 1.0 == True), so compare both.
    assert again == project, _differences(project, again)
    assert again.model_dump_json() == project.model_dump_json(), _differences(project, again)


def test_a_written_bot_is_written_again_unchanged(shared_bot: Path, tmp_path: Path) -> None:
    """Writing is deterministic: the second export of a bot is byte for byte the first."""
    first, second = tmp_path / "first", tmp_path / "second"
    write_project(load_project(shared_bot), first)
    write_project(load_project(first), second)
    written = sorted(path.relative_to(first) for path in first.rglob("*.yml"))
    assert written == sorted(path.relative_to(second) for path in second.rglob("*.yml"))
    for relative in written:
        assert (second / relative).read_text(encoding="utf-8") == (first / relative).read_text(
            encoding="utf-8"
        ), relative
