"""One loaded copy of a model for every environment serving it: after a promotion,
production and development usually carry the same model, and a model is most of a
server's memory."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from pathlib import Path

from parley.models.artifact import read_manifest
from parley.models.loading import LoadedModel


class SharedModels:
    """Wraps a model loader: a model already loaded (by fingerprint) is handed out again
    instead of being loaded twice. Only weak references are kept, so a model no
    environment serves any more is freed as before."""

    def __init__(self, load: Callable[[Path], LoadedModel]) -> None:
        self._load = load
        self._loaded: weakref.WeakValueDictionary[str, LoadedModel] = weakref.WeakValueDictionary()
        # Held while loading, so two environments swapping to one new model load it once.
        self._guard = threading.Lock()

    def __call__(self, path: Path) -> LoadedModel:
        fingerprint = read_manifest(path).fingerprint
        with self._guard:
            model = self._loaded.get(fingerprint)
            if model is None:
                model = self._load(path)
                self._loaded[fingerprint] = model
            return model
