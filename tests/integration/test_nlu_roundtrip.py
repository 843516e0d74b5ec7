"""The starter assistant trained with the default pipeline: what is saved and loaded back
predicts exactly what was trained, and training twice with one seed gives the same model."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from parley.core.messages import ParseResult
from parley.core.training_data import Example
from parley.models.loading import load_model
from parley.nlu.component import ComponentContext
from parley.nlu.pipeline import DEFAULT_PIPELINE, Pipeline
from parley.project import load_project
from parley.project.config import ComponentSpec, ModelConfig
from parley.project.project import Project
from parley.project.scaffold import create_starter_project
from parley.training.model import train_model
from parley.training.result import TrainingResult

pytestmark = pytest.mark.slow

ODD_TEXTS = [
    "",
    "   ",
    "?!",
    "🙂☕",
    "I'd like a large oat milk latte and two espressos please",
    "CAN I GET A CAPPUCCINO",
    "Kaffee bitte",
    "咖啡",
    "what's 2 + 2",
    "x" * 2_000,
    "latte " * 200,
    "hello\nthere\tfriend",
]


FAQ = {
    "faq/ask_hours": ["when are you open", "what are your opening hours", "are you open sunday"],
    "faq/ask_wifi": ["do you have wifi", "what is the wifi password", "is there internet"],
}


def starter(tmp_path: Path) -> Project:
    """The project `parley init` writes, with retrieval intents added so that every
    component of the default pipeline has something to learn, and no pipeline in its
    config (so the default one trains)."""
    create_starter_project(tmp_path / "bot")
    project = load_project(tmp_path / "bot")
    faq = [Example(text=text, intent=intent) for intent, texts in FAQ.items() for text in texts]
    nlu = project.nlu.model_copy(update={"examples": [*project.nlu.examples, *faq]})
    config = ModelConfig(language=project.config.language, pipeline=None)
    return project.model_copy(update={"config": config, "nlu": nlu})


def texts(project: Project) -> list[str]:
    seen = [e.text for e in project.nlu.examples] + [e.text for e in project.tests.nlu.examples]
    variants = [t.upper() for t in seen[:20]] + [t[: len(t) // 2] for t in seen[:20]]
    return list(dict.fromkeys([*seen, *variants, *ODD_TEXTS]))


def dumped(results: list[ParseResult]) -> list[dict[str, object]]:
    return [r.model_dump() for r in results]


def loaded_pipeline(result: TrainingResult) -> Pipeline:
    return load_model(result.path, ComponentContext()).pipeline


def test_a_loaded_model_predicts_exactly_what_was_trained(tmp_path: Path) -> None:
    project = starter(tmp_path)
    result = train_model(
        project, tmp_path / "models", context=ComponentContext(seed=0), nlu_only=True
    )
    assert result.pipeline is not None
    assert [c.name for c in result.manifest.components] == [s.name for s in DEFAULT_PIPELINE]
    sample = texts(project)
    assert len(sample) > 100
    trained = result.pipeline.parse_batch(sample)
    loaded = loaded_pipeline(result)
    # Same intents, same rankings with the same confidences, same entities — to the last bit.
    assert dumped(loaded.parse_batch(sample)) == dumped(trained)
    # One at a time too (batches may differ from single parses in the last bit: BLAS).
    one_by_one = [result.pipeline.parse(t) for t in sample[:40]]
    assert dumped([loaded.parse(t) for t in sample[:40]]) == dumped(one_by_one)
    assert any(r.response_selector for r in trained), "no retrieval answer was predicted"
    # The model is a real one: it has learnt its own examples.
    examples = project.nlu.examples
    own = result.pipeline.parse_batch([e.text for e in examples])
    right = sum(
        1
        for example, parsed in zip(examples, own, strict=True)
        if parsed.intent is not None and parsed.intent.name == (example.intent or "").split("/")[0]
    )
    assert right / len(project.nlu.examples) > 0.9


def nlu_files(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        files = {}
        for member in tar.getmembers():
            source = tar.extractfile(member)
            if source is not None and member.name.startswith("nlu/"):
                files[member.name] = source.read()
        return files


def test_training_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    project = starter(tmp_path)
    out = tmp_path / "models"
    first = train_model(project, out, context=ComponentContext(seed=5), nlu_only=True)
    second = train_model(project, out, context=ComponentContext(seed=5), force=True, nlu_only=True)
    assert first.path != second.path
    assert first.manifest.fingerprint == second.manifest.fingerprint
    sample = texts(project)
    assert dumped(loaded_pipeline(first).parse_batch(sample)) == dumped(
        loaded_pipeline(second).parse_batch(sample)
    )
    # Beyond the predictions: every file of the two models is the same, byte for byte.
    assert nlu_files(first.path) == nlu_files(second.path)


HOSTILE = [
    "",
    " \n\t ",
    "\x00\x01\x07\x1b[31mred\x1b[0m\x7f",
    "\u202eevil\u202c \ufeff\u200b\u200d",
    "a\ud800b\udfff",  # lone surrogates, as a JSON body with "\ud800" decodes
    "🍕🍕🍕 😀👍🏽 👨‍👩‍👧 ❤️",
    "Привет 世界 مرحبا שלום नमस्ते",
    "ꦧꦱꦗꦮ 𓀀𓁐 ᚠᚢᚦ",  # scripts no tokenizer rule knows
    "latte tomorrow at 5pm for $3 " * 3_500,  # ~100 kB
    "x" * 100_000,
]


@pytest.mark.parametrize("with_duckling", [False, True], ids=["default", "with-duckling"])
def test_hostile_text_gets_a_parse_result(tmp_path: Path, with_duckling: bool) -> None:
    project = starter(tmp_path)
    if with_duckling:
        pipeline = [*DEFAULT_PIPELINE, ComponentSpec(name="DucklingEntityExtractor")]
        config = project.config.model_copy(update={"pipeline": pipeline})
        project = project.model_copy(update={"config": config})
    result = train_model(
        project, tmp_path / "models", context=ComponentContext(seed=0), nlu_only=True
    )
    loaded = loaded_pipeline(result)
    assert len(HOSTILE[-2]) >= 100_000
    for text in HOSTILE:
        parsed = loaded.parse(text)
        assert parsed.text == text
        assert parsed.intent is not None
        assert parsed.intent.name
        assert 0.0 <= parsed.intent.confidence <= 1.0
        for entity in parsed.entities:
            assert 0 <= entity.start <= entity.end <= len(text)
        json.dumps(parsed.to_rasa())
    assert [r.text for r in loaded.parse_batch(HOSTILE)] == HOSTILE
