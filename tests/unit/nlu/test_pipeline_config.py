"""Building pipelines from config.yml: defaults, Rasa names, requirements, bad names/options."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.core.training_data import Example, NLUData
from parley.errors import ProjectError, UnknownNameError
from parley.nlu import rasa_names
from parley.nlu.catalog import render_catalog
from parley.nlu.component import Component, ComponentContext
from parley.nlu.pipeline import DEFAULT_PIPELINE, Pipeline, resolve_specs
from parley.nlu.registry import BUILTIN_COMPONENTS, components
from parley.project.config import ComponentSpec

DOCS = Path(__file__).resolve().parents[3] / "docs" / "nlu-components.md"


def names(specs: list[ComponentSpec]) -> list[str]:
    return [spec.name for spec in specs]


def specs(*entries: str | tuple[str, dict[str, object]]) -> list[ComponentSpec]:
    return [
        ComponentSpec(name=e) if isinstance(e, str) else ComponentSpec(name=e[0], options=e[1])
        for e in entries
    ]


@pytest.mark.parametrize("given", [None, []])
def test_no_pipeline_gets_the_default(given: list[ComponentSpec] | None) -> None:
    assert resolve_specs(given) == list(DEFAULT_PIPELINE)


def test_the_default_pipeline_builds_without_optional_extras() -> None:
    pipeline = Pipeline.from_config(None)
    assert "SentenceEmbeddingFeaturizer" not in [c.name for c in pipeline.components]


@pytest.mark.parametrize("texts", [["hello"], ["hello", "bye"]])
def test_the_default_pipeline_trains_on_the_smallest_data(texts: list[str]) -> None:
    # min_df 2 of its character n-grams must not make a new bot's first training fail.
    nlu = NLUData(examples=[Example(text=t, intent=t) for t in texts])
    pipeline = Pipeline.from_config(None, ComponentContext(seed=0))
    pipeline.train(nlu)
    result = pipeline.parse(texts[-1])
    assert result.intent is not None
    assert result.intent.name == texts[-1]


@pytest.mark.parametrize("embeddings", [True, False])
def test_a_spacy_pipeline_maps_to_parley_components(
    monkeypatch: pytest.MonkeyPatch, embeddings: bool
) -> None:
    monkeypatch.setattr(rasa_names, "embeddings_available", lambda: embeddings)
    moodbot = specs(
        ("SpacyNLP", {"model": "en_core_web_md"}),
        "SpacyTokenizer",
        "SpacyFeaturizer",
        ("DIETClassifier", {"entity_recognition": False, "epochs": 1}),
    )
    dense = "SentenceEmbeddingFeaturizer" if embeddings else "CountVectorsFeaturizer"
    assert names(resolve_specs(moodbot)) == ["WhitespaceTokenizer", dense, "LinearIntentClassifier"]


def test_diet_adds_a_crf_only_when_the_pipeline_has_none() -> None:
    alone = resolve_specs(specs("WhitespaceTokenizer", "CountVectorsFeaturizer", "DIETClassifier"))
    assert names(alone)[-2:] == ["LinearIntentClassifier", "CRFEntityExtractor"]
    with_crf = resolve_specs(
        specs(
            "WhitespaceTokenizer", "CountVectorsFeaturizer", "CRFEntityExtractor", "DIETClassifier"
        )
    )
    assert names(with_crf).count("CRFEntityExtractor") == 1
    no_intents = resolve_specs(specs(("DIETClassifier", {"intent_classification": False})))
    assert names(no_intents) == ["CRFEntityExtractor"]


def test_a_lossy_mapping_is_a_warning() -> None:
    problems: list[object] = []
    resolve_specs(specs("WhitespaceTokenizer", "SpacyEntityExtractor"), problems)  # type: ignore[arg-type]
    assert len(problems) == 1
    assert "SpacyEntityExtractor" in str(problems[0])
    assert "warning" in str(problems[0])


def test_an_unknown_name_lists_parley_and_rasa_names() -> None:
    with pytest.raises(UnknownNameError) as caught:
        resolve_specs(specs("WhitespaceTokeniser"))
    message = str(caught.value)
    assert "unknown NLU component 'WhitespaceTokeniser'" in message
    assert "WhitespaceTokenizer" in message
    assert "DIETClassifier" in message


def test_an_unknown_option_lists_the_valid_ones() -> None:
    with pytest.raises(ProjectError) as caught:
        Pipeline.from_config(specs(("FallbackClassifier", {"treshold": 0.4})))
    message = str(caught.value)
    assert "FallbackClassifier has no option 'treshold' (did you mean 'threshold'?)" in message
    assert "ambiguity_threshold" in message


def test_rasa_only_options_are_accepted_and_ignored() -> None:
    pipeline = Pipeline.from_config(
        specs(
            ("WhitespaceTokenizer", {"intent_tokenization_flag": True}),
            "CountVectorsFeaturizer",
            ("DIETClassifier", {"epochs": 100, "constrain_similarities": True}),
        )
    )
    assert [c.name for c in pipeline.components][-1] == "CRFEntityExtractor"


def test_a_missing_requirement_names_the_components_that_provide_it() -> None:
    with pytest.raises(ProjectError) as caught:
        Pipeline.from_config(specs("LinearIntentClassifier"))
    message = str(caught.value)
    assert "LinearIntentClassifier needs" in message
    assert "CountVectorsFeaturizer" in message


def test_registry_snapshot() -> None:
    """Saved models name these components: a rename breaks every model trained before it."""
    assert components.names() == sorted(BUILTIN_COMPONENTS)
    assert components.names() == [
        "CRFEntityExtractor",
        "CountVectorsFeaturizer",
        "DucklingEntityExtractor",
        "EntitySynonymMapper",
        "FallbackClassifier",
        "KeywordIntentClassifier",
        "LexicalSyntacticFeaturizer",
        "LinearIntentClassifier",
        "RegexEntityExtractor",
        "RegexFeaturizer",
        "ResponseSelector",
        "SentenceEmbeddingFeaturizer",
        "WhitespaceTokenizer",
    ]
    for name in components.names():
        cls = components.get(name)
        assert issubclass(cls, Component)
        assert cls.name == name
        assert isinstance(cls.version, int)
        assert not set(cls.defaults) & set(cls.ignored_options), name


def test_rasa_names_do_not_shadow_parley_names() -> None:
    assert not set(rasa_names.RASA_EQUIVALENTS) & set(BUILTIN_COMPONENTS)


def test_component_page_is_up_to_date() -> None:
    expected = render_catalog()
    assert DOCS.read_text(encoding="utf-8") == expected, (
        "docs/nlu-components.md is out of date: run `python -m parley.nlu docs/nlu-components.md`"
    )


def test_context_collects_warnings() -> None:
    context = ComponentContext()
    context.warn("code", "careful")
    assert [p.code for p in context.problems] == ["code"]


def test_training_progress_only_moves_forward() -> None:
    seen: list[tuple[str, float]] = []
    context = ComponentContext(progress=lambda what, done: seen.append((what, done)))
    pipeline = Pipeline.from_config(
        specs("WhitespaceTokenizer", "CountVectorsFeaturizer", "CRFEntityExtractor"), context
    )
    examples = [
        {
            "text": f"book a flight to {city}",
            "intent": "book",
            "entities": [{"start": 17, "end": 17 + len(city), "entity": "city", "value": city}],
        }
        for city in ("paris", "rome", "oslo", "lima")
    ]
    nlu = NLUData.model_validate({"examples": examples})
    pipeline.train(nlu)
    fractions = [done for _, done in seen]
    assert fractions == sorted(fractions), "a component's own progress stays in its share"
    assert fractions[-1] == 1.0
    assert any("CRFEntityExtractor" in what and 2 / 3 < done < 1 for what, done in seen)
    assert context.progress is not None, "the caller's callback is put back"
