"""Model artifacts in the database (``models.storage: database``), for servers that share
no disk: each artifact is one ``model_artifacts`` row, written once, whole.

Loading a model needs a file, so :meth:`DatabaseModelStore.path` copies the artifact to a
cache folder the first time and reuses the copy after. The copy is named by the row's id:
an artifact deleted and stored again under the same name gets a new id, so a stale copy is
never handed out.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.exc import IntegrityError

from parley.errors import ConflictError, NotFoundError
from parley.models.artifact import ARTIFACT_SUFFIX
from parley.models.registry import checked_name
from parley.storage.file_model_store import publish
from parley.storage.sql.database import Database
from parley.storage.sql.project_store import project_id
from parley.storage.sql.tables import model_artifacts, projects

_a = model_artifacts.c


class DatabaseModelStore:
    """The :class:`~parley.core.ports.ModelStore` in a :class:`Database`, with local copies
    in ``cache_dir``. Thread-safe; processes may share the cache folder."""

    def __init__(self, database: Database, cache_dir: Path) -> None:
        self.database = database
        self.cache_dir = Path(cache_dir)

    def save(self, project: str, name: str, source: Path) -> None:
        checked_name("project", project)
        checked_name("model", name)
        data = source.read_bytes()
        with self.database.transaction() as conn:
            owner = project_id(conn, project)
            try:
                conn.execute(insert(model_artifacts).values(project_id=owner, name=name, data=data))
            except IntegrityError:
                raise ConflictError(
                    f"model {name!r} of project {project!r} is stored already"
                ) from None

    def path(self, project: str, name: str) -> Path:
        by_name = self._by_name(project, name)
        with self.database.connection() as conn:
            artifact = conn.scalar(select(_a.id).where(*by_name))
            if artifact is None:
                raise NotFoundError("model", name)
            target = self._copy(project, artifact, name)
            if target.is_file():
                return target
            data = conn.scalar(select(_a.data).where(_a.id == artifact))
        if data is None:  # deleted meanwhile
            raise NotFoundError("model", name)
        # Two processes copying at once both write whole files; the last one stays.
        publish(data, target, replace=True)
        return target

    def delete(self, project: str, name: str) -> None:
        with self.database.transaction() as conn:
            deleted = conn.scalars(
                delete(model_artifacts).where(*self._by_name(project, name)).returning(_a.id)
            ).all()
        for artifact in deleted:
            shutil.rmtree(self._copy(project, artifact, name).parent, ignore_errors=True)

    def names(self, project: str) -> list[str]:
        query = (
            select(_a.name)
            .join(projects, projects.c.id == _a.project_id)
            .where(projects.c.name == project)
            .order_by(_a.name)
        )
        with self.database.connection() as conn:
            return list(conn.scalars(query))

    def _by_name(self, project: str, name: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        owner = select(projects.c.id).where(projects.c.name == project).scalar_subquery()
        return (_a.project_id == owner, _a.name == name)

    def _copy(self, project: str, artifact: int, name: str) -> Path:
        """Where the cached copy of artifact row ``artifact`` goes."""
        return (
            self.cache_dir
            / checked_name("project", project)
            / str(artifact)
            / (checked_name("model", name) + ARTIFACT_SUFFIX)
        )
