"""Bringing a trained model back from its artifact, ready to parse and to converse."""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parley.agent import Agent
from parley.dialogue.dialogue_model import DialogueModel
from parley.errors import ModelError
from parley.models.artifact import extract_artifact
from parley.models.manifest import Manifest, ModelKind
from parley.nlu.component import ComponentContext
from parley.nlu.pipeline import Pipeline


@dataclass(frozen=True)
class LoadedModel:
    manifest: Manifest
    pipeline: Pipeline
    dialogue: DialogueModel | None = None
    """None for an NLU-only model."""

    def agent(self, **ports: Any) -> Agent:
        """An agent answering with this model; ``ports`` go to :class:`Agent` (tracker
        store, lock store, action client, clock…)."""
        if self.dialogue is None:
            raise ModelError(
                "this is an NLU-only model: it can parse but not converse; train the whole "
                "model with `parley train` (without --nlu-only)"
            )
        pipeline = self.pipeline
        return Agent(
            self.dialogue,
            pipeline.parse,
            model_id=ports.pop("model_id", None) or self.manifest.fingerprint[:12],
            **ports,
        )


def load_model(archive: Path, context: ComponentContext | None = None) -> LoadedModel:
    """The model in ``archive`` (NLU-only or full), checked and unpacked into a temporary
    folder that is gone when this returns: components read what they need while loading
    and keep no file open. The pipeline works in the language the model was trained for."""
    context = context or ComponentContext()
    with tempfile.TemporaryDirectory(prefix="parley-model-") as folder:
        root = Path(folder) / "model"
        manifest = extract_artifact(archive, root)
        if not (root / "nlu").is_dir():
            raise ModelError(f"{archive} has no nlu/ folder; the model is incomplete, train again")
        pipeline = Pipeline.load(
            root / "nlu", dataclasses.replace(context, language=manifest.language)
        )
        dialogue = None
        if manifest.kind is ModelKind.FULL:
            if not (root / "dialogue").is_dir():
                raise ModelError(
                    f"{archive} has no dialogue/ folder; the model is incomplete, train again"
                )
            dialogue = DialogueModel.load(root / "dialogue")
    return LoadedModel(manifest=manifest, pipeline=pipeline, dialogue=dialogue)
