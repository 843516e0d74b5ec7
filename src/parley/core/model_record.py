"""A model in the registry: the row describing one stored artifact, and its tags.

A tag names a use of a model; a tag that is an environment's name makes that environment
serve the model. A model may carry several tags, a tag sits on at most one model of a
project, and a model that carries a tag cannot be deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
"""Names of projects, models and tags: they appear in URLs and file names."""


@dataclass(frozen=True)
class ModelRecord:
    project: str
    name: str
    """Unique within the project; the artifact's file name without ``.tar.gz``."""
    fingerprint: str
    """The manifest's fingerprint: the model-server protocol's ETag."""
    created: float
    """When the model was trained (the manifest's ``created``), seconds since the epoch."""
    registered: float
    """When it entered the registry."""
    trained_by: str
    """Who made or uploaded it: ``job 12``, ``upload``, ``parley run``…"""
    kind: str
    """The manifest's kind: ``full`` or ``nlu``."""
    parley_version: str
    size: int
    """Bytes of the artifact."""
    metrics: dict[str, Any] = field(default_factory=dict)
    """The manifest's training metrics (seconds, examples, intents…)."""
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "model": self.name,
            "hash": self.fingerprint,
            "created": self.created,
            "registered": self.registered,
            "trained_by": self.trained_by,
            "kind": self.kind,
            "version": self.parley_version,
            "size": self.size,
            "metrics": self.metrics,
            "tags": list(self.tags),
        }
