"""What ``parley run DIR`` does to the installation before serving: the folder becomes the
stored project, its model enters the registry once, and production gets it when it is new
(or production has none), never taking production from a model promoted since."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import parley
from parley.bootstrap.platform import Platform, platform
from parley.bootstrap.server import deploy_project
from parley.project.files import project_files
from parley.project.scaffold import create_starter_project
from parley.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def stores(tmp_path: Path, database_url: str) -> Iterator[Platform]:
    settings = Settings.model_validate(
        {"home": str(tmp_path / "home"), "database": {"url": database_url}}
    )
    composed = platform(settings)
    yield composed
    composed.database.close()


@pytest.fixture(scope="module")
def cafe(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The starter project, its model, and a model of other data."""
    root = tmp_path_factory.mktemp("deploy")
    project = root / "cafe"
    create_starter_project(project)
    model = parley.train(project).path
    other = root / "other"
    shutil.copytree(project, other, ignore=shutil.ignore_patterns("models"))
    domain = other / "domain.yml"
    domain.write_text(domain.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    (other / "data" / "nlu.yml").write_text(
        (other / "data" / "nlu.yml").read_text(encoding="utf-8").replace("- hi\n", "- hiya\n"),
        encoding="utf-8",
    )
    return project, model, parley.train(other).path


def test_a_first_run_stores_the_project_and_tags_production(
    stores: Platform, cafe: tuple[Path, Path, Path]
) -> None:
    project, model, _ = cafe
    record, in_production = deploy_project(
        stores, "default", project, model, environment="production"
    )
    assert in_production
    assert record.tags == ("production",)
    assert record.trained_by == "parley run"
    assert stores.projects.files("default") == project_files(project)
    again, in_production = deploy_project(
        stores, "default", project, model, environment="production"
    )
    assert in_production
    assert again.name == record.name
    assert len(stores.registry.list("default")) == 1


def test_a_model_promoted_since_keeps_production(
    stores: Platform, cafe: tuple[Path, Path, Path]
) -> None:
    project, model, other = cafe
    first, _ = deploy_project(stores, "default", project, model, environment="production")
    promoted = stores.registry.register("default", other, trained_by="test")
    stores.registry.tag("default", promoted.name, "production")
    record, in_production = deploy_project(
        stores, "default", project, model, environment="production"
    )
    assert not in_production
    assert record.name == first.name
    assert stores.registry.require_tagged("default", "production").name == promoted.name
