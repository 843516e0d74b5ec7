"""Training NLU into an artifact: the fingerprint, reusing a model, and writing it atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parley.core.training_data import (
    EntityAnnotation,
    Example,
    LookupTable,
    NLUData,
    RegexPattern,
    Synonym,
)
from parley.errors import ConfigurationError, ProjectError
from parley.models import artifact
from parley.models.artifact import read_manifest
from parley.models.loading import load_model
from parley.models.manifest import FORMAT_VERSION, ModelKind
from parley.nlu.component import ComponentContext
from parley.nlu.regex_featurizer import RegexFeaturizer
from parley.project import load_project
from parley.project.config import ComponentSpec, ModelConfig
from parley.project.project import Project
from parley.project.scaffold import create_starter_project
from parley.training import fingerprint as fingerprint_module
from parley.training.fingerprint import nlu_fingerprint
from parley.training.model import train_model
from parley.version import __version__

PIPELINE = [ComponentSpec(name="WhitespaceTokenizer"), ComponentSpec(name="RegexFeaturizer")]


def nlu_data() -> NLUData:
    return NLUData(
        examples=[
            Example(text="hi there", intent="greet"),
            Example(text="hello", intent="greet"),
            Example(
                text="a latte please",
                intent="order",
                entities=[EntityAnnotation(start=2, end=7, value="latte", entity="drink")],
            ),
            Example(text="one espresso", intent="order"),
        ],
        synonyms=[Synonym(value="latte", examples=["caffe latte"])],
        regexes=[RegexPattern(name="size", patterns=["small|large"])],
        lookups=[LookupTable(name="drink", elements=["latte", "espresso"])],
    )


def project(nlu: NLUData | None = None, pipeline: list[ComponentSpec] | None = None) -> Project:
    return Project(
        nlu=nlu or nlu_data(),
        config=ModelConfig(language="en", pipeline=PIPELINE if pipeline is None else pipeline),
    )


def fingerprint(**changes: Any) -> str:
    arguments: dict[str, Any] = {
        "nlu": nlu_data(),
        "pipeline": PIPELINE,
        "language": "en",
        "seed": 0,
    }
    arguments.update(changes)
    nlu = arguments.pop("nlu")
    pipeline = arguments.pop("pipeline")
    return nlu_fingerprint(nlu, pipeline, **arguments)


def changed_nlu(change: str) -> NLUData:
    data = nlu_data()
    if change == "example text":
        data.examples[0] = Example(text="hi there!", intent="greet")
    elif change == "example intent":
        data.examples[0] = Example(text="hi there", intent="order")
    elif change == "example order":
        data.examples[0], data.examples[1] = data.examples[1], data.examples[0]
    elif change == "entity":
        data.examples[2] = Example(text="a latte please", intent="order")
    elif change == "synonym":
        data.synonyms[0] = Synonym(value="latte", examples=["cafe latte"])
    elif change == "regex":
        data.regexes[0] = RegexPattern(name="size", patterns=["small|medium|large"])
    elif change == "lookup":
        data.lookups[0] = LookupTable(name="drink", elements=["latte"])
    else:
        raise AssertionError(change)
    return data


# ---- fingerprint ---------------------------------------------------------------------------


def test_the_fingerprint_is_a_stable_sha256() -> None:
    first = fingerprint()
    assert len(first) == 64
    assert int(first, 16) >= 0
    assert fingerprint() == first


def test_the_fingerprint_of_a_project_read_twice_is_the_same(tmp_path: Path) -> None:
    create_starter_project(tmp_path / "bot")
    one, two = load_project(tmp_path / "bot"), load_project(tmp_path / "bot")
    assert nlu_fingerprint(one.nlu, one.config.pipeline, language="en", seed=0) == nlu_fingerprint(
        two.nlu, two.config.pipeline, language="en", seed=0
    )


@pytest.mark.parametrize(
    "change",
    ["example text", "example intent", "example order", "entity", "synonym", "regex", "lookup"],
)
def test_the_fingerprint_changes_with_the_training_data(change: str) -> None:
    assert fingerprint(nlu=changed_nlu(change)) != fingerprint()


@pytest.mark.parametrize(
    "changes",
    [
        {"seed": 1},
        {"language": "de"},
        {
            "pipeline": [
                ComponentSpec(name="WhitespaceTokenizer"),
                ComponentSpec(name="RegexFeaturizer", options={"case_sensitive": False}),
            ]
        },
        {"pipeline": [ComponentSpec(name="WhitespaceTokenizer")]},
        {"pipeline": None},  # the default pipeline
    ],
    ids=["seed", "language", "option", "component", "default-pipeline"],
)
def test_the_fingerprint_changes_with_the_setup(changes: dict[str, Any]) -> None:
    assert fingerprint(**changes) != fingerprint()


def test_the_fingerprint_changes_with_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    before = fingerprint()
    monkeypatch.setattr(RegexFeaturizer, "version", RegexFeaturizer.version + 1)
    bumped_component = fingerprint()
    assert bumped_component != before
    monkeypatch.setattr(fingerprint_module, "__version__", __version__ + ".post1")
    assert fingerprint() not in {before, bumped_component}


def test_options_equal_to_their_defaults_do_not_change_the_fingerprint() -> None:
    explicit = [
        ComponentSpec(name="WhitespaceTokenizer"),
        ComponentSpec(name="RegexFeaturizer", options=dict(RegexFeaturizer.defaults)),
    ]
    assert fingerprint(pipeline=explicit) == fingerprint()


def test_an_empty_pipeline_is_the_default_one() -> None:
    assert fingerprint(pipeline=[]) == fingerprint(pipeline=None)


# ---- training ------------------------------------------------------------------------------


def test_training_writes_a_named_model_with_its_manifest(tmp_path: Path) -> None:
    result = train_model(
        project(), tmp_path / "models", context=ComponentContext(seed=3), nlu_only=True
    )
    assert not result.reused
    assert result.path.parent == tmp_path / "models"
    stem = result.path.name.removesuffix(".tar.gz")
    date, clock, short = stem.split("-")
    assert date.isdigit()
    assert len(date) == 8
    assert clock.isdigit()
    assert len(clock) == 6
    assert short == result.manifest.fingerprint[:8]
    manifest = read_manifest(result.path)
    assert manifest == result.manifest
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.parley_version == __version__
    assert manifest.kind is ModelKind.NLU
    assert manifest.seed == 3
    assert manifest.fingerprint == fingerprint(seed=3)
    assert [c.name for c in manifest.components] == ["WhitespaceTokenizer", "RegexFeaturizer"]
    assert manifest.components[1].config == dict(RegexFeaturizer.defaults)
    assert (manifest.metrics.examples, manifest.metrics.intents) == (4, 2)
    assert manifest.metrics.entities == 1
    loaded = load_model(result.path, ComponentContext())
    assert [c.name for c in loaded.pipeline.components] == [
        "WhitespaceTokenizer",
        "RegexFeaturizer",
    ]


def test_an_unchanged_project_reuses_its_model(tmp_path: Path) -> None:
    out = tmp_path / "models"
    first = train_model(project(), out, context=ComponentContext(), nlu_only=True)
    again = train_model(project(), out, context=ComponentContext(), nlu_only=True)
    assert again.reused
    assert again.path == first.path
    assert again.manifest == first.manifest
    assert sorted(p.name for p in out.iterdir()) == [first.path.name]


def test_a_change_trains_a_new_model(tmp_path: Path) -> None:
    out = tmp_path / "models"
    first = train_model(project(), out, context=ComponentContext(), nlu_only=True)
    changed = train_model(
        project(changed_nlu("example text")), out, context=ComponentContext(), nlu_only=True
    )
    reseeded = train_model(project(), out, context=ComponentContext(seed=7), nlu_only=True)
    assert not changed.reused
    assert not reseeded.reused
    assert len({first.path, changed.path, reseeded.path}) == 3
    # and the first model is still found among the others
    assert train_model(project(), out, context=ComponentContext(), nlu_only=True).path == first.path


def test_force_trains_again_beside_the_old_model(tmp_path: Path) -> None:
    out = tmp_path / "models"
    first = train_model(project(), out, context=ComponentContext(), nlu_only=True)
    forced = train_model(project(), out, context=ComponentContext(), force=True, nlu_only=True)
    assert not forced.reused
    assert forced.path != first.path  # even within the same second
    assert first.path.is_file()
    assert forced.path.is_file()
    assert forced.manifest.fingerprint == first.manifest.fingerprint


def test_a_fixed_name(tmp_path: Path) -> None:
    out = tmp_path / "models"
    named = train_model(project(), out, context=ComponentContext(), name="coffee", nlu_only=True)
    assert named.path == out / "coffee.tar.gz"
    with_suffix = train_model(
        project(), out, context=ComponentContext(), name="coffee.tar.gz", nlu_only=True
    )
    assert with_suffix.path == named.path
    assert train_model(
        project(), out, context=ComponentContext(), name="coffee", nlu_only=True
    ).reused
    assert not train_model(
        project(), out, context=ComponentContext(), name="other", nlu_only=True
    ).reused
    with pytest.raises(ConfigurationError, match="plain file name"):
        train_model(project(), out, context=ComponentContext(), name="../escape", nlu_only=True)


def test_damaged_files_in_the_output_folder_are_passed_over(tmp_path: Path) -> None:
    out = tmp_path / "models"
    first = train_model(project(), out, context=ComponentContext(), nlu_only=True)
    (out / "99999999-999999-junk.tar.gz").write_bytes(b"not a model")
    truncated = out / f"99999999-999998-{first.manifest.fingerprint[:8]}.tar.gz"
    truncated.write_bytes(first.path.read_bytes()[:40])
    again = train_model(project(), out, context=ComponentContext(), nlu_only=True)
    assert again.reused
    assert again.path == first.path


def test_the_project_language_wins(tmp_path: Path) -> None:
    german = project().model_copy(update={"config": ModelConfig(language="de", pipeline=PIPELINE)})
    result = train_model(german, tmp_path, context=ComponentContext(language="en"), nlu_only=True)
    assert result.manifest.language == "de"
    assert result.manifest.fingerprint == fingerprint(language="de")


def test_warnings_are_returned_and_kept_for_reuse(tmp_path: Path) -> None:
    lonely = NLUData(examples=[Example(text="hi", intent="greet")])
    context = ComponentContext()
    result = train_model(project(lonely), tmp_path, context=context, nlu_only=True)
    codes = {p.code for p in result.problems}
    assert {"nlu-one-intent", "nlu-few-examples"} <= codes
    assert [w.code for w in result.manifest.metrics.warnings] == [p.code for p in result.problems]
    reused = train_model(project(lonely), tmp_path, context=ComponentContext(), nlu_only=True)
    assert reused.reused
    assert [(p.code, p.message) for p in reused.problems] == [
        (p.code, p.message) for p in result.problems
    ]


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    context = ComponentContext(progress=lambda what, fraction: seen.append((what, fraction)))
    train_model(project(), tmp_path, context=context, nlu_only=True)
    assert ("training WhitespaceTokenizer", 0.0) in seen
    assert seen[-1] == ("writing the model", 1.0)


def test_a_project_without_examples_cannot_train(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="no NLU training examples"):
        train_model(project(NLUData()), tmp_path, context=ComponentContext(), nlu_only=True)
    assert not tmp_path.joinpath("models").exists()


def test_a_crash_while_writing_leaves_no_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(artifact, "_add", crash)
    with pytest.raises(OSError, match="No space left"):
        train_model(project(), tmp_path / "models", context=ComponentContext(), nlu_only=True)
    assert list((tmp_path / "models").iterdir()) == []
    monkeypatch.undo()
    assert not train_model(
        project(), tmp_path / "models", context=ComponentContext(), nlu_only=True
    ).reused
