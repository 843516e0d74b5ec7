"""Bringing a trained model back from its artifact, ready to parse."""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

from parley.errors import ModelError
from parley.models.artifact import extract_artifact
from parley.models.manifest import Manifest, ModelKind
from parley.nlu.component import ComponentContext
from parley.nlu.pipeline import Pipeline


@dataclass(frozen=True)
class LoadedModel:
    manifest: Manifest
    pipeline: Pipeline


def load_nlu(archive: Path, context: ComponentContext | None = None) -> LoadedModel:
    """The NLU pipeline in ``archive``, checked and unpacked into a temporary folder that is
    gone when this returns: components read what they need while loading and keep no file
    open. The pipeline works in the language the model was trained for."""
    context = context or ComponentContext()
    with tempfile.TemporaryDirectory(prefix="parley-model-") as folder:
        root = Path(folder) / "model"
        manifest = extract_artifact(archive, root)
        if manifest.kind is not ModelKind.NLU:
            raise ModelError(f"{archive} holds a {manifest.kind} model, not an NLU model")
        if not (root / "nlu").is_dir():
            raise ModelError(f"{archive} has no nlu/ folder; the model is incomplete, train again")
        pipeline = Pipeline.load(
            root / "nlu", dataclasses.replace(context, language=manifest.language)
        )
    return LoadedModel(manifest=manifest, pipeline=pipeline)
