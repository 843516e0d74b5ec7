"""The digest of a project's files and the cache of which model they were trained into."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from parley.models.artifact import write_artifact
from parley.models.manifest import FORMAT_VERSION, Manifest
from parley.project.digest import source_digest
from parley.project.scaffold import create_starter_project
from parley.training.source_cache import CACHE_FILE, SourceCache
from parley.version import __version__


def make_model(target: Path) -> tuple[Path, Manifest]:
    manifest = Manifest.from_json(
        json.dumps(
            {
                "format_version": FORMAT_VERSION,
                "parley_version": __version__,
                "fingerprint": "ab" * 32,
                "created": "2026-01-02T03:04:05Z",
                "language": "en",
                "kind": "nlu",
                "components": [],
                "metrics": {"seconds": 0.5, "examples": 3, "intents": 2, "entities": 0},
                "seed": 0,
            }
        ).encode()
    )
    parts = target.parent / "parts"
    (parts / "nlu").mkdir(parents=True)
    return write_artifact(parts, target, manifest), manifest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "bot"
    create_starter_project(root)
    return root


def test_the_digest_follows_the_bytes_of_project_files(project: Path) -> None:
    before = source_digest(project)
    assert before is not None
    assert source_digest(project) == before
    assert source_digest(project, "seed=1") != before

    (project / "README.md").write_text("not part of the project")
    (project / "models").mkdir()
    (project / "models" / "x.tar.gz").write_bytes(b"a model")
    assert source_digest(project) == before, "only project files count"

    (project / "data" / "more.yml").write_text("")
    assert source_digest(project) != before, "a new data file counts"
    (project / "data" / "more.yml").unlink()
    assert source_digest(project) == before
    (project / "config.yml").write_bytes((project / "config.yml").read_bytes() + b" ")
    assert source_digest(project) != before


def test_a_link_loop_is_followed_once(project: Path) -> None:
    os.symlink(project / "data", project / "data" / "again")
    assert source_digest(project) is not None


def test_a_broken_link_is_no_file(project: Path) -> None:
    before = source_digest(project)
    (project / "data" / "broken.yml").symlink_to(project / "nowhere.yml")
    assert source_digest(project) == before


def test_remember_then_lookup(tmp_path: Path) -> None:
    out = tmp_path / "models"
    model, manifest = make_model(out / "a.tar.gz")
    cache = SourceCache(out)
    assert cache.lookup("d" * 64) is None
    cache.remember("d" * 64, model, manifest)
    assert cache.lookup("d" * 64) == (model, manifest)
    assert cache.lookup("d" * 64, model_name="b.tar.gz") is None
    assert cache.lookup("e" * 64) is None


def test_a_damaged_cache_or_a_missing_model_is_a_miss(tmp_path: Path) -> None:
    out = tmp_path / "models"
    model, manifest = make_model(out / "a.tar.gz")
    cache = SourceCache(out)
    cache.remember("d" * 64, model, manifest)
    model.unlink()
    assert cache.lookup("d" * 64) is None
    (out / CACHE_FILE).write_text("{not json")
    assert cache.lookup("d" * 64) is None
    (out / CACHE_FILE).write_text('{"' + "d" * 64 + '": {"model": "../../etc/passwd"}}')
    assert cache.lookup("d" * 64) is None
