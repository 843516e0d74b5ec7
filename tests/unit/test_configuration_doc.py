"""docs/configuration.md lists exactly the settings :class:`parley.settings.Settings` has."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from parley.settings import (
    REFERENCE_MARKER,
    TABLE_HEADER,
    reference_rows,
    render_reference_markdown,
    update_reference,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
REGENERATE = "run `python -m parley.settings docs/configuration.md` to regenerate the reference"


def table_rows(markdown: str) -> dict[str, tuple[str, ...]]:
    """The settings tables' rows by key (the first cell, without its backticks)."""
    rows: dict[str, tuple[str, ...]] = {}
    in_table = False
    for line in markdown.splitlines():
        if line.strip() == TABLE_HEADER:
            in_table = True
        elif not line.startswith("|"):
            in_table = False
        elif in_table and not line.startswith("|---"):
            cells = tuple(cell.strip() for cell in line.strip().strip("|").split(" | "))
            key = cells[0].strip("`")
            assert key not in rows, f"{key} is listed twice"
            rows[key] = cells
    return rows


def disagreements(markdown: str) -> list[str]:
    documented = table_rows(markdown)
    expected = {row.key: row.cells() for row in reference_rows()}
    found = [f"not documented: {key}" for key in expected if key not in documented]
    found += [f"documented but not a setting: {key}" for key in documented if key not in expected]
    found += [
        f"{key} differs:\n  page:     {documented[key]}\n  settings: {cells}"
        for key, cells in expected.items()
        if key in documented and documented[key] != cells
    ]
    return found


def test_the_page_lists_every_setting_and_nothing_else() -> None:
    problems = disagreements(DOC.read_text(encoding="utf-8"))

    assert not problems, "\n".join([*problems, REGENERATE])


def test_the_generated_part_of_the_page_is_current() -> None:
    page = DOC.read_text(encoding="utf-8")

    assert REFERENCE_MARKER in page
    assert update_reference(page) == page, REGENERATE


def test_the_tables_read_back_as_the_settings() -> None:
    rows = table_rows(render_reference_markdown())

    assert list(rows) == [row.key for row in reference_rows()]
    assert len(rows) > 20


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda page: page.replace("| `server.port` |", "| `server.prot` |"), "server.prot"),
        (lambda page: page.replace("| `5005` |", "| `5006` |"), "server.port differs"),
        (
            lambda page: "\n".join(
                line for line in page.splitlines() if not line.startswith("| `mail.url`")
            ),
            "not documented: mail.url",
        ),
    ],
)
def test_a_page_that_drifted_is_caught(edit: Callable[[str], str], expected: str) -> None:
    drifted = edit(DOC.read_text(encoding="utf-8"))

    assert any(expected in problem for problem in disagreements(drifted))


def test_every_setting_is_described() -> None:
    for row in reference_rows():
        assert row.description.endswith("."), row.key
        assert row.type, row.key
