"""Composing the platform's stores from the settings: projects, the model registry and
jobs, in the database of ``database.url`` and the model storage of ``models.storage``."""

from __future__ import annotations

from dataclasses import dataclass

from parley.core.ports import JobStore, ModelStore, ProjectStore
from parley.models.registry import ModelRegistry
from parley.settings import Settings
from parley.settings.model import ModelStorage
from parley.storage.file_model_store import FileModelStore
from parley.storage.sql.database import Database
from parley.storage.sql.job_store import SqlJobStore
from parley.storage.sql.model_catalog import SqlModelCatalog
from parley.storage.sql.model_store import DatabaseModelStore
from parley.storage.sql.project_store import SqlProjectStore


@dataclass(frozen=True)
class Platform:
    database: Database
    projects: ProjectStore
    registry: ModelRegistry
    jobs: JobStore


def model_store(settings: Settings, database: Database) -> ModelStore:
    if settings.models.storage is ModelStorage.DATABASE:
        return DatabaseModelStore(database, cache_dir=settings.home / "cache" / "models")
    return FileModelStore(settings.models.dir)


def platform(settings: Settings, database: Database | None = None) -> Platform:
    """The platform's stores; ``database`` (migrated) when the caller has it open already,
    else the settings' database, opened and migrated here."""
    if database is None:
        database = Database.connect(str(settings.database.url))
        database.migrate()
    catalog = SqlModelCatalog(database)
    return Platform(
        database=database,
        projects=SqlProjectStore(database),
        registry=ModelRegistry(catalog, model_store(settings, database)),
        jobs=SqlJobStore(database),
    )
