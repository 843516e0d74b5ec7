"""The starter assistant that ``parley init`` writes: a small coffee-shop ordering bot.

Its files live in ``templates/starter/`` inside the package, so they ship with it and are
plain Rasa 3.x project files anyone can read before running ``parley init``.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from parley.errors import ProjectExistsError


def starter_files() -> dict[PurePosixPath, bytes]:
    """The starter project's files, keyed by their path relative to the project folder."""
    found: dict[PurePosixPath, bytes] = {}
    _collect(files("parley.project").joinpath("templates", "starter"), PurePosixPath(), found)
    return dict(sorted(found.items()))


def _collect(folder: Traversable, prefix: PurePosixPath, found: dict[PurePosixPath, bytes]) -> None:
    for entry in folder.iterdir():
        if entry.is_dir():
            _collect(entry, prefix / entry.name, found)
        elif entry.is_file():
            found[prefix / entry.name] = entry.read_bytes()


def create_starter_project(target: Path, *, force: bool = False) -> list[Path]:
    """Write the starter assistant into ``target`` (created if needed) and return the files
    written.

    An existing folder must be empty unless ``force`` is set; then the starter's files
    replace any of the same name and every other file is left alone. Raises
    :class:`ProjectExistsError` when ``target`` is a file or a folder that is not empty.
    """
    if target.exists() and not target.is_dir():
        raise ProjectExistsError(
            target, f"{target} is a file; give a folder to create the project in"
        )
    if not force and target.is_dir() and any(target.iterdir()):
        raise ProjectExistsError(
            target,
            f"{target} is not empty; choose a new or empty folder, or pass force=True to add "
            "the starter files to it, replacing files of the same name",
        )
    written: list[Path] = []
    for relative, content in starter_files().items():
        path = target.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written
