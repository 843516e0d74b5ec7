"""Which model a project's files, byte for byte, were last trained (or reused) into.

Reading a large project takes most of a second, and an unchanged retrain must take less.
The cache is a small JSON file in the models folder mapping a digest of the project's files
(``parley.project.digest``) to the model made from them and that model's fingerprint. A hit
is trusted only when the model file is still there with the same fingerprint; anything else
(no cache, a damaged one, a replaced model) falls back to reading the project, so the cache
can only save time, never change which model is used.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from parley.errors import ModelError
from parley.models.artifact import read_manifest
from parley.models.manifest import Manifest

CACHE_FILE = ".parley-sources.json"
_KEEP = 64
"""Entries kept: enough for switching between branches, small enough to read at once."""


class SourceCache:
    """The cache of the models folder ``out_dir``."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / CACHE_FILE

    def lookup(self, digest: str, *, model_name: str | None = None) -> tuple[Path, Manifest] | None:
        """The model trained from files with ``digest`` (only the file ``model_name`` when
        given) and its manifest, when it is still there unchanged."""
        entry = self._entries().get(digest)
        if not isinstance(entry, dict):
            return None
        model, fingerprint = entry.get("model"), entry.get("fingerprint")
        if not isinstance(model, str) or Path(model).name != model:
            return None
        if model_name is not None and model != model_name:
            return None
        path = self.path.parent / model
        try:
            manifest = read_manifest(path)
        except (ModelError, OSError):
            return None
        if manifest.fingerprint != fingerprint:
            return None
        return path, manifest

    def remember(self, digest: str, model: Path, manifest: Manifest) -> None:
        """Record that files with ``digest`` give ``model``. A cache that cannot be written
        only means the next unchanged retrain reads the project: not worth failing for."""
        entries = {k: v for k, v in self._entries().items() if k != digest}
        entries[digest] = {"model": model.name, "fingerprint": manifest.fingerprint}
        kept = dict(list(entries.items())[-_KEEP:])
        temporary: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=self.path.parent, prefix=CACHE_FILE, delete=False, encoding="utf-8"
            ) as handle:
                temporary = Path(handle.name)
                json.dump(kept, handle, indent=1)
            os.replace(temporary, self.path)
        except OSError:
            if temporary is not None:
                temporary.unlink(missing_ok=True)

    def _entries(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}
