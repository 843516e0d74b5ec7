"""Reading a project folder in the Rasa layout.

::

    domain.yml | domain/*.yml     the domain (a folder's files are merged)
    config.yml                    language, pipeline, policies
    data/**/*.yml                 NLU data, stories, rules, retrieval responses
    tests/**/test_*.yml           conversation tests (and NLU test examples)
    endpoints.yml, credentials.yml

Every file is read and checked before anything is combined, so one run reports all
problems. A file with errors contributes nothing; cross-file checks run only when every
file was sound, because they would otherwise report the same mistake twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parley.core.problem import Location, Problem, Severity
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

# What this module needs from training_data_file (helper: keep to it, or tell the lead):
#   read_training_data(file: YamlFile) -> TrainingDataContent
#   TrainingDataContent()  -- empty; fields: nlu: NLUData, stories: list[Story],
#       rules: list[Rule], responses: dict[str, list[ResponseVariation]],
#       response_locations: dict[str, Location], problems: list[Problem],
#       locations: dict[ModelPath, Location] keyed by paths local to the file:
#       ("stories", i, "steps", j), ("rules", i, "condition", j), ("nlu", "examples", i),
#       ("nlu", "synonyms", i), ("nlu", "regexes", i), ("nlu", "lookups", i)
#   TrainingDataContent.merge(other) -- appends other's content in place


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
        self.problems.extend(domain.problems)
        project = Project(
            domain=domain.build(self.sources),
            nlu=training.nlu,
            stories=training.stories,
            rules=training.rules,
            config=config,
            tests=TestData(stories=tests.stories, rules=tests.rules, nlu=tests.nlu),
            endpoints=self._read_mapping("endpoints.yml"),
            credentials=self._read_mapping("credentials.yml"),
        )
        if not any(p.is_error for p in self.problems):
            self.problems.extend(validate_project(project, self.sources))
        return ProjectReading(
            root=self.root,
            project=project,
            problems=sorted(self.problems, key=_problem_order),
            sources=self.sources,
            files=self.files,
        )

    def _read_domain(self) -> DomainAssembler:
        assembler = DomainAssembler()
        single = next(
            (
                self.root / f"domain{s}"
                for s in YAML_SUFFIXES
                if (self.root / f"domain{s}").is_file()
            ),
            None,
        )
        folder = self.root / "domain"
        if single is not None:
            paths = [single]
        elif folder.is_dir():
            paths = _yaml_files(folder)
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
        for path in paths:
            file = self._read(path)
            if file is None:
                continue
            schema, problems = validate_file(DomainFile, file)
            self.problems.extend(problems)
            if schema is not None:
                assembler.add(schema, file)
        return assembler

    def _read_config(self) -> Any:
        path = self.root / "config.yml"
        config = ConfigFile()
        if not path.is_file():
            self.problems.append(
                Problem(
                    "config-missing",
                    "no config.yml: training will use the default language (en), "
                    "pipeline and policies",
                    Location(path),
                    Severity.WARNING,
                )
            )
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
        # All-comment endpoints/credentials files are the norm (`rasa init` writes them).
        if not path.is_file() or (file := self._read(path, warn_if_empty=False)) is None:
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
        folder = self.root / "data"
        if not folder.is_dir():
            return []
        for legacy in sorted(folder.rglob("*")):
            if legacy.suffix in (".md", ".json") and legacy.is_file():
                self.problems.append(
                    Problem(
                        "legacy-format",
                        "Rasa 1.x Markdown/JSON training data is not read; convert it to "
                        "YAML (`rasa data convert`) and remove this file",
                        Location(legacy),
                        Severity.WARNING,
                    )
                )
        return _yaml_files(folder)

    def _test_files(self) -> list[Path]:
        folder = self.root / "tests"
        if not folder.is_dir():
            return []
        return [p for p in _yaml_files(folder) if p.name.startswith("test_")]


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())


def _offset(local: ModelPath, offsets: dict[str, int]) -> ModelPath:
    """Turn a path local to one file into the path in the combined project."""
    if len(local) >= 2 and isinstance(local[1], int) and local[0] in ("stories", "rules"):
        return (local[0], local[1] + offsets[str(local[0])], *local[2:])
    if len(local) >= 3 and local[0] == "nlu" and isinstance(local[2], int):
        return ("nlu", local[1], local[2] + offsets[str(local[1])], *local[3:])
    return local


def _problem_order(problem: Problem) -> tuple[str, int, int, str]:
    location = problem.location
    if location is None:
        return ("", 0, 0, problem.code)
    return (str(location.file), location.line or 0, location.column or 0, problem.code)


__all__ = ["load_project", "read_project"]
