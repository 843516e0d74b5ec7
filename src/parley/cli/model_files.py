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
    found = _newest_in(models)
    if found is None:
        raise ProjectError(
            [],
            summary=f"no trained model in {display_path(models)}; train one with "
            f"`parley train {display_path(directory)}`{other_ways}",
        )
    return found


def model_path(given: Path) -> Path:
    """``given`` when it is a model file; the newest model of the project it names when
    it is a folder (a project, or a models folder)."""
    if given.is_file():
        return given
    if given.is_dir():
        # A folder of models (no models/ inside) gives its newest; a project its models/'s.
        found = None if (given / "models").is_dir() else _newest_in(given)
        return found if found is not None else newest_model(given)
    raise ProjectError(
        [],
        summary=f"{display_path(given)} is neither a model file nor a folder; give a "
        f"model (*{ARTIFACT_SUFFIX}) or the project folder that holds models/",
    )


def _newest_in(folder: Path) -> Path | None:
    """The most recently written ``*.tar.gz`` of ``folder``, or None."""
    found = [path for path in folder.glob(f"*{ARTIFACT_SUFFIX}") if path.is_file()]
    return max(found, key=lambda path: (path.stat().st_mtime, path.name), default=None)
