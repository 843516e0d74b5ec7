"""A project as files (``parley.project.files``): which files form a project, and moving
them between a folder and a path → text mapping without changing a byte."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from parley.errors import ProjectError, ProjectNotFoundError
from parley.project import files as project_files_module
from parley.project import read_project
from parley.project.files import (
    checked_file_path,
    checked_file_text,
    files_read,
    materialized,
    project_files,
    write_project_files,
)
from parley.project.reader import is_project_path
from parley.project.scaffold import create_starter_project, starter_files


def write(root: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def starter(tmp_path: Path) -> Path:
    root = tmp_path / "bot"
    create_starter_project(root)
    return root


def test_the_starter_project_is_all_its_files(tmp_path: Path) -> None:
    files = project_files(starter(tmp_path))
    expected = {str(path): content.decode("utf-8") for path, content in starter_files().items()}
    assert files == expected
    assert list(files) == sorted(files)


def test_only_the_files_the_reader_reads_belong_to_the_project(tmp_path: Path) -> None:
    root = starter(tmp_path)
    ignored = {
        "models/20240101-000000-abc.tar.gz": b"\x1f\x8b not text",
        "results/intent_report.json": b"{}",
        ".parley/parley.db": b"SQLite format 3\x00",
        ".rasa/cache/x.yml": b"a: 1\n",
        ".git/config": b"[core]\n",
        "data/.nlu.yml.swp": b"\x00\x01",
        "data/.hidden.yml": b"nlu: []\n",
        "data/.drafts/more.yml": b"nlu: []\n",
        "data/README.md": b"# notes\n",
        "domain.yaml.orig": b"x\n",
        "tests/helpers.yml": b"stories: []\n",
        "tests/.test_hidden.yml": b"stories: []\n",
        "actions/actions.py": b"print('hi')\n",
        "README.md": b"# bot\n",
        "config.yaml": b"language: en\n",
        "__pycache__/x.pyc": b"\x00",
    }
    write(root, ignored)
    files = project_files(root)
    assert not set(files) & set(ignored)
    assert set(files) == {str(path) for path in starter_files()}
    # The reader reads none of them either: the project is what was validated.
    read = {path.relative_to(root).as_posix() for path in read_project(root).files}
    assert read == set(files)


def test_a_domain_folder_nested_data_and_yaml_suffixes(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    content = {
        "domain/intents.yml": b'version: "3.1"\nintents:\n  - greet\n',
        "domain/responses/greet.yaml": b'version: "3.1"\nresponses:\n  utter_greet:\n'
        b'    - text: "hi"\n',
        "domain/notes.txt": b"not read\n",
        "data/nlu/greet.yaml": b'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n'
        b"    - hi\n    - hello\n",
        "tests/deep/test_greet.yaml": b'version: "3.1"\nstories: []\n',
    }
    write(root, content)
    files = project_files(root)
    assert set(files) == set(content) - {"domain/notes.txt"}


def test_text_is_kept_byte_for_byte(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    nlu = (
        '\ufeffversion: "3.1"\r\nnlu:\r\n- intent: greet\r\n  examples: |\r\n'
        "    - grüß dich\r\n    - 你好\r\n    - hi \U0001f44b"
    ).encode()  # a byte-order mark, CRLF, no newline at the end
    domain = b'version: "3.1"\nintents:\n  - greet\n\n\n'
    write(root, {"data/nlu.yml": nlu, "domain.yml": domain, "config.yml": b"\n"})
    files = project_files(root)
    assert files["data/nlu.yml"].startswith("\ufeff")
    assert "\r\n" in files["data/nlu.yml"]

    copy = tmp_path / "copy"
    written = write_project_files(copy, files)
    assert sorted(path.relative_to(copy).as_posix() for path in written) == sorted(files)
    assert (copy / "data" / "nlu.yml").read_bytes() == nlu
    assert (copy / "domain.yml").read_bytes() == domain
    assert (copy / "config.yml").read_bytes() == b"\n"
    assert project_files(copy) == files


def test_a_file_that_is_not_utf8_is_refused_naming_it_and_the_fix(tmp_path: Path) -> None:
    root = starter(tmp_path)
    (root / "data" / "extra.yml").write_bytes(b"nlu:\n- intent: caf\xe9\n")
    with pytest.raises(ProjectError) as raised:
        project_files(root)
    message = str(raised.value)
    assert "data/extra.yml is not UTF-8" in message
    assert "0xe9" in message
    assert ":2:" in message  # the line of the bad byte
    assert "iconv" in message


def test_a_file_too_large_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = starter(tmp_path)
    largest = max(read_project(root).files, key=lambda path: path.stat().st_size)
    size = largest.stat().st_size
    monkeypatch.setattr(project_files_module, "MAX_FILE_BYTES", size - 1)
    name = largest.relative_to(root).as_posix()
    with pytest.raises(ProjectError) as raised:
        project_files(root)
    assert str(raised.value) == (
        f"{name} has {size:,} bytes, more than a project file may hold ({size - 1:,} bytes); "
        "split it into several files below data/"
    )
    with pytest.raises(ProjectError, match=r"data/x\.yml has"):
        checked_file_text("data/x.yml", "x" * size)
    assert checked_file_text("data/x.yml", "x" * (size - 1)) == "x" * (size - 1)


def test_a_nul_character_is_refused(tmp_path: Path) -> None:
    root = starter(tmp_path)
    (root / "data" / "extra.yml").write_bytes(b"nlu: []\n\x00")
    with pytest.raises(ProjectError, match=r"data/extra\.yml holds a NUL"):
        project_files(root)


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(ProjectError, match=r"data/x\.yml holds a lone surrogate \(U\+D800"):
        checked_file_text("data/x.yml", "ok \ud800")


def test_an_unreadable_file_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file system refusing is simulated: permission bits do not stop root, who runs CI.
    root = starter(tmp_path)
    secret = root / "data" / "rules.yml"
    real_read_bytes = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path == secret:
            raise PermissionError(13, "Permission denied", str(path))
        return real_read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(ProjectError, match=r"cannot read data/rules\.yml: .*permissions"):
        project_files(root)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProjectNotFoundError):
        project_files(tmp_path / "nowhere")


def test_files_linked_from_outside_keep_the_path_of_the_link(tmp_path: Path) -> None:
    root = starter(tmp_path)
    shared = tmp_path / "shared.yml"
    shared.write_bytes(b'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hey\n')
    (root / "data" / "shared.yml").symlink_to(shared)
    files = project_files(root)
    assert files["data/shared.yml"] == shared.read_text(encoding="utf-8")


def test_files_read_takes_a_reading_already_made(tmp_path: Path) -> None:
    root = starter(tmp_path)
    assert files_read(read_project(root)) == project_files(root)


@pytest.mark.parametrize(
    "path",
    [
        "domain.yml",
        "domain.yaml",
        "config.yml",
        "endpoints.yml",
        "credentials.yml",
        "domain/slots.yml",
        "domain/deep/forms.yaml",
        "data/nlu.yml",
        "data/nlu/faq.yaml",
        "data/my stories (old).yml",
        "data/ünïcode.yml",
        "tests/test_stories.yml",
        "tests/forms/test_forms.yaml",
    ],
)
def test_project_file_paths_are_accepted(path: str) -> None:
    assert checked_file_path(path) == path
    assert is_project_path(PurePosixPath(path))


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "empty"),
        ("/etc/passwd", "absolute"),
        ("/data/nlu.yml", "absolute"),
        ("C:/data/nlu.yml", "absolute"),
        ("data\\nlu.yml", "backslash"),
        ("data/../../etc/passwd.yml", r"\.\. segment"),
        ("../domain.yml", r"\.\. segment"),
        ("./domain.yml", r"\. or \.\. segment"),
        ("data//nlu.yml", "empty segment"),
        ("data/nlu.yml/", "empty segment"),
        ("data/.hidden.yml", "hidden"),
        (".parley/parley.db", "hidden"),
        ("data/.git/x.yml", "hidden"),
        ("data/nl\nu.yml", "control character"),
        ("data/nlu\x00.yml", "control character"),
        ("data/" + "x" * 1100 + ".yml", "longer than"),
        ("models/model.tar.gz", "does not read a file there"),
        ("README.md", "does not read a file there"),
        ("data/nlu.md", "does not read a file there"),
        ("data", "does not read a file there"),
        ("tests/stories.yml", "does not read a file there"),
        ("config.yaml", "does not read a file there"),
        ("actions/actions.py", "does not read a file there"),
    ],
)
def test_other_paths_are_refused_saying_why(path: str, reason: str) -> None:
    with pytest.raises(ProjectError, match=reason) as raised:
        checked_file_path(path)
    assert "is not valid" in str(raised.value)


def test_a_refused_place_lists_where_project_files_go() -> None:
    with pytest.raises(ProjectError) as raised:
        checked_file_path("notes.txt")
    message = str(raised.value)
    for place in ("domain.yml", "config.yml", "data/", "tests/**/test_*.yml"):
        assert place in message


def test_nothing_is_written_when_one_path_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(ProjectError, match=r"\.\."):
        write_project_files(target, {"domain.yml": "x: 1\n", "data/../../evil.yml": "x"})
    assert not target.exists()
    assert not (tmp_path / "evil.yml").exists()


def test_a_path_cannot_be_a_file_and_a_folder(tmp_path: Path) -> None:
    files = {"domain.yml": "intents: []\n", "domain.yml/more.yml": "intents: []\n"}
    with pytest.raises(ProjectError, match=r"domain\.yml is both a file and the folder"):
        write_project_files(tmp_path / "out", files)
    assert not (tmp_path / "out").exists()


def test_writing_replaces_files_of_the_same_name_and_keeps_the_others(tmp_path: Path) -> None:
    root = starter(tmp_path)
    (root / "notes.txt").write_text("mine", encoding="utf-8")
    write_project_files(root, {"data/nlu.yml": "nlu: []\n"})
    assert (root / "data" / "nlu.yml").read_text(encoding="utf-8") == "nlu: []\n"
    assert (root / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (root / "data" / "rules.yml").exists()


def test_materialized_is_a_temporary_project_folder(tmp_path: Path) -> None:
    files = project_files(starter(tmp_path))
    with materialized(files) as folder:
        assert folder.is_dir()
        assert project_files(folder) == files
        reading = read_project(folder)
        assert not reading.errors
    assert not folder.exists()


def test_materialized_removes_the_folder_when_the_work_fails(tmp_path: Path) -> None:
    files = project_files(starter(tmp_path))
    kept: list[Path] = []

    def train() -> None:
        with materialized(files) as folder:
            kept.append(folder)
            raise RuntimeError("training failed")

    with pytest.raises(RuntimeError):
        train()
    assert not kept[0].exists()


def test_materialized_refuses_bad_paths_before_making_anything() -> None:
    with pytest.raises(ProjectError, match="absolute"), materialized({"/etc/x.yml": ""}):
        pytest.fail("the body must not run")


def test_every_file_the_reader_reads_is_a_project_path(tmp_path: Path) -> None:
    """``is_project_path`` (what the API accepts) and the reader agree on a varied folder."""
    root = tmp_path / "bot"
    candidates = [
        "domain.yml",
        "domain/x.yml",  # beside domain.yml: not read (a warning), yet a project place
        "config.yml",
        "endpoints.yml",
        "credentials.yml",
        "data/a.yml",
        "data/b.yaml",
        "data/c.json",
        "data/d.md",
        "data/sub/e.yml",
        "data/.f.yml",
        "tests/test_g.yml",
        "tests/h.yml",
        "tests/sub/test_i.yaml",
        "other/j.yml",
        "k.yml",
    ]
    write(root, dict.fromkeys(candidates, b""))
    read = {path.relative_to(root).as_posix() for path in read_project(root).files}
    places = {name for name in candidates if is_project_path(PurePosixPath(name))}
    assert read <= places
    assert places - read == {"domain/x.yml"}
