"""A component's own folder inside a model artifact, and the only way it reads or writes it.

Everything is stored in plain formats: JSON, NumPy ``.npz`` (read with
``allow_pickle=False``), and opaque model files of libraries that parse them without running
code (CRFsuite). Loading a model never unpickles, so a hostile artifact cannot run code.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from parley.errors import ModelError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$")


class Resource:
    """The folder ``root`` that belongs to one component of a trained pipeline."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        """Where file ``name`` lives; ``name`` is a plain file name, never a path."""
        if not _NAME.match(name) or name in {".", ".."}:
            raise ValueError(
                f"resource file names are plain names like 'vocabulary.json': {name!r}"
            )
        return self.root / name

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def write_json(self, name: str, value: Any) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        self.path(name).write_text(text, encoding="utf-8")

    def read_json(self, name: str) -> Any:
        path = self._existing(name)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ModelError(f"{self._label(name)} is not valid JSON: {error}") from error

    def write_arrays(self, name: str, **arrays: Any) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        named: dict[str, Any] = {key: np.asarray(value) for key, value in arrays.items()}
        with self.path(name).open("wb") as file:
            np.savez_compressed(file, **named)

    def read_arrays(self, name: str) -> dict[str, Any]:
        """Every array in ``name``; object arrays (which would need pickle) are refused."""
        path = self._existing(name)
        try:
            # Opened here so the file is closed even when numpy gives up half-way.
            with path.open("rb") as file:
                loaded = np.load(file, allow_pickle=False)
                if not isinstance(loaded, np.lib.npyio.NpzFile):
                    raise ModelError(f"{self._label(name)} is not an .npz archive")
                with loaded as archive:
                    return {key: archive[key] for key in archive.files}
        except ValueError as error:  # numpy's answer to an object array without pickle
            raise ModelError(
                f"{self._label(name)} holds data that needs pickle: {error}"
            ) from error
        except (OSError, EOFError, zipfile.BadZipFile) as error:
            raise ModelError(f"{self._label(name)} is not a readable .npz file: {error}") from error

    def _existing(self, name: str) -> Path:
        path = self.path(name)
        if not path.is_file():
            raise ModelError(
                f"{self._label(name)} is missing; the model is incomplete, train it again"
            )
        return path

    def _label(self, name: str) -> str:
        return f"model file {self.root.name}/{name}"
