"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import parley
from parley.project.scaffold import create_starter_project


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter assistant, trained once per module: each server start reuses its model."""
    project = tmp_path_factory.mktemp("e2e") / "cafe"
    create_starter_project(project)
    parley.train(project)
    return project


@pytest.fixture
def project(trained_project: Path, tmp_path: Path) -> Path:
    """A copy of the trained starter assistant of this test's own."""
    copy = tmp_path / "cafe"
    shutil.copytree(trained_project, copy)
    return copy
