"""The model registry: models as rows plus stored artifacts, tagged for their uses.

Every artifact is checked whole before it enters (manifest, format and Parley version,
every member as extraction checks it), so a stored model is one a server can load; the
artifact is stored before its row is added, so the catalog only ever names complete
artifacts. Tags follow the rules of :mod:`parley.core.model_record`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from parley.core.model_record import NAME_PATTERN, ModelRecord
from parley.core.ports import ModelCatalog, ModelStore
from parley.errors import ConfigurationError, ConflictError, NotFoundError
from parley.models.artifact import (
    ARTIFACT_SUFFIX,
    DEFAULT_LIMITS,
    ExtractionLimits,
    extract_artifact,
)
from parley.models.manifest import Manifest


def checked_name(kind: str, name: str) -> str:
    """``name`` as a project, model or tag name; refused unless it is one."""
    if not NAME_PATTERN.match(name):
        raise ConfigurationError(
            f"{kind} name {name!r} is not valid; use up to 128 letters, digits, '-', '_' and "
            "'.', starting with a letter or digit"
        )
    return name


def default_name(manifest: Manifest) -> str:
    """The name a model gets when none is given: when it was trained, and its fingerprint."""
    return f"{manifest.created:%Y%m%d-%H%M%S}-{manifest.fingerprint[:12]}"


class ModelRegistry:
    def __init__(
        self,
        catalog: ModelCatalog,
        store: ModelStore,
        *,
        clock: Callable[[], float] = time.time,
        limits: ExtractionLimits = DEFAULT_LIMITS,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self._clock = clock
        self._limits = limits

    def check(self, artifact: Path) -> Manifest:
        """The artifact's manifest once every member passed extraction's checks; raises
        :class:`~parley.errors.ModelError` saying what is wrong."""
        with tempfile.TemporaryDirectory(prefix="parley-check-") as folder:
            return extract_artifact(artifact, Path(folder) / "model", self._limits)

    def record(
        self, project: str, artifact: Path, *, name: str | None, trained_by: str
    ) -> ModelRecord:
        """The row ``artifact`` (checked) would get: name given, or made from the manifest."""
        manifest = self.check(artifact)
        chosen = checked_name("model", name.removesuffix(ARTIFACT_SUFFIX)) if name else None
        return ModelRecord(
            project=project,
            name=chosen or default_name(manifest),
            fingerprint=manifest.fingerprint,
            created=manifest.created.timestamp(),
            registered=self._clock(),
            trained_by=trained_by,
            kind=manifest.kind.value,
            parley_version=manifest.parley_version,
            size=artifact.stat().st_size,
            metrics=manifest.metrics.model_dump(mode="json"),
        )

    def register(
        self, project: str, artifact: Path, *, name: str | None = None, trained_by: str
    ) -> ModelRecord:
        """Check ``artifact``, store it and add its row; nothing is kept when any step fails."""
        record = self.record(project, artifact, name=name, trained_by=trained_by)
        self.store_artifact(record, artifact)
        try:
            self.catalog.add(record)
        except BaseException:
            self.store.delete(project, record.name)
            raise
        return self.catalog.get(project, record.name)

    def adopt(self, project: str, artifact: Path, *, trained_by: str) -> tuple[ModelRecord, bool]:
        """The model of a local artifact file: the registered one of the same fingerprint,
        or a new one named after the file (the default name when that one is taken), and
        whether it is new."""
        fingerprint = self.check(artifact).fingerprint
        for record in self.catalog.list(project):
            if record.fingerprint == fingerprint:
                return record, False
        name = artifact.name.removesuffix(ARTIFACT_SUFFIX)
        try:
            return self.register(project, artifact, name=name, trained_by=trained_by), True
        except ConflictError:
            return self.register(project, artifact, trained_by=trained_by), True

    def store_artifact(self, record: ModelRecord, artifact: Path) -> None:
        """Store the artifact of ``record`` (for a caller adding the row itself, as a
        training job does together with finishing the job)."""
        self.store.save(record.project, record.name, artifact)

    def list(self, project: str) -> list[ModelRecord]:
        return self.catalog.list(project)

    def get(self, project: str, name: str) -> ModelRecord:
        return self.catalog.get(project, name)

    def path(self, project: str, name: str) -> Path:
        """A local file holding the model's artifact."""
        self.catalog.get(project, name)
        return self.store.path(project, name)

    def delete(self, project: str, name: str) -> None:
        """Refused (:class:`~parley.errors.ConflictError`) while the model carries a tag."""
        self.catalog.delete(project, name)
        self.store.delete(project, name)

    def tag(self, project: str, name: str, tag: str) -> ModelRecord:
        self.catalog.tag(project, name, checked_name("tag", tag))
        return self.catalog.get(project, name)

    def untag(self, project: str, name: str, tag: str) -> ModelRecord:
        self.catalog.untag(project, name, tag)
        return self.catalog.get(project, name)

    def tagged(self, project: str, tag: str) -> ModelRecord | None:
        return self.catalog.tagged(project, tag)

    def require_tagged(self, project: str, tag: str) -> ModelRecord:
        found = self.catalog.tagged(project, tag)
        if found is None:
            raise NotFoundError(f"model tagged {tag!r} in project", project)
        return found
