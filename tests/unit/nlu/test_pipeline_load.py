"""A saved pipeline whose parts were tampered with is refused when it loads, not at parse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from parley.core.training_data import Example, NLUData, RegexPattern
from parley.errors import ModelError
from parley.nlu.component import ComponentContext
from parley.nlu.pipeline import Pipeline
from parley.nlu.resource import Resource
from parley.project.config import ComponentSpec

SPECS = [
    ComponentSpec(name="WhitespaceTokenizer"),
    ComponentSpec(name="RegexFeaturizer"),
    ComponentSpec(name="CountVectorsFeaturizer"),
    ComponentSpec(name="LinearIntentClassifier"),
]
NLU = NLUData(
    examples=[
        Example(text=text, intent=intent)
        for intent, texts in {
            "greet": ["hi", "hello there", "good morning"],
            "order": ["a latte please", "two espressos", "one flat white"],
        }.items()
        for text in texts
    ],
    regexes=[RegexPattern(name="number", patterns=[r"\d+"])],
)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    pipeline = Pipeline.from_config(SPECS, ComponentContext())
    pipeline.train(NLU)
    pipeline.persist(tmp_path / "nlu")
    return tmp_path / "nlu"


def test_an_untouched_pipeline_loads(saved: Path) -> None:
    loaded = Pipeline.load(saved)
    result = loaded.parse("a latte")
    assert result.intent is not None
    assert result.intent.name == "order"


def test_a_featurizer_that_no_longer_fits_its_classifier_is_refused_at_load(saved: Path) -> None:
    patterns = saved / "01_RegexFeaturizer" / "patterns.json"
    entries = json.loads(patterns.read_text())
    patterns.write_text(json.dumps([*entries, {**entries[0], "name": "extra"}]))
    with pytest.raises(ModelError, match="do not fit together"):
        Pipeline.load(saved)


def test_weights_beyond_float32_are_refused(saved: Path) -> None:
    resource = Resource(saved / "03_LinearIntentClassifier")
    arrays = resource.read_arrays("intent_model.npz")
    weights = np.asarray(arrays["weights"], dtype=np.float64)
    weights[0, 0] = 1e300
    resource.write_arrays("intent_model.npz", weights=weights, intercepts=arrays["intercepts"])
    with pytest.raises(ModelError, match="non-finite"):
        Pipeline.load(saved)


def test_deeply_nested_pipeline_json_is_refused(saved: Path) -> None:
    (saved / "pipeline.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelError, match=r"pipeline\.json cannot be read"):
        Pipeline.load(saved)
