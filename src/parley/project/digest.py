"""A digest of a project's files, byte for byte, computed without parsing them.

Reading a large project (YAML parsing, validation) takes most of a second; an unchanged
retrain must take less than that. A model records the digest of the files it was trained
from, so ``parley train`` can tell "nothing changed" by hashing bytes alone. The digest
covers a superset of what the reader reads (every file in the project's folders, whatever
its suffix): a change it sees that the reader would ignore costs one ordinary fingerprint
check, never a wrong reuse.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_FILES = ("config.yml", "domain.yml", "domain.yaml", "endpoints.yml", "credentials.yml")
_FOLDERS = ("domain", "data", "tests")


def source_digest(root: Path, *extra: str) -> str | None:
    """sha256 (hex) of the project files under ``root`` and the ``extra`` strings (what else
    the result depends on, such as a seed); None when a file cannot be read, so the caller
    reads the project the normal way and reports the problem."""
    digest = hashlib.sha256()
    for value in extra:
        digest.update(b"x\0" + value.encode("utf-8", "surrogatepass") + b"\0")
    try:
        for path in _project_files(root):
            name = path.relative_to(root).as_posix()
            digest.update(b"f\0" + name.encode("utf-8", "surrogatepass") + b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def _project_files(root: Path) -> list[Path]:
    """The files named in ``_FILES`` and every file below ``_FOLDERS``, sorted, following
    links once each (a link back up the tree is not followed again)."""
    found = [root / name for name in _FILES if (root / name).is_file()]
    seen: set[str] = set()
    for folder in _FOLDERS:
        pending = [root / folder]
        while pending:
            current = pending.pop()
            if not current.is_dir():
                continue
            real = os.path.realpath(current)
            if real in seen:
                continue
            seen.add(real)
            for entry in os.scandir(current):
                path = current / entry.name
                if entry.is_dir():
                    pending.append(path)
                elif entry.is_file():
                    found.append(path)
    return sorted(found)
