"""Reading a project folder in the Rasa layout.

::

    domain.yml | domain/**/*.yml  the domain (a folder's files are merged; a folder named
                                  domain.yml is read as one, as Rasa reads it)
    config.yml                    language, pipeline, policies
    data/**/*.yml                 NLU data, stories, rules, retrieval responses
    tests/**/test_*.yml           conversation tests (and NLU test examples)
    endpoints.yml, credentials.yml

Hidden files and folders (named with a leading dot) are not part of the project.
Folders are walked following links, each file and folder once; what cannot be listed or
followed (an unreadable folder, a broken link) is reported rather than skipped, so a
project is never read incomplete without a word.

Every file is read and checked before anything is combined, so one run reports all
problems. A file with errors contributes nothing; cross-file checks run only when every
file was sound, because they would otherwise report the same mistake twice.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from parley.core.problem import Location, Problem, Severity, by_position
from parley.errors import ProjectError, ProjectNotFoundError
from parley.project.config_file import ConfigFile
from parley.project.domain_file import DomainAssembler, DomainFile
from parley.project.project import Project, TestData
from parley.project.reading import ProjectReading
from parley.project.schema import validate_file
from parley.project.source_map import ModelPath, SourceMap
from parley.project.training_data_file import TrainingDataContent, read_training_data
from parley.project.validation import validate_project
from parley.project.yaml_file import YamlFile, YamlFileError, read_yaml

YAML_SUFFIXES = (".yml", ".yaml")
DOMAIN = "domain"
"""The domain: ``domain.yml`` (or ``.yaml``), else the folder ``domain/``."""
_DOMAIN_FILES = tuple(f"{DOMAIN}{suffix}" for suffix in YAML_SUFFIXES)
CONFIG_FILE = "config.yml"
ENDPOINTS_FILE = "endpoints.yml"
CREDENTIALS_FILE = "credentials.yml"
DATA_FOLDER = "data"
TESTS_FOLDER = "tests"


def load_project(root: Path | str) -> Project:
    """Read and check the project at ``root``; raise :class:`ProjectError` on any error."""
    reading = read_project(root)
    if reading.errors:
        raise ProjectError(
            reading.problems, summary=f"{reading.root} has {len(reading.errors)} error(s)"
        )
    return reading.project


def read_project(root: Path | str) -> ProjectReading:
    """Read the project at ``root`` and report every problem found; raises only when
    ``root`` is not a folder."""
    root = Path(root)
    if not root.is_dir():
        raise ProjectNotFoundError(root)
    return _ProjectReader(root).read()


class _ProjectReader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.sources = SourceMap()
        self.files: list[Path] = []

    def read(self) -> ProjectReading:
        domain = self._read_domain()
        config = self._read_config()
        training = self._read_training_files(self._data_files(), prefix=())
        tests = self._read_training_files(self._test_files(), prefix=("tests",))
        domain.add_responses(training.responses, training.response_locations)
        project = Project(
            domain=domain.build(self.sources),
            nlu=training.nlu,
            stories=training.stories,
            rules=training.rules,
            config=config,
            tests=TestData(stories=tests.stories, rules=tests.rules, nlu=tests.nlu),
            endpoints=self._read_mapping(ENDPOINTS_FILE),
            credentials=self._read_mapping(CREDENTIALS_FILE),
        )
        self.problems.extend(domain.problems)  # after build, which reports conversions too
        if not any(p.is_error for p in self.problems):
            self.problems.extend(validate_project(project, self.sources))
        return ProjectReading(
            root=self.root,
            project=project,
            problems=sorted(self.problems, key=by_position),
            sources=self.sources,
            files=self.files,
        )

    def _read_domain(self) -> DomainAssembler:
        assembler = DomainAssembler()
        # Rasa reads the domain path it is given, domain.yml by default, and reads a
        # folder there as a folder of domain files; a domain/ folder is read when no
        # domain.yml (or domain.yaml) is there.
        given = [
            path
            for path in (self.root / name for name in _DOMAIN_FILES)
            if _kind(path) != "missing"
        ]
        folder = self.root / DOMAIN
        if given:
            chosen = given[0]
            ignored = [*given[1:], *([folder] if _kind(folder) == "folder" else [])]
            for other in ignored:
                self.problems.append(
                    Problem(
                        "domain-ignored",
                        f"{_shown(other)} is ignored because {_shown(chosen)} exists and "
                        f"only one domain is read; move what {_shown(other)} holds into "
                        f"{_shown(chosen)}",
                        Location(other),
                        Severity.WARNING,
                    )
                )
        elif _kind(folder) == "folder":
            chosen = folder
        else:
            self.problems.append(
                Problem(
                    "domain-missing",
                    "the project has no domain: add domain.yml (or a domain/ folder of "
                    "YAML files), e.g. with `parley init`",
                    Location(self.root / "domain.yml"),
                )
            )
            return assembler
        kind = _kind(chosen)
        if kind == "folder":
            paths = [path for path in self._files_below(chosen, _is_yaml) if _is_yaml(path)]
        elif kind in _READ_AS_FILE:
            paths = [chosen]
        else:
            self._not_a_file(chosen, kind)
            return assembler
        for path in paths:
            file = self._read(path, warn_if_empty=kind == "folder")
            if file is None:
                continue
            if file.data is None:
                if kind == "file":
                    self.problems.append(
                        Problem(
                            "domain-empty",
                            f"{_shown(path)} is empty; the domain lists the intents, "
                            "entities, slots, responses and actions of the assistant (see "
                            "the one `parley init` writes)",
                            Location(path),
                        )
                    )
                continue  # an empty file of a domain folder adds nothing, as in Rasa
            schema, problems = validate_file(DomainFile, file)
            self.problems.extend(problems)
            if schema is not None:
                assembler.add(schema, file)
        return assembler

    def _read_config(self) -> Any:
        path = self.root / CONFIG_FILE
        config = ConfigFile()
        kind = _kind(path)
        if kind == "missing":
            self.problems.append(
                Problem(
                    "config-missing",
                    "no config.yml: training will use the default language (en), "
                    "pipeline and policies",
                    Location(path),
                    Severity.WARNING,
                )
            )
        elif kind not in _READ_AS_FILE:
            self._not_a_file(path, kind)
        elif (file := self._read(path)) is not None:
            schema, problems = validate_file(ConfigFile, file)
            self.problems.extend(problems)
            config = schema or config
        return config.to_model()

    def _read_training_files(
        self, paths: list[Path], prefix: tuple[str, ...]
    ) -> TrainingDataContent:
        combined = TrainingDataContent()
        for path in paths:
            file = self._read(path)
            if file is None:
                continue
            content = read_training_data(file)
            self.problems.extend(content.problems)
            if any(p.is_error for p in content.problems):
                continue
            offsets: dict[str, int] = {
                "stories": len(combined.stories),
                "rules": len(combined.rules),
                "examples": len(combined.nlu.examples),
                "synonyms": len(combined.nlu.synonyms),
                "regexes": len(combined.nlu.regexes),
                "lookups": len(combined.nlu.lookups),
            }
            for local, location in content.locations.items():
                self.sources.add(prefix + _offset(local, offsets), location)
            combined.merge(content)
        self.problems.extend(combined.problems)  # what merging found, e.g. a response twice
        return combined

    def _read_mapping(self, name: str) -> dict[str, Any] | None:
        path = self.root / name
        kind = _kind(path)
        if kind == "missing":
            return None
        if kind not in _READ_AS_FILE:
            self._not_a_file(path, kind)
            return None
        # All-comment endpoints/credentials files are the norm (`rasa init` writes them).
        if (file := self._read(path, warn_if_empty=False)) is None:
            return None
        if file.data is None:
            return {}
        if not isinstance(file.data, dict):
            self.problems.append(
                Problem(
                    "wrong-type",
                    f"{name} must hold a mapping of names to settings",
                    file.location(),
                )
            )
            return None
        return file.data

    def _read(self, path: Path, *, warn_if_empty: bool = True) -> YamlFile | None:
        self.files.append(path)
        try:
            file = read_yaml(path)
        except YamlFileError as error:
            self.problems.append(error.problem)
            return None
        if file.data is None and warn_if_empty:
            self.problems.append(
                Problem("empty-file", "the file is empty", Location(path), Severity.WARNING)
            )
        return file

    def _data_files(self) -> list[Path]:
        files = self._files_in(DATA_FOLDER, _is_yaml)
        for legacy in files:
            if legacy.suffix in (".md", ".json"):
                self.problems.append(
                    Problem(
                        "legacy-format",
                        "Rasa 1.x Markdown/JSON training data is not read; convert it to "
                        "YAML (`rasa data convert`) and remove this file",
                        Location(legacy),
                        Severity.WARNING,
                    )
                )
        return [path for path in files if _is_yaml(path)]

    def _test_files(self) -> list[Path]:
        return [path for path in self._files_in(TESTS_FOLDER, _is_test) if _is_test(path)]

    def _files_in(self, name: str, wanted: Callable[[Path], bool]) -> list[Path]:
        """The files below the folder ``name`` of the project; none when it is absent."""
        folder = self.root / name
        kind = _kind(folder)
        if kind in ("folder", "unreadable"):  # listing an unreadable one says why
            return self._files_below(folder, wanted)
        if kind == "broken-link":
            self._broken_link(folder, needed=True)
        elif kind != "missing":
            self.problems.append(
                Problem(
                    "not-a-folder",
                    f"{name} is a file, not a folder, so nothing is read from it; make it a "
                    "folder of YAML files",
                    Location(folder),
                )
            )
        return []

    def _files_below(self, folder: Path, wanted: Callable[[Path], bool]) -> list[Path]:
        """Every file below ``folder``, sorted, following links to files and folders, except
        hidden ones (a name starting with a dot: editor swap and lock files, ``.git``).

        Each file and folder is taken once, however many links lead to it, so a link back
        up the tree does not loop. What cannot be listed or followed is reported, as an
        error when the project would otherwise be incomplete without a word: a folder that
        cannot be listed, a broken link named like a file it reads (``wanted``).
        """
        files: dict[Path, Path] = {}
        seen: set[Path] = set()
        top = folder.resolve()
        pending = [folder]
        while pending:
            current = pending.pop()
            real = current.resolve()
            if real in seen:
                continue
            if real != top and top.is_relative_to(real):
                self.problems.append(
                    Problem(
                        "link-loop",
                        f"this is a link to {real}, which holds {folder.name}/ itself, so it "
                        "is not followed; remove the link",
                        Location(current),
                        Severity.WARNING,
                    )
                )
                continue
            seen.add(real)
            try:
                with os.scandir(current) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError as error:
                self._unreadable(current, error, "folder")
                continue
            folders: list[Path] = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                path = current / entry.name
                try:
                    is_folder, is_file = entry.is_dir(), entry.is_file()
                except OSError as error:
                    self._unreadable(path, error, "entry")
                    continue
                if is_folder:
                    folders.append(path)
                elif is_file:
                    files.setdefault(path.resolve(), path)
                elif entry.is_symlink():
                    self._broken_link(path, needed=wanted(path))
            pending.extend(reversed(folders))
        return sorted(files.values())

    def _not_a_file(self, path: Path, kind: str) -> None:
        if kind == "broken-link":
            self._broken_link(path, needed=True)
            return
        what = "a folder" if kind == "folder" else "not a regular file"
        self.problems.append(
            Problem(
                "not-a-file",
                f"{path.name} is {what}, so it is not read; it must be a file",
                Location(path),
            )
        )

    def _broken_link(self, path: Path, *, needed: bool) -> None:
        target = os.readlink(path)
        self.problems.append(
            Problem(
                "broken-link",
                f"this is a link to {target}, which does not exist, so it is not read; "
                "fix or remove the link",
                Location(path),
                Severity.ERROR if needed else Severity.WARNING,
            )
        )

    def _unreadable(self, path: Path, error: OSError, what: str) -> None:
        consequence = "the files in it are not read" if what == "folder" else "it is not read"
        self.problems.append(
            Problem(
                "file-unreadable",
                f"cannot read this {what}: {error.strerror or error}; {consequence}. "
                "Check its permissions",
                Location(path),
            )
        )


_READ_AS_FILE = ("file", "unreadable")
"""Kinds of entry read as a file where one is expected; reading an unreadable one says why."""


def _kind(path: Path) -> str:
    """``file``, ``folder``, ``missing``, ``broken-link``, ``unreadable`` or ``other``."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "broken-link" if path.is_symlink() else "missing"
    except OSError:
        return "unreadable"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "other"


def is_project_path(path: PurePosixPath) -> bool:
    """Whether a file at ``path``, relative to a project folder, is one the reader reads
    (when the project's layout makes it read that place: a ``domain/`` folder is not read
    beside a ``domain.yml``)."""
    top, *below = path.parts or ("",)
    if any(part.startswith(".") for part in path.parts):
        return False
    if not below:
        return top in (CONFIG_FILE, ENDPOINTS_FILE, CREDENTIALS_FILE, *_DOMAIN_FILES)
    if top in (DATA_FOLDER, DOMAIN, *_DOMAIN_FILES):  # a folder named domain.yml is read too
        return _is_yaml(path)
    return top == TESTS_FOLDER and _is_test(path)


def _is_yaml(path: Path | PurePosixPath) -> bool:
    return path.suffix in YAML_SUFFIXES


def _is_test(path: Path | PurePosixPath) -> bool:
    return _is_yaml(path) and path.name.startswith("test_")


def _shown(path: Path) -> str:
    return path.name + ("/" if _kind(path) == "folder" else "")


def _offset(local: ModelPath, offsets: dict[str, int]) -> ModelPath:
    """Turn a path local to one file into the path in the combined project."""
    if len(local) >= 2 and isinstance(local[1], int) and local[0] in ("stories", "rules"):
        return (local[0], local[1] + offsets[str(local[0])], *local[2:])
    if len(local) >= 3 and local[0] == "nlu" and isinstance(local[2], int):
        return ("nlu", local[1], local[2] + offsets[str(local[1])], *local[3:])
    return local


__all__ = ["is_project_path", "load_project", "read_project"]
