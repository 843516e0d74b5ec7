"""A component's own folder inside a model artifact, and the only way it reads or writes it.

Everything is stored in plain formats: JSON and NumPy ``.npz``. Loading a model never
unpickles and hands no file to native parsers, so a hostile artifact cannot run code; each
array's header is checked before its data is read, so one cannot exhaust memory either.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from parley.errors import ModelError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$")
MAX_FILE_BYTES = 512 * 1024 * 1024
"""Largest file (JSON, or the arrays of one ``.npz`` together) a component may load: far
above any real model (Banking77's are ~10 MB), far below what would take a server down."""
MAX_ARRAYS = 64
"""Most arrays one ``.npz`` may hold; components store a handful."""
_AGAIN = "train the model again"


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
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ModelError(f"{self._label(name)} is too large to be a model file; {_AGAIN}")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ModelError(
                f"{self._label(name)} is not valid JSON ({error}); {_AGAIN}"
            ) from error
        except (RecursionError, MemoryError) as error:
            raise ModelError(
                f"{self._label(name)} is nested too deeply or too large to read; the model is "
                "damaged or was not made by Parley, train it again"
            ) from error

    def write_arrays(self, name: str, **arrays: Any) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        named: dict[str, Any] = {key: np.asarray(value) for key, value in arrays.items()}
        with self.path(name).open("wb") as file:
            np.savez_compressed(file, **named)

    def read_arrays(self, name: str) -> dict[str, Any]:
        """Every array in ``name``. The archive's directory and each array's header are read
        first: more than :data:`MAX_ARRAYS` arrays or :data:`MAX_FILE_BYTES` in all, object
        arrays (which would need pickle) and headers that promise more data than the member
        holds are refused before any data is read."""
        path = self._existing(name)
        label = self._label(name)
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.infolist()
                # The directory's sizes are checked again against each member's header below.
                if len(members) > MAX_ARRAYS or sum(m.file_size for m in members) > MAX_FILE_BYTES:
                    raise ModelError(f"{label} is too large to be a model file; {_AGAIN}")
                return {
                    member.filename.removesuffix(".npy"): _read_array(archive, member, label)
                    for member in members
                }
        except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as error:
            raise ModelError(f"{label} is not a readable .npz file ({error}); {_AGAIN}") from error
        except NotImplementedError as error:
            # zipfile raises this for compression methods it does not implement.
            raise ModelError(
                f"{label} uses a compression Parley cannot read ({error}); {_AGAIN}"
            ) from error
        except MemoryError as error:
            raise ModelError(f"{label} is too large to load; {_AGAIN}") from error

    def _existing(self, name: str) -> Path:
        path = self.path(name)
        if not path.is_file():
            raise ModelError(
                f"{self._label(name)} is missing; the model is incomplete, train it again"
            )
        return path

    def _label(self, name: str) -> str:
        return f"model file {self.root.name}/{name}"


def _read_array(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str) -> Any:
    if not member.filename.endswith(".npy"):
        raise ModelError(
            f"{label} holds {member.filename!r}, which is not an array it can load; {_AGAIN}"
        )
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ModelError(f"{label}: {member.filename!r} has an unknown .npy version; {_AGAIN}")
        if dtype.hasobject:
            raise ModelError(f"{label} holds data that needs pickle; it is refused, {_AGAIN}")
        size = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
        # read_arrays checked the members' sizes against MAX_FILE_BYTES.
        if size > member.file_size:
            raise ModelError(
                f"{label}: {member.filename!r} claims {size} bytes of data but holds "
                f"{member.file_size}; the model is damaged, train it again"
            )
        data = stream.read(size + 1)
    if len(data) != size:
        raise ModelError(f"{label}: {member.filename!r} is truncated; train the model again")
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if fortran else "C").copy()
