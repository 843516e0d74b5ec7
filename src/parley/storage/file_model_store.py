"""Model artifacts as files: ``<root>/<project>/<name>.tar.gz``, the default
(``models.storage: files``), also right for servers that share a volume.

An artifact takes its name only once it is whole and on disk: it is written to a temporary
file beside it (a dot file, which :meth:`FileModelStore.names` skips), flushed, and then
given the name in one step, so a reader, even in another process, sees all of it or
nothing, and a crash leaves at most a stray temporary file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from parley.errors import ConflictError, NotFoundError
from parley.models.artifact import ARTIFACT_SUFFIX, sync_folder
from parley.models.registry import checked_name


def publish(data: bytes | Path, target: Path, *, replace: bool) -> bool:
    """Write ``data`` (bytes, or a file to copy) to ``target`` through a temporary file
    beside it, flushed to disk before it takes the name, so no reader sees part of it.
    With ``replace`` an existing ``target`` is overwritten; without, it is kept and False
    returned."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            if isinstance(data, Path):
                with data.open("rb") as source:
                    shutil.copyfileobj(source, out, 1 << 20)
            else:
                out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(temporary, target)
        else:
            try:
                # A hard link takes the name only if it is free, atomically.
                os.link(temporary, target)
            except FileExistsError:
                return False
            except OSError:
                # A file system without hard links: a narrow race on the name remains.
                if target.exists():
                    return False
                os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    sync_folder(target.parent)
    return True


class FileModelStore:
    """The :class:`~parley.core.ports.ModelStore` in a folder. Thread- and process-safe."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def save(self, project: str, name: str, source: Path) -> None:
        target = self._file(project, name)
        if target.exists() or not publish(source, target, replace=False):
            raise ConflictError(f"model {name!r} of project {project!r} is stored already")

    def path(self, project: str, name: str) -> Path:
        target = self._file(project, name)
        if not target.is_file():
            raise NotFoundError("model", name)
        return target

    def delete(self, project: str, name: str) -> None:
        self._file(project, name).unlink(missing_ok=True)

    def names(self, project: str) -> list[str]:
        folder = self.root / checked_name("project", project)
        if not folder.is_dir():
            return []
        return sorted(
            entry.name.removesuffix(ARTIFACT_SUFFIX)
            for entry in folder.iterdir()
            if entry.name.endswith(ARTIFACT_SUFFIX) and not entry.name.startswith(".")
        )

    def _file(self, project: str, name: str) -> Path:
        return (
            self.root
            / checked_name("project", project)
            / (checked_name("model", name) + ARTIFACT_SUFFIX)
        )
