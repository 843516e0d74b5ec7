"""The model artifact: one ``.tar.gz`` holding ``manifest.json`` (always the first member)
followed by the model's parts (``nlu/…`` from ``Pipeline.persist``, ``dialogue/…``).

Artifacts are uploaded by users, so extraction trusts nothing in the file. Every member is
checked before a byte of it is written: only regular files and folders, with plain relative
names inside the target folder, no links, devices or duplicates, no pickles, and limits on
the size of each member, the whole and the number of members — counted on the decompressed
stream as it is read, so a small file that inflates to gigabytes is stopped early. The
standard library's ``data`` extraction filter runs on every member as a second opinion.

Writing is atomic: the archive is written to a temporary file beside the target and renamed
over it, so a crash never leaves a half-written model where a server would look for one.
Members are written in sorted order with fixed times and owners, so two trainings of the same
model differ only in the manifest's ``created`` time.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

from parley.errors import ConfigurationError, ModelError
from parley.models.manifest import MANIFEST_FILE, Manifest

ARTIFACT_SUFFIX = ".tar.gz"
"""Every model file ends with it: ``<date>-<time>-<fingerprint[:8]>.tar.gz`` or ``NAME.tar.gz``."""
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,150}$")


def checked_model_name(name: str | None) -> str | None:
    """``name`` given for a model file (``--name``), without the suffix; refused unless it
    is a plain file name. None for None."""
    if name is None:
        return None
    name = name.removesuffix(ARTIFACT_SUFFIX)
    if not _MODEL_NAME.match(name):
        raise ConfigurationError(
            f"model name {name!r} is not a plain file name; use letters, digits, '-', '_' "
            "and '.' (no folders)"
        )
    return name


def model_file_name(name: str | None) -> str | None:
    """The file name ``--name NAME`` gives a model (``NAME.tar.gz``); None for None."""
    checked = checked_model_name(name)
    return None if checked is None else f"{checked}{ARTIFACT_SUFFIX}"


PARTS = frozenset({"nlu", "dialogue"})
"""The top-level folders an artifact may hold besides the manifest."""

REFUSED_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dill")
"""Parley never writes these; an artifact holding one was not made by Parley."""

_CHUNK = 1 << 16


@dataclass(frozen=True)
class ExtractionLimits:
    """How much an artifact may unpack to. The defaults are far above any real NLU model and
    far below what would fill a disk."""

    max_member_bytes: int = 1 << 30
    max_total_bytes: int = 2 << 30
    """Of the whole decompressed tar stream, headers included."""
    max_members: int = 10_000
    max_manifest_bytes: int = 1 << 20
    max_name_length: int = 512
    max_depth: int = 8


DEFAULT_LIMITS = ExtractionLimits()


def write_artifact(folder: Path, target: Path, manifest: Manifest) -> Path:
    """Pack ``folder`` (holding the parts, e.g. ``nlu/``) with ``manifest`` into ``target``.

    Returns ``target``. Either the whole artifact appears at ``target`` or nothing does.
    """
    files = _files_to_pack(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    temporary = Path(temporary_name)
    try:
        with os.fdopen(handle, "wb") as raw:
            # mtime=0 and no file name in the gzip header: the bytes depend on the content only.
            with (
                gzip.GzipFile(
                    filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6
                ) as compressed,
                tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
            ):
                data = manifest.to_json()
                _add(tar, MANIFEST_FILE, len(data), io.BytesIO(data))
                for relative, path in files:
                    with path.open("rb") as source:
                        _add(tar, relative, os.fstat(source.fileno()).st_size, source)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_folder(target.parent)
    return target


def _files_to_pack(folder: Path) -> list[tuple[str, Path]]:
    if not folder.is_dir():
        raise ModelError(f"cannot pack a model from {folder}: it is not a folder")
    found: list[tuple[str, Path]] = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            raise ModelError(f"cannot pack {relative}: a model holds only plain files")
        if relative.split("/", 1)[0] not in PARTS:
            raise ModelError(
                f"cannot pack {relative}: a model holds only these folders: "
                + ", ".join(sorted(PARTS))
            )
        if path.is_file():
            # What extraction would refuse is refused here, where the fix is still easy.
            _check_name(relative, DEFAULT_LIMITS)
            if relative.lower().endswith(REFUSED_SUFFIXES):
                raise ModelError(f"cannot pack {relative}: models never hold pickles")
            if path.stat().st_size > DEFAULT_LIMITS.max_member_bytes:
                raise ModelError(
                    f"cannot pack {relative}: it is over the limit of "
                    f"{DEFAULT_LIMITS.max_member_bytes} bytes for one model file"
                )
            found.append((relative, path))
    return found


def _add(tar: tarfile.TarFile, name: str, size: int, source: BinaryIO) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, source)


def sync_folder(folder: Path) -> None:
    """Make a rename into ``folder`` itself durable (POSIX); not every system can open a
    folder, and there it is a no-op."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read_manifest(archive: Path, limits: ExtractionLimits = DEFAULT_LIMITS) -> Manifest:
    """The manifest of ``archive``, reading only as far as its first member."""
    with _Members(archive, limits) as members:
        for member, tar in members:
            return _read_manifest_member(member, tar, archive, limits)
    raise ModelError(f"{archive} is empty, not a model; train the model again")


def extract_artifact(
    archive: Path, into: Path, limits: ExtractionLimits = DEFAULT_LIMITS
) -> Manifest:
    """Unpack ``archive`` into the folder ``into`` (new or empty) and return its manifest.

    Raises :class:`ModelError` for anything corrupt or unsafe, after removing what was
    unpacked; nothing is ever written outside ``into``.
    """
    created = not into.exists()
    if not created and (not into.is_dir() or into.is_symlink() or any(into.iterdir())):
        raise ModelError(f"cannot unpack a model into {into}: give a new or empty folder")
    into.mkdir(parents=True, exist_ok=True)
    try:
        return _extract(archive, into.resolve(), limits)
    except BaseException:
        if created:
            shutil.rmtree(into, ignore_errors=True)
        else:
            for child in into.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise


def _extract(archive: Path, root: Path, limits: ExtractionLimits) -> Manifest:
    manifest: Manifest | None = None
    seen: set[str] = set()
    count = 0
    with _Members(archive, limits) as members:
        for member, tar in members:
            count += 1
            if count > limits.max_members:
                raise ModelError(
                    f"{archive} has more than {limits.max_members} files; a model has far "
                    "fewer, so this is not a Parley model (or it is damaged)"
                )
            if manifest is None:
                manifest = _read_manifest_member(member, tar, archive, limits)
                continue
            name = _checked_member(member, root, seen, archive, limits)
            destination = root.joinpath(*PurePosixPath(name).parts)
            try:
                if member.isdir():
                    destination.mkdir(parents=True, exist_ok=True)
                else:
                    _write_member(tar, member, destination, archive, limits)
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as error:
                # A file where a folder of the same name must be, or the other way round.
                raise ModelError(
                    f"{archive}: member {member.name!r} clashes with another member; the "
                    "archive is damaged or tampered with"
                ) from error
    if manifest is None:
        raise ModelError(f"{archive} is empty, not a model; train the model again")
    return manifest


@dataclass
class _Budget:
    """Counts decompressed bytes as tarfile pulls them, whatever it pulls them for."""

    remaining: int


class _CountingReader(io.RawIOBase):
    def __init__(self, source: gzip.GzipFile, budget: _Budget) -> None:
        self.source = source
        self.budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.source.read(len(buffer))
        self.budget.remaining -= len(data)
        if self.budget.remaining < 0:
            raise _OverBudgetError()
        buffer[: len(data)] = data
        return len(data)


class _OverBudgetError(Exception):
    pass


class _Members:
    """Iterates ``(member, tar)`` over a gzip'd tar read as a stream, turning every way a
    file can be broken into one :class:`ModelError`."""

    def __init__(self, archive: Path, limits: ExtractionLimits) -> None:
        self.archive = archive
        self.limits = limits
        self.budget = _Budget(limits.max_total_bytes)
        try:
            self.raw = archive.open("rb")
        except OSError as error:
            raise ModelError(f"cannot read the model {archive}: {error.strerror}") from error
        self.tar: tarfile.TarFile | None = None

    def __enter__(self) -> Iterator[tuple[tarfile.TarInfo, tarfile.TarFile]]:
        return self._iterate()

    def __exit__(self, *exc: object) -> None:
        if self.tar is not None:
            self.tar.close()
        self.raw.close()

    def _iterate(self) -> Iterator[tuple[tarfile.TarInfo, tarfile.TarFile]]:
        with _ErrorTranslation(self.archive, self.limits):
            decompressed = gzip.GzipFile(fileobj=self.raw, mode="rb")
            counted = io.BufferedReader(_CountingReader(decompressed, self.budget))
            # Stream mode ("r|"): members are read in order and never sought back to, so
            # what is checked is what is written.
            # Closed in __exit__: the members are read after this function has returned.
            tar = self.tar = tarfile.open(fileobj=counted, mode="r|")  # noqa: SIM115
        while True:
            with _ErrorTranslation(self.archive, self.limits):
                member = tar.next()
            if member is None:
                return
            yield member, tar


class _ErrorTranslation:
    def __init__(self, archive: Path, limits: ExtractionLimits) -> None:
        self.archive = archive
        self.limits = limits

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: object
    ) -> Literal[False]:
        if error is None or isinstance(error, ModelError):
            return False
        if isinstance(error, _OverBudgetError):
            raise ModelError(
                f"{self.archive} unpacks to more than {self.limits.max_total_bytes} bytes; "
                "it is not a Parley model (or it is damaged)"
            ) from None
        if isinstance(error, EOFError):
            raise ModelError(
                f"{self.archive} is truncated (it ends in the middle); copy or download it "
                "again, or train the model again"
            ) from error
        if isinstance(error, gzip.BadGzipFile | zlib.error | tarfile.TarError):
            raise ModelError(
                f"{self.archive} is not a readable model archive ({error}); a model is the "
                ".tar.gz that `parley train` writes — copy it again or train again"
            ) from error
        return False


def _read_manifest_member(
    member: tarfile.TarInfo, tar: tarfile.TarFile, archive: Path, limits: ExtractionLimits
) -> Manifest:
    if member.name != MANIFEST_FILE or not member.isreg():
        raise ModelError(
            f"{archive} does not start with {MANIFEST_FILE} (found {member.name!r}); it is "
            "not a Parley model, or it was repacked — train the model again"
        )
    if member.size > limits.max_manifest_bytes:
        raise ModelError(
            f"the {MANIFEST_FILE} of {archive} is {member.size} bytes, more than a manifest "
            f"can be ({limits.max_manifest_bytes}); the file is not a Parley model"
        )
    data = _read_all(tar, member, archive, limits)
    return Manifest.from_json(data)


def _read_all(
    tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path, limits: ExtractionLimits
) -> bytes:
    return b"".join(_chunks(tar, member, archive, limits))


def _chunks(
    tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path, limits: ExtractionLimits
) -> Iterator[bytes]:
    with _ErrorTranslation(archive, limits):
        source = tar.extractfile(member)
        if source is None:
            raise ModelError(f"{archive}: {member.name} has no content")
        with source:
            while chunk := source.read(_CHUNK):
                yield chunk


def _checked_member(
    member: tarfile.TarInfo, root: Path, seen: set[str], archive: Path, limits: ExtractionLimits
) -> str:
    name = member.name.removesuffix("/") if member.isdir() else member.name
    where = f"{archive}: member {member.name!r}"
    if member.issym() or member.islnk():
        raise ModelError(f"{where} is a link; a Parley model holds only plain files")
    if not (member.isreg() or member.isdir()) or member.issparse():
        raise ModelError(
            f"{where} is a device, pipe or other special file; a Parley model holds only "
            "plain files"
        )
    _check_name(name, limits, where)
    if name == MANIFEST_FILE or name.split("/", 1)[0] not in PARTS:
        raise ModelError(
            f"{where} is outside the folders a model holds ({', '.join(sorted(PARTS))})"
        )
    if name.lower().endswith(REFUSED_SUFFIXES):
        raise ModelError(
            f"{where} is a pickle; Parley models never hold pickles (loading one could run "
            "code), so this artifact was not made by Parley — do not use it"
        )
    if name in seen:
        raise ModelError(f"{where} appears twice; the archive is damaged or tampered with")
    seen.add(name)
    if member.isreg() and member.size > limits.max_member_bytes:
        raise ModelError(
            f"{where} is {member.size} bytes, over the limit of {limits.max_member_bytes} "
            "for one model file"
        )
    # The standard library's own judgement of the member (absolute paths, escaping the
    # folder, special files), on top of the checks above.
    try:
        tarfile.data_filter(member, str(root))
    except tarfile.FilterError as error:
        raise ModelError(f"{where} is unsafe to unpack: {error}") from error
    destination = root.joinpath(*PurePosixPath(name).parts).resolve()
    if not destination.is_relative_to(root):
        raise ModelError(f"{where} would be written outside {root}")
    return name


def _check_name(name: str, limits: ExtractionLimits, where: str | None = None) -> None:
    where = where or repr(name)
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or len(name) > limits.max_name_length
        or len(parts) > limits.max_depth
        or any(part in {"", ".", ".."} for part in parts)
        or any(ch == "\\" or ord(ch) < 32 or ch == "\x7f" for ch in name)
    ):
        raise ModelError(
            f"{where} has an unsafe name (absolute, '..', empty parts, backslashes, control "
            "characters, or too long/deep); a Parley model has plain relative names"
        )


def _write_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    destination: Path,
    archive: Path,
    limits: ExtractionLimits,
) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL and O_NOFOLLOW: never overwrite, never follow a link planted at the spot.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(destination, flags, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP)
    written = 0
    with os.fdopen(descriptor, "wb") as out:
        for chunk in _chunks(tar, member, archive, limits):
            written += len(chunk)
            if written > limits.max_member_bytes:
                raise ModelError(
                    f"{archive}: member {member.name!r} is over the limit of "
                    f"{limits.max_member_bytes} bytes for one model file"
                )
            out.write(chunk)
