"""A project: everything an assistant is trained from, independent of where it is stored."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from parley.core.domain import Domain
from parley.core.model import Model
from parley.core.story import Rule, Story
from parley.core.training_data import NLUData
from parley.project.config import ModelConfig


class TestData(Model):
    """What ``tests/test_*.yml`` hold: conversation tests and, optionally, NLU test examples."""

    __test__ = False  # not a pytest test class despite its name

    stories: list[Story] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    nlu: NLUData = Field(default_factory=NLUData)


class Project(Model):
    domain: Domain = Field(default_factory=Domain)
    nlu: NLUData = Field(default_factory=NLUData)
    stories: list[Story] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    config: ModelConfig = Field(default_factory=ModelConfig)
    tests: TestData = Field(default_factory=TestData)
    endpoints: dict[str, Any] | None = None
    """``endpoints.yml`` as written (``${VAR}`` references are resolved by the server)."""
    credentials: dict[str, Any] | None = None
    """``credentials.yml`` as written."""
