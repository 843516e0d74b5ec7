"""Finding the model a command should use: a file given, or the newest in a project."""

from __future__ import annotations

from pathlib import Path

from parley.cli.report import display_path
from parley.errors import ProjectError
from parley.models.artifact import ARTIFACT_SUFFIX


def newest_model(directory: Path, *, other_ways: str = "") -> Path:
    """The most recently written ``DIR/models/*.tar.gz``; ``other_ways`` ends the error
    message with the command's own alternatives to a trained model."""
    models = directory / "models"
    found = sorted(
        (path for path in models.glob(f"*{ARTIFACT_SUFFIX}") if path.is_file()),
        key=lambda path: (path.stat().st_mtime, path.name),
    )
    if not found:
        raise ProjectError(
            [],
            summary=f"no trained model in {display_path(models)}; train one with "
            f"`parley train {display_path(directory)}`{other_ways}",
        )
    return found[-1]


def model_path(given: Path) -> Path:
    """``given`` when it is a model file; the newest model of the project it names when
    it is a folder (a project, or a models folder)."""
    if given.is_file():
        return given
    if given.is_dir():
        if any(given.glob(f"*{ARTIFACT_SUFFIX}")) and not (given / "models").is_dir():
            return newest_model(given.parent) if given.name == "models" else _newest_in(given)
        return newest_model(given)
    raise ProjectError(
        [],
        summary=f"{display_path(given)} is neither a model file nor a folder; give a "
        f"model (*{ARTIFACT_SUFFIX}) or the project folder that holds models/",
    )


def _newest_in(folder: Path) -> Path:
    found = sorted(
        (p for p in folder.glob(f"*{ARTIFACT_SUFFIX}") if p.is_file()),
        key=lambda path: (path.stat().st_mtime, path.name),
    )
    return found[-1]
