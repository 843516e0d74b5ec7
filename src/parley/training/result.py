"""What a training run gives back: the model file, its manifest, and what happened."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from parley.core.problem import Problem, Severity
from parley.models.manifest import Manifest

if TYPE_CHECKING:
    from parley.nlu.pipeline import Pipeline


@dataclass(frozen=True)
class TrainingResult:
    path: Path
    manifest: Manifest
    reused: bool
    """True when an earlier model with the same fingerprint was found and nothing trained."""
    problems: list[Problem]
    """Warnings of the training (for a reused model, those its training gave)."""
    seconds: float
    pipeline: Pipeline | None = None
    """The trained pipeline, ready to parse; None when the model was reused."""


def reused(path: Path, manifest: Manifest, *, started: float) -> TrainingResult:
    """The result of a training that found its model already made (``started``: its
    ``time.perf_counter()`` at the start)."""
    return TrainingResult(
        path=path,
        manifest=manifest,
        reused=True,
        problems=[
            Problem(w.code, w.message, severity=Severity.WARNING) for w in manifest.metrics.warnings
        ],
        seconds=time.perf_counter() - started,
    )
