"""The :class:`~parley.core.ports.ModelCatalog` in a dict."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from parley.core.model_record import ModelRecord
from parley.errors import ConflictError, NotFoundError


class MemoryModelCatalog:
    def __init__(self, projects: Callable[[], list[str]] | None = None) -> None:
        """``projects`` lists the projects there are (None: any project exists)."""
        self._projects = projects
        self._models: dict[tuple[str, str], ModelRecord] = {}
        self.guard = threading.RLock()

    def add(self, record: ModelRecord) -> None:
        with self.guard:
            if self._projects is not None and record.project not in self._projects():
                raise NotFoundError("project", record.project, self._projects())
            key = (record.project, record.name)
            if key in self._models:
                raise ConflictError(
                    f"project {record.project!r} has a model {record.name!r} already; "
                    "upload it under another name"
                )
            self._models[key] = dataclasses.replace(record, tags=())

    def get(self, project: str, name: str) -> ModelRecord:
        with self.guard:
            try:
                return self._models[project, name]
            except KeyError:
                raise NotFoundError("model", name) from None

    def list(self, project: str) -> list[ModelRecord]:
        with self.guard:
            found = [m for (owner, _), m in self._models.items() if owner == project]
        return sorted(found, key=lambda m: (m.registered, m.name), reverse=True)

    def delete(self, project: str, name: str) -> None:
        with self.guard:
            record = self.get(project, name)
            if record.tags:
                raise ConflictError(
                    f"model {name!r} carries the tags {', '.join(record.tags)}; untag it first"
                )
            del self._models[project, name]

    def tag(self, project: str, name: str, tag: str) -> None:
        with self.guard:
            record = self.get(project, name)
            holder = self.tagged(project, tag)
            if holder is not None and holder.name != name:
                self._models[project, holder.name] = dataclasses.replace(
                    holder, tags=tuple(t for t in holder.tags if t != tag)
                )
            if tag not in record.tags:
                self._models[project, name] = dataclasses.replace(
                    record, tags=tuple(sorted((*record.tags, tag)))
                )

    def untag(self, project: str, name: str, tag: str) -> None:
        with self.guard:
            record = self.get(project, name)
            if tag not in record.tags:
                raise NotFoundError(f"tag of model {name!r}", tag, record.tags)
            self._models[project, name] = dataclasses.replace(
                record, tags=tuple(t for t in record.tags if t != tag)
            )

    def forget(self, project: str) -> None:
        """Drop every model of ``project`` (deleted)."""
        with self.guard:
            for key in [key for key in self._models if key[0] == project]:
                del self._models[key]

    def tagged(self, project: str, tag: str) -> ModelRecord | None:
        with self.guard:
            return next(
                (m for (owner, _), m in self._models.items() if owner == project and tag in m.tags),
                None,
            )
