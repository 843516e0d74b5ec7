"""The model configuration of a project (``config.yml``): language, NLU pipeline, policies."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from parley.core.model import Model


class ComponentSpec(Model):
    """One entry of ``pipeline`` or ``policies``: a registered name and its options."""

    name: str
    options: dict[str, Any] = Field(default_factory=dict)


class ModelConfig(Model):
    recipe: str | None = None
    language: str | None = None
    pipeline: list[ComponentSpec] | None = None
    """None when the file gives no pipeline; training then picks a good default."""
    policies: list[ComponentSpec] | None = None
    assistant_id: str | None = None
