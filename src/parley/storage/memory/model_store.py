"""The :class:`~parley.core.ports.ModelStore` in memory: artifacts kept as bytes, handed
out as files in a temporary folder of the store's own."""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from pathlib import Path

from parley.errors import ConflictError, NotFoundError


class MemoryModelStore:
    def __init__(self) -> None:
        self._artifacts: dict[tuple[str, str], bytes] = {}
        self._folder = Path(tempfile.mkdtemp(prefix="parley-models-"))
        # Removed with the store, quietly (a TemporaryDirectory warns when collected).
        weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        self._guard = threading.Lock()

    def save(self, project: str, name: str, source: Path) -> None:
        data = source.read_bytes()
        with self._guard:
            if (project, name) in self._artifacts:
                raise ConflictError(f"model {name!r} of project {project!r} is stored already")
            self._artifacts[project, name] = data

    def path(self, project: str, name: str) -> Path:
        with self._guard:
            data = self._artifacts.get((project, name))
        if data is None:
            raise NotFoundError("model", name)
        target = self._folder / project / f"{name}.tar.gz"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.write_bytes(data)
        return target

    def delete(self, project: str, name: str) -> None:
        with self._guard:
            self._artifacts.pop((project, name), None)
        (self._folder / project / f"{name}.tar.gz").unlink(missing_ok=True)

    def names(self, project: str) -> list[str]:
        with self._guard:
            return sorted(name for (owner, name) in self._artifacts if owner == project)
