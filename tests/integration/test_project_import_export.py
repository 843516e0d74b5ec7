"""``parley import`` then ``parley export`` through a real database (SQLite and
PostgreSQL) gives back every project file byte for byte: the shared assistants under
../shared/bench/bots and the starter project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from parley.cli.app import app
from parley.project import ProjectReading, load_project, read_project
from parley.project.files import project_files
from parley.storage.sql.database import Database
from parley.storage.sql.project_store import SqlProjectStore

pytestmark = pytest.mark.integration

runner = CliRunner()


@pytest.fixture
def environ(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The settings of the commands: the test's database, a home of its own."""
    monkeypatch.delenv("PARLEY_PROJECT", raising=False)
    return {"DATABASE_URL": database_url, "PARLEY_HOME": str(tmp_path / "home")}


def parley(environ: dict[str, str], *args: str) -> str:
    result = runner.invoke(app, list(args), env=environ)
    assert result.exit_code == 0, f"parley {' '.join(args)}:\n{result.output}"
    return result.stdout


def stored(database_url: str, project: str) -> dict[str, str]:
    """The project's files as the database holds them, read without the command line."""
    database = Database.connect(database_url)
    try:
        return SqlProjectStore(database).files(project)
    finally:
        database.close()


def findings(reading: ProjectReading) -> list[tuple[Any, ...]]:
    """Every problem, with paths relative to the project folder, so two folders compare."""
    root = str(reading.root)
    found = []
    for problem in reading.problems:
        location = problem.location
        where = (
            (location.file.relative_to(reading.root).as_posix(), location.line, location.column)
            if location
            else None
        )
        found.append((problem.code, problem.severity, where, problem.message.replace(root, "")))
    return found


def assert_same_project(original: Path, exported: Path) -> None:
    files = project_files(original)
    assert files, f"{original} has no project files"
    on_disk = sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*") if p.is_file())
    assert on_disk == sorted(files), "the export wrote other files than the project's"
    for name in files:
        assert (exported / name).read_bytes() == (original / name).read_bytes(), name
    before, after = read_project(original), read_project(exported)
    assert findings(after) == findings(before)
    assert after.project == before.project
    if not before.errors:
        assert load_project(exported) == load_project(original)


def test_a_shared_bot_round_trips_through_the_database(
    shared_bot: Path, environ: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    name = shared_bot.name
    imported = parley(environ, "import", str(shared_bot), "--project", name)
    assert f"as the new project {name}" in imported
    assert stored(database_url, name) == project_files(shared_bot)

    out = tmp_path / "exported"
    exported = parley(environ, "export", str(out), "--project", name)
    for file in project_files(shared_bot):
        assert f"  {file}" in exported
    assert_same_project(shared_bot, out)


def test_every_shared_bot_in_one_database(
    shared_bots: list[Path], environ: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    names = [f"{index:02d}-{bot.name}" for index, bot in enumerate(shared_bots)]
    for bot, name in zip(shared_bots, names, strict=True):
        parley(environ, "import", str(bot), "--project", name)
    for bot, name in zip(shared_bots, names, strict=True):
        out = tmp_path / name
        parley(environ, "export", str(out), "--project", name)
        assert_same_project(bot, out)
    # Importing again is refused without --replace, and changes nothing.
    again = runner.invoke(app, ["import", str(shared_bots[0]), "--project", names[0]], env=environ)
    assert again.exit_code == 1
    assert "--replace" in again.stderr
    assert stored(database_url, names[0]) == project_files(shared_bots[0])


def test_the_starter_project_round_trips_and_is_replaced(
    environ: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    bot = tmp_path / "bot"
    parley(environ, "init", str(bot))
    parley(environ, "import", str(bot))
    first = tmp_path / "first"
    parley(environ, "export", str(first))
    assert_same_project(bot, first)

    # Text a database could mangle: a byte-order mark, CRLF line ends, characters beyond
    # the BMP, no newline at the end; and a file gone, one added in a folder of its own.
    nlu = bot / "data" / "nlu.yml"
    nlu.write_bytes(
        b"\xef\xbb\xbf"
        + nlu.read_bytes().replace(b"\n", b"\r\n")
        + "# café ☕ 🥐 grüß 你好".encode()
    )
    (bot / "data" / "rules.yml").unlink()
    (bot / "data" / "extra" / "more.yaml").parent.mkdir()
    (bot / "data" / "extra" / "more.yaml").write_bytes(b'version: "3.1"\nnlu: []\n')
    parley(environ, "import", str(bot), "--replace")
    assert stored(database_url, "default") == project_files(bot)
    second = tmp_path / "second"
    parley(environ, "export", str(second))
    assert_same_project(bot, second)
    assert not (second / "data" / "rules.yml").exists()
