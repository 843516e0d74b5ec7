"""A project as files: relative POSIX path → text, the form a
:class:`~parley.core.ports.ProjectStore` keeps, taken from a folder and written back.

The files are exactly those the reader reads, so what is imported is what ``parley
validate`` checked and nothing else (not ``models/``, ``results/``, ``.parley/`` or hidden
files). Text is kept as written: the bytes decoded as UTF-8, with no newline translation
and the byte-order mark kept, so a folder → store → folder round trip is byte for byte.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import NoReturn

from parley.errors import ProjectError
from parley.project.reader import is_project_path, read_project
from parley.project.reading import ProjectReading
from parley.project.yaml_file import YamlFileError, decode_utf8

MAX_FILE_BYTES = 32 * 1024 * 1024
"""The largest file a project may hold: far above any real training file, well below
what a database row or a request should carry."""

MAX_PATH_LENGTH = 1024

PROJECT_LAYOUT = (
    "domain.yml (or a domain/ folder of .yml files), config.yml, endpoints.yml, "
    "credentials.yml, .yml/.yaml files below data/, and tests/**/test_*.yml"
)
"""Where a project's files go, for messages."""

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def project_files(root: Path) -> dict[str, str]:
    """Every file of the project at ``root`` that the reader reads, sorted by path.

    Raises :class:`ProjectError` naming a file that cannot be kept: unreadable, not UTF-8,
    larger than :data:`MAX_FILE_BYTES`, or at a path :func:`checked_file_path` refuses;
    :class:`~parley.errors.ProjectNotFoundError` when ``root`` is not a folder.
    """
    return files_read(read_project(root))


def files_read(reading: ProjectReading) -> dict[str, str]:
    """The files of a project already read (:func:`project_files` without reading again)."""
    files: dict[str, str] = {}
    for path in reading.files:
        name = checked_file_path(path.relative_to(reading.root).as_posix())
        files[name] = _read_text(path, name)
    return dict(sorted(files.items()))


def write_project_files(root: Path, files: Mapping[str, str]) -> list[Path]:
    """Write ``files`` below ``root`` (created, as are the folders the files need),
    replacing files of the same name and leaving every other file alone; returns the
    files written, sorted. Every path and text is checked before anything is written."""
    checked = {
        checked_file_path(name): checked_file_text(name, text)
        for name, text in sorted(files.items())
    }
    _refuse_file_and_folder(checked)
    written: list[Path] = []
    for name, text in checked.items():
        path = root.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        # Bytes, not text mode: text mode would turn "\n" into the platform's line ending.
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


@contextmanager
def materialized(files: Mapping[str, str]) -> Iterator[Path]:
    """A temporary project folder holding ``files`` (to read, validate or train a stored
    project), removed on exit."""
    with tempfile.TemporaryDirectory(prefix="parley-project-") as folder:
        root = Path(folder)
        write_project_files(root, files)
        yield root


def checked_file_path(path: str) -> str:
    """``path`` when it names a project file: relative, ``/``-separated, without ``.``,
    ``..``, empty or hidden segments, at a place the reader reads; else
    :class:`ProjectError` saying why and where project files go."""
    if not path:
        _refuse_path(path, "it is empty")
    if len(path) > MAX_PATH_LENGTH:
        _refuse_path(path, f"it is longer than {MAX_PATH_LENGTH} characters")
    if "\\" in path:
        _refuse_path(path, "it holds a backslash; separate folders with /")
    if _CONTROL.search(path):
        _refuse_path(path, "it holds a control character")
    if path.startswith("/") or _DRIVE.match(path):
        _refuse_path(path, "it is absolute; give it relative to the project folder")
    parts = path.split("/")
    if "" in parts:
        _refuse_path(path, "it has an empty segment (// or a / at either end)")
    if any(part in (".", "..") for part in parts):
        _refuse_path(path, "it has a . or .. segment; give the path from the project folder")
    if any(part.startswith(".") for part in parts):
        _refuse_path(path, "it names a hidden file or folder, which is not part of a project")
    if not is_project_path(PurePosixPath(path)):
        _refuse_path(
            path, f"Parley does not read a file there; a project's files are {PROJECT_LAYOUT}"
        )
    return path


def checked_file_text(path: str, text: str) -> str:
    """``text`` when a project file can hold it: at most :data:`MAX_FILE_BYTES` in UTF-8,
    no NUL (no YAML file may hold one; PostgreSQL refuses it) and no lone surrogate."""
    if "\x00" in text:
        raise ProjectError(
            (), summary=f"{path} holds a NUL character, which no YAML file may hold; remove it"
        )
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise ProjectError(
            (),
            summary=f"{path} holds a lone surrogate (U+{ord(error.object[error.start]):04X} at "
            f"character {error.start}), which is not text; send the file as UTF-8",
        ) from None
    if size > MAX_FILE_BYTES:
        _refuse_size(path, size)
    return text


def _read_text(path: Path, name: str) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            _refuse_size(name, size)
        raw = path.read_bytes()
    except OSError as error:
        raise ProjectError(
            (), summary=f"cannot read {name}: {error.strerror or error}; check its permissions"
        ) from None
    try:
        return checked_file_text(name, raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        decode_utf8(path, raw)  # for its message, which names the line and the byte
    except YamlFileError as error:
        raise ProjectError([error.problem], summary=f"{name} is not UTF-8") from None
    raise AssertionError(f"{name}: decode_utf8 took bytes that are not UTF-8")


def _refuse_file_and_folder(files: Mapping[str, str]) -> None:
    """A path cannot be a file and hold files: no folder could be written for both."""
    for name in files:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in files:
                raise ProjectError(
                    (),
                    summary=f"{folder} is both a file and the folder of {name}; rename one",
                )


def _refuse_path(path: str, reason: str) -> NoReturn:
    raise ProjectError((), summary=f"the file path {path!r} is not valid: {reason}")


def _refuse_size(name: str, size: int) -> NoReturn:
    raise ProjectError(
        (),
        summary=f"{name} has {_size(size)}, more than a project file may hold "
        f"({_size(MAX_FILE_BYTES)}); split it into several files below data/",
    )


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MiB" if count >= 2**20 else f"{count:,} bytes"


__all__ = [
    "MAX_FILE_BYTES",
    "checked_file_path",
    "checked_file_text",
    "files_read",
    "materialized",
    "project_files",
    "write_project_files",
]
