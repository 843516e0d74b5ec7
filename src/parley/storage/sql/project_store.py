"""Projects in SQL: one ``projects`` row each, one ``project_files`` row per file.

Every write to a project's files first bumps the project's ``updated_at``: that one
statement finds the project and locks its row, so writers of one project take turns (an
import never mixes with another write) while readers go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from parley.errors import ConflictError, NotFoundError
from parley.storage.sql.database import Database
from parley.storage.sql.tables import project_files, projects


def project_names(conn: Connection) -> list[str]:
    return list(conn.scalars(select(projects.c.name).order_by(projects.c.name)))


def project_id(conn: Connection, name: str) -> int:
    """The id of project ``name``; :class:`NotFoundError` listing the projects there are."""
    found: int | None = conn.scalar(select(projects.c.id).where(projects.c.name == name))
    if found is None:
        raise NotFoundError("project", name, project_names(conn))
    return found


class SqlProjectStore:
    """The :class:`~parley.core.ports.ProjectStore` in a :class:`Database`. Thread-safe."""

    def __init__(self, database: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self._clock = clock

    def names(self) -> list[str]:
        with self.database.connection() as conn:
            return project_names(conn)

    def create(self, name: str) -> None:
        now = self._clock()
        with self.database.transaction() as conn:
            try:
                conn.execute(insert(projects).values(name=name, created_at=now, updated_at=now))
            except IntegrityError:
                raise ConflictError(
                    f"there is a project {name!r} already; pick another name"
                ) from None

    def delete(self, name: str) -> None:
        # The foreign keys cascade to files, models, tags, artifacts and jobs (SQLite
        # enforces them: the Database turns them on for every connection).
        with self.database.transaction() as conn:
            deleted = conn.execute(delete(projects).where(projects.c.name == name))
            if deleted.rowcount == 0:
                raise NotFoundError("project", name, project_names(conn))

    def files(self, name: str) -> dict[str, str]:
        f = project_files.c
        with self.database.connection() as conn:
            # One statement: the project and its files come from one snapshot.
            rows = conn.execute(
                select(f.path, f.content)
                .select_from(projects.outerjoin(project_files, f.project_id == projects.c.id))
                .where(projects.c.name == name)
                .order_by(f.path)
            ).all()
            if not rows:
                raise NotFoundError("project", name, project_names(conn))
        return {path: content for path, content in rows if path is not None}

    def replace(self, name: str, files: Mapping[str, str]) -> None:
        with self.database.transaction() as conn:
            project, now = self._lock(conn, name)
            conn.execute(delete(project_files).where(project_files.c.project_id == project))
            if files:
                conn.execute(
                    insert(project_files),
                    [
                        {"project_id": project, "path": path, "content": text, "updated_at": now}
                        for path, text in files.items()
                    ],
                )

    def write_file(self, name: str, path: str, text: str) -> None:
        make_insert = postgresql.insert if self.database.backend == "postgresql" else sqlite.insert
        with self.database.transaction() as conn:
            project, now = self._lock(conn, name)
            statement = make_insert(project_files).values(
                project_id=project, path=path, content=text, updated_at=now
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["project_id", "path"],
                    set_={"content": statement.excluded.content, "updated_at": now},
                )
            )

    def delete_file(self, name: str, path: str) -> None:
        f = project_files.c
        with self.database.transaction() as conn:
            project, _ = self._lock(conn, name)
            deleted = conn.execute(
                delete(project_files).where(f.project_id == project, f.path == path)
            )
            if deleted.rowcount == 0:
                paths = conn.scalars(select(f.path).where(f.project_id == project))
                raise NotFoundError("file", path, list(paths))

    def _lock(self, conn: Connection, name: str) -> tuple[int, float]:
        """Bump the project's ``updated_at``, taking its row's lock; its id and the time."""
        now = self._clock()
        found = conn.scalar(
            update(projects)
            .where(projects.c.name == name)
            .values(updated_at=now)
            .returning(projects.c.id)
        )
        if found is None:
            raise NotFoundError("project", name, project_names(conn))
        return found, now
