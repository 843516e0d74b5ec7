"""The :class:`~parley.core.ports.ProjectStore` in a dict."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from parley.errors import ConflictError, NotFoundError


class MemoryProjectStore:
    def __init__(self) -> None:
        self._projects: dict[str, dict[str, str]] = {}
        self._guard = threading.Lock()
        self.on_delete: list[Callable[[str], None]] = []
        """Called with a deleted project's name: its models and jobs go with it (the
        ``forget`` of a :class:`MemoryModelCatalog` and a :class:`MemoryJobStore`)."""

    def names(self) -> list[str]:
        with self._guard:
            return sorted(self._projects)

    def create(self, name: str) -> None:
        with self._guard:
            if name in self._projects:
                raise ConflictError(f"there is a project {name!r} already; pick another name")
            self._projects[name] = {}

    def delete(self, name: str) -> None:
        with self._guard:
            self._require(name)
            del self._projects[name]
        # Outside the lock: the catalog, holding its own, asks for the project names.
        for forget in self.on_delete:
            forget(name)

    def files(self, name: str) -> dict[str, str]:
        with self._guard:
            return dict(self._require(name))

    def replace(self, name: str, files: Mapping[str, str]) -> None:
        with self._guard:
            self._require(name)
            self._projects[name] = dict(files)

    def write_file(self, name: str, path: str, text: str) -> None:
        with self._guard:
            self._require(name)[path] = text

    def delete_file(self, name: str, path: str) -> None:
        with self._guard:
            files = self._require(name)
            if path not in files:
                raise NotFoundError("file", path, files)
            del files[path]

    def _require(self, name: str) -> dict[str, str]:
        try:
            return self._projects[name]
        except KeyError:
            raise NotFoundError("project", name, self._projects) from None
