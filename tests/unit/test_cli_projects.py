"""``parley import`` and ``parley export`` on the in-memory project store (the real
databases are in tests/integration/test_project_import_export.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parley.cli import projects
from parley.cli.app import app
from parley.core.ports import ProjectStore
from parley.project.files import project_files
from parley.project.scaffold import create_starter_project
from parley.settings import Settings
from parley.storage.memory import MemoryProjectStore

runner = CliRunner()


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MemoryProjectStore:
    memory = MemoryProjectStore()
    opened: list[Settings] = []

    @contextmanager
    def open_memory(settings: Settings) -> Iterator[ProjectStore]:
        opened.append(settings)
        yield memory

    monkeypatch.setattr(projects, "open_projects", open_memory)
    monkeypatch.setenv("PARLEY_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PARLEY_PROJECT", raising=False)
    return memory


def starter(tmp_path: Path, name: str = "bot") -> Path:
    root = tmp_path / name
    create_starter_project(root)
    return root


def test_import_creates_the_default_project(store: MemoryProjectStore, tmp_path: Path) -> None:
    bot = starter(tmp_path)
    result = runner.invoke(app, ["import", str(bot)])
    assert result.exit_code == 0, result.output
    assert store.names() == ["default"]
    assert store.files("default") == project_files(bot)
    assert "Imported 8 files" in result.stdout
    assert "as the new project default" in result.stdout
    assert "  data/nlu.yml" in result.stdout


def test_import_into_a_named_project(store: MemoryProjectStore, tmp_path: Path) -> None:
    bot = starter(tmp_path)
    result = runner.invoke(app, ["import", str(bot), "--project", "coffee"])
    assert result.exit_code == 0, result.output
    assert store.names() == ["coffee"]


def test_the_default_project_follows_the_settings(
    store: MemoryProjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_PROJECT", "shop")
    result = runner.invoke(app, ["import", str(starter(tmp_path))])
    assert result.exit_code == 0, result.output
    assert store.names() == ["shop"]


def test_an_existing_project_is_replaced_only_when_asked(
    store: MemoryProjectStore, tmp_path: Path
) -> None:
    bot = starter(tmp_path)
    assert runner.invoke(app, ["import", str(bot)]).exit_code == 0
    (bot / "data" / "rules.yml").unlink()
    (bot / "data" / "more.yml").write_text('version: "3.1"\nnlu: []\n', encoding="utf-8")

    refused = runner.invoke(app, ["import", str(bot)])
    assert refused.exit_code == 1
    assert "there is a project 'default' already; pass --replace" in refused.stderr
    assert "data/rules.yml" in store.files("default")

    replaced = runner.invoke(app, ["import", str(bot), "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert "as the files of the project default" in replaced.stdout
    assert store.files("default") == project_files(bot)
    assert "data/rules.yml" not in store.files("default")
    assert "data/more.yml" in store.files("default")


def test_replace_creates_a_missing_project(store: MemoryProjectStore, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(starter(tmp_path)), "--replace"])
    assert result.exit_code == 0, result.output
    assert store.names() == ["default"]


def test_a_project_with_errors_is_imported_only_with_force(
    store: MemoryProjectStore, tmp_path: Path
) -> None:
    bot = starter(tmp_path)
    (bot / "data" / "broken.yml").write_text("nlu:\n- intent: [\n", encoding="utf-8")
    refused = runner.invoke(app, ["import", str(bot)])
    assert refused.exit_code == 1
    assert "broken.yml" in refused.stderr  # the problem, with its file
    assert "1 error(s)" in refused.stderr
    assert "--force" in refused.stderr
    assert store.names() == []

    forced = runner.invoke(app, ["import", str(bot), "--force"])
    assert forced.exit_code == 0, forced.output
    assert store.files("default")["data/broken.yml"] == "nlu:\n- intent: [\n"


def test_a_file_that_cannot_be_kept_stops_the_import(
    store: MemoryProjectStore, tmp_path: Path
) -> None:
    bot = starter(tmp_path)
    (bot / "data" / "latin1.yml").write_bytes(b"nlu:\n- intent: caf\xe9\n")
    result = runner.invoke(app, ["import", str(bot), "--force"])
    assert result.exit_code == 1
    assert "data/latin1.yml is not UTF-8" in result.stderr
    assert store.names() == []


def test_an_invalid_project_name_is_refused(store: MemoryProjectStore, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(starter(tmp_path)), "--project", "../x"])
    assert result.exit_code == 1
    assert "project name '../x' is not valid" in result.stderr
    assert store.names() == []


def test_import_of_a_missing_folder(store: MemoryProjectStore, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "is not a project folder" in result.stderr


def test_export_writes_the_files_byte_for_byte(store: MemoryProjectStore, tmp_path: Path) -> None:
    bot = starter(tmp_path)
    (bot / "data" / "nlu.yml").write_bytes(
        (bot / "data" / "nlu.yml").read_bytes().replace(b"\n", b"\r\n")
    )
    assert runner.invoke(app, ["import", str(bot)]).exit_code == 0
    out = tmp_path / "out" / "deeper"
    result = runner.invoke(app, ["export", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(project_files(bot))
    for name in names:
        assert (out / name).read_bytes() == (bot / name).read_bytes(), name
        assert f"  {name}" in result.stdout
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == names
    assert "Exported 8 files of the project default" in result.stdout
    assert "parley validate" in result.stdout


def test_export_into_an_empty_folder(store: MemoryProjectStore, tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", str(starter(tmp_path))]).exit_code == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["export", str(empty)])
    assert result.exit_code == 0, result.output
    assert (empty / "domain.yml").is_file()


def test_export_refuses_a_folder_that_is_not_empty_unless_forced(
    store: MemoryProjectStore, tmp_path: Path
) -> None:
    bot = starter(tmp_path)
    assert runner.invoke(app, ["import", str(bot)]).exit_code == 0
    target = starter(tmp_path, "target")
    (target / "data" / "nlu.yml").write_text("nlu: []\n", encoding="utf-8")
    (target / "data" / "old.yml").write_text('version: "3.1"\nnlu: []\n', encoding="utf-8")

    refused = runner.invoke(app, ["export", str(target)])
    assert refused.exit_code == 1
    assert "is not empty" in refused.stderr
    assert "--force" in refused.stderr
    assert (target / "data" / "nlu.yml").read_text(encoding="utf-8") == "nlu: []\n"

    forced = runner.invoke(app, ["export", str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (target / "data" / "nlu.yml").read_bytes() == (bot / "data" / "nlu.yml").read_bytes()
    # A file of the folder that the project does not have is left, with a warning.
    assert (target / "data" / "old.yml").exists()
    assert "data/old.yml is not a file of the project 'default'" in forced.stderr


def test_export_refuses_a_file_as_the_folder(store: MemoryProjectStore, tmp_path: Path) -> None:
    store.create("default")
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["export", str(target), "--force"])
    assert result.exit_code == 1
    assert "is a file" in result.stderr


def test_export_of_an_unknown_project_lists_the_projects(
    store: MemoryProjectStore, tmp_path: Path
) -> None:
    store.create("alpha")
    store.create("beta")
    result = runner.invoke(app, ["export", str(tmp_path / "out"), "--project", "gamma"])
    assert result.exit_code == 1
    assert "no project 'gamma'; the projects are: alpha, beta" in result.stderr
    assert not (tmp_path / "out").exists()


def test_export_of_a_project_without_files(store: MemoryProjectStore, tmp_path: Path) -> None:
    store.create("default")
    result = runner.invoke(app, ["export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "has no files; nothing was written" in result.stdout
    assert not (tmp_path / "out").exists()


def test_export_refuses_a_stored_path_outside_the_project(
    store: MemoryProjectStore, tmp_path: Path
) -> None:
    # Whoever wrote to the store, a path leaving the folder is never written.
    store.create("default")
    store.replace("default", {"domain.yml": "x: 1\n", "data/../../escape.yml": "x"})
    result = runner.invoke(app, ["export", str(tmp_path / "out" / "bot")])
    assert result.exit_code == 1
    assert "'data/../../escape.yml' is not valid" in result.stderr
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "escape.yml").exists()
