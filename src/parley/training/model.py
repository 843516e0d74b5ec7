"""Training a project (its NLU pipeline and dialogue policies) into a model artifact.

A model is named ``<YYYYMMDD-HHMMSS>-<fingerprint[:8]>.tar.gz`` (UTC), as Rasa names its
models. Before training, the manifests of the models already in the output folder are read:
one with the same fingerprint is the model this training would make, so it is reused.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from parley.core.problem import Problem
from parley.core.training_data import NLUData
from parley.errors import ModelError, ProjectError
from parley.models.artifact import (
    ARTIFACT_SUFFIX,
    checked_model_name,
    read_manifest,
    write_artifact,
)
from parley.models.manifest import (
    FORMAT_VERSION,
    ComponentEntry,
    Manifest,
    ModelKind,
    TrainingMetrics,
    TrainingWarning,
)
from parley.nlu.component import ComponentContext
from parley.nlu.pipeline import Pipeline
from parley.project.project import Project
from parley.training.dialogue import dialogue_inputs, train_dialogue
from parley.training.fingerprint import nlu_fingerprint
from parley.training.result import TrainingResult, reused
from parley.training.story_texts import story_text_examples
from parley.version import __version__


def train_model(
    project: Project,
    out_dir: Path,
    *,
    context: ComponentContext,
    force: bool = False,
    name: str | None = None,
    nlu_only: bool = False,
) -> TrainingResult:
    """Train ``project``'s NLU pipeline and dialogue policies (the NLU alone with
    ``nlu_only``) and write the model into ``out_dir``.

    An existing model there with the same fingerprint is reused unless ``force``. ``name``
    fixes the file name (``<name>.tar.gz``); only that file is then considered for reuse.
    The project's language (``config.yml``) wins over ``context.language``.
    """
    started = time.perf_counter()
    dialogue = not nlu_only
    name = checked_model_name(name)
    language = project.config.language or context.language
    if language != context.language:
        context = dataclasses.replace(context, language=language)
    kind = ModelKind.FULL if dialogue else ModelKind.NLU
    fingerprint = nlu_fingerprint(
        project.nlu,
        project.config.pipeline,
        language=language,
        seed=context.seed,
        dialogue=dialogue_inputs(project) if dialogue else None,
    )
    if not force:
        found = find_model(out_dir, fingerprint, name=name)
        if found is not None:
            return reused(*found, started=started)
    _check_trainable(project)
    already = len(context.problems)
    pipeline = Pipeline.from_config(project.config.pipeline, context)
    pipeline.train(_with_story_texts(project) if dialogue else project.nlu)
    problems = [p for p in context.problems[already:] if not p.is_error]
    policies = None
    if dialogue:
        context.report("training the dialogue policies", 0.9)
        policies, dialogue_problems = train_dialogue(project, pipeline, seed=context.seed)
        problems.extend(dialogue_problems)
    trained_in = time.perf_counter() - started
    context.report("writing the model", 1.0)
    created = datetime.now(UTC)
    target = (
        out_dir / f"{name}{ARTIFACT_SUFFIX}" if name else _new_path(out_dir, created, fingerprint)
    )
    with tempfile.TemporaryDirectory(prefix="parley-train-") as folder:
        entries = pipeline.persist(Path(folder) / "nlu")
        if policies is not None:
            policies.persist(Path(folder) / "dialogue")
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            parley_version=__version__,
            fingerprint=fingerprint,
            created=created,
            language=language,
            kind=kind,
            components=[ComponentEntry.model_validate(entry) for entry in entries],
            policies=[
                ComponentEntry(
                    name=p.name, version=p.version, config=p.options, resource=f"dialogue/{i}"
                )
                for i, p in enumerate(policies.policies if policies else [])
            ],
            metrics=TrainingMetrics(
                seconds=round(trained_in, 3),
                examples=sum(1 for e in project.nlu.examples if e.intent),
                intents=len(project.nlu.intents),
                entities=len(project.nlu.entity_names),
                warnings=[TrainingWarning(code=p.code, message=p.message) for p in problems],
                stories=len(project.stories) if dialogue else 0,
                rules=len(project.rules) if dialogue else 0,
            ),
            seed=context.seed,
        )
        write_artifact(Path(folder), target, manifest)
    return TrainingResult(
        path=target,
        manifest=manifest,
        reused=False,
        problems=problems,
        seconds=time.perf_counter() - started,
        pipeline=pipeline,
    )


def find_model(
    out_dir: Path,
    fingerprint: str,
    *,
    name: str | None = None,
) -> tuple[Path, Manifest] | None:
    """The newest model in ``out_dir`` trained with ``fingerprint`` (only ``name`` when
    given), reading nothing but manifests. The fingerprint covers the dialogue part too, so
    an NLU-only model never stands for a full one. Files that are not readable models are passed
    over: they cannot be the model asked for."""
    if name is not None:
        candidates = [out_dir / f"{name}{ARTIFACT_SUFFIX}"]
    elif out_dir.is_dir():
        candidates = sorted(out_dir.glob(f"*{ARTIFACT_SUFFIX}"), reverse=True)
    else:
        return None
    # Parley puts the fingerprint's start in the file names it gives: look at those first.
    candidates.sort(key=lambda path: fingerprint[:8] not in path.name)
    for path in candidates:
        if not path.is_file():
            continue
        try:
            manifest = read_manifest(path)
        except ModelError:
            continue
        if manifest.fingerprint == fingerprint:
            return path, manifest
    return None


def _new_path(out_dir: Path, created: datetime, fingerprint: str) -> Path:
    """A file name no model has yet (two trainings in one second get ``-2``, ``-3``…)."""
    stem = f"{created:%Y%m%d-%H%M%S}-{fingerprint[:8]}"
    path = out_dir / f"{stem}{ARTIFACT_SUFFIX}"
    counter = 2
    while path.exists():
        path = out_dir / f"{stem}-{counter}{ARTIFACT_SUFFIX}"
        counter += 1
    return path


def _with_story_texts(project: Project) -> NLUData:
    """The NLU data plus the end-to-end story texts whose intent the stories imply (texts
    the NLU data already has keep their own intent)."""
    known = {example.text for example in project.nlu.examples}
    extra = [
        example
        for example in story_text_examples([*project.stories, *project.rules])
        if example.text not in known
    ]
    if not extra:
        return project.nlu
    return project.nlu.model_copy(update={"examples": [*project.nlu.examples, *extra]})


def _check_trainable(project: Project) -> None:
    if not any(example.intent for example in project.nlu.examples):
        raise ProjectError(
            [
                Problem(
                    "nlu-no-examples",
                    "the project has no NLU training examples; add intents with examples "
                    "under `nlu:` in a file in data/ (e.g. data/nlu.yml)",
                )
            ],
            summary="nothing to train: the project has no NLU training examples; add intents "
            "with examples under `nlu:` in a file in data/ (e.g. data/nlu.yml)",
        )
