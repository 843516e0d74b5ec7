"""The model configuration file format (``config.yml``)."""

from __future__ import annotations

from pydantic import ConfigDict

from parley.project.config import ComponentSpec, ModelConfig
from parley.project.schema import FileModel


class ComponentSchema(FileModel):
    """``- name: X`` followed by the component's own options, which are kept as given."""

    model_config = ConfigDict(extra="allow")

    name: str


class ConfigFile(FileModel):
    version: str | None = None
    recipe: str | None = None
    language: str | None = None
    pipeline: list[ComponentSchema] | None = None
    policies: list[ComponentSchema] | None = None
    assistant_id: str | None = None

    def to_model(self) -> ModelConfig:
        return ModelConfig(
            recipe=self.recipe,
            language=self.language,
            pipeline=_components(self.pipeline),
            policies=_components(self.policies),
            assistant_id=self.assistant_id,
        )


def _components(items: list[ComponentSchema] | None) -> list[ComponentSpec] | None:
    if items is None:
        return None
    return [ComponentSpec(name=item.name, options=dict(item.model_extra or {})) for item in items]
