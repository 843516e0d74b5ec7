"""The model registry's rows in SQL: ``models``, and ``model_tags`` whose primary key
(project, tag) keeps every tag on one model at most, whoever tags at the same moment."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, Select, delete, exists, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from parley.core.model_record import ModelRecord
from parley.errors import ConflictError, NotFoundError
from parley.storage.sql.database import Database
from parley.storage.sql.project_store import project_id
from parley.storage.sql.tables import model_tags, models, projects

_m, _t = models.c, model_tags.c


def insert_model(conn: Connection, record: ModelRecord) -> None:
    """Add ``record``'s row (without tags) in the caller's transaction."""
    project = project_id(conn, record.project)
    try:
        conn.execute(
            insert(models).values(
                project_id=project,
                name=record.name,
                fingerprint=record.fingerprint,
                created=record.created,
                registered=record.registered,
                trained_by=record.trained_by,
                kind=record.kind,
                parley_version=record.parley_version,
                size=record.size,
                metrics=json.dumps(record.metrics),
            )
        )
    except IntegrityError:
        raise ConflictError(
            f"project {record.project!r} has a model {record.name!r} already; "
            "upload it under another name"
        ) from None


def _models_of(project: str) -> Select[Any]:
    return (
        select(models, projects.c.name.label("project"))
        .join(projects, projects.c.id == _m.project_id)
        .where(projects.c.name == project)
    )


def _record(row: Row[Any], tags: Sequence[str]) -> ModelRecord:
    return ModelRecord(
        project=row.project,
        name=row.name,
        fingerprint=row.fingerprint,
        created=row.created,
        registered=row.registered,
        trained_by=row.trained_by,
        kind=row.kind,
        parley_version=row.parley_version,
        size=row.size,
        metrics=json.loads(row.metrics),
        tags=tuple(sorted(tags)),
    )


def _tags(conn: Connection, model: int) -> list[str]:
    return list(conn.scalars(select(_t.tag).where(_t.model_id == model)))


class SqlModelCatalog:
    """The :class:`~parley.core.ports.ModelCatalog` in a :class:`Database`. Thread-safe."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, record: ModelRecord) -> None:
        with self.database.transaction() as conn:
            insert_model(conn, record)

    def get(self, project: str, name: str) -> ModelRecord:
        with self.database.connection() as conn:
            row = self._row(conn, project, name)
            return _record(row, _tags(conn, row.id))

    def list(self, project: str) -> list[ModelRecord]:
        with self.database.connection() as conn:
            rows = conn.execute(
                _models_of(project).order_by(_m.registered.desc(), _m.name.desc())
            ).all()
            tags: dict[int, list[str]] = defaultdict(list)
            for model, tag in conn.execute(
                select(_t.model_id, _t.tag)
                .join(projects, projects.c.id == _t.project_id)
                .where(projects.c.name == project)
            ):
                tags[model].append(tag)
        return [_record(row, tags[row.id]) for row in rows]

    def delete(self, project: str, name: str) -> None:
        with self.database.transaction() as conn:
            # Locked first (PostgreSQL): a tagger of this model waits until it is gone,
            # then fails, and a tag set before shows in the check below.
            model = self._row(conn, project, name, lock=True).id
            untagged = ~exists().where(_t.model_id == model)
            deleted = conn.execute(delete(models).where(_m.id == model, untagged))
            if deleted.rowcount == 0:
                tags = sorted(_tags(conn, model))
                raise ConflictError(
                    f"model {name!r} carries the tags {', '.join(tags)}; untag it first"
                )

    def tag(self, project: str, name: str, tag: str) -> None:
        make_insert = postgresql.insert if self.database.backend == "postgresql" else sqlite.insert
        with self.database.transaction() as conn:
            row = self._row(conn, project, name)
            statement = make_insert(model_tags).values(
                project_id=row.project_id, tag=tag, model_id=row.id
            )
            try:
                # One statement moves the tag, so concurrent taggers each leave it whole
                # on one model: the last to commit wins.
                conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=["project_id", "tag"],
                        set_={"model_id": statement.excluded.model_id},
                    )
                )
            except IntegrityError:  # the model was deleted meanwhile
                raise NotFoundError("model", name) from None

    def untag(self, project: str, name: str, tag: str) -> None:
        with self.database.transaction() as conn:
            row = self._row(conn, project, name)
            deleted = conn.execute(
                delete(model_tags).where(
                    _t.project_id == row.project_id, _t.tag == tag, _t.model_id == row.id
                )
            )
            if deleted.rowcount == 0:
                raise NotFoundError(f"tag of model {name!r}", tag, _tags(conn, row.id))

    def tagged(self, project: str, tag: str) -> ModelRecord | None:
        with self.database.connection() as conn:
            row = conn.execute(
                _models_of(project).join(model_tags, _t.model_id == _m.id).where(_t.tag == tag)
            ).first()
            return None if row is None else _record(row, _tags(conn, row.id))

    def _row(self, conn: Connection, project: str, name: str, *, lock: bool = False) -> Row[Any]:
        query = _models_of(project).where(_m.name == name)
        if lock:
            query = query.with_for_update(of=models)
        row = conn.execute(query).first()
        if row is None:
            raise NotFoundError("model", name)
        return row
