"""The files ``write_report`` saves: names, Rasa's JSON shapes, and valid PNG pictures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parley.core.messages import (
    ExtractedEntity,
    IntentPrediction,
    ParseResult,
    ResponseCandidate,
    RetrievalPrediction,
)
from parley.core.training_data import EntityAnnotation, Example
from parley.evaluation.nlu import score, write_report
from parley.evaluation.nlu_report import FoldScores, NLUReport

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header, after checking the signature and IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    assert data[-8:-4] == b"IEND", f"{path.name} is truncated"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def sample_report() -> NLUReport:
    text = "book a table in rome"
    examples = [
        Example(
            text=text,
            intent="book",
            entities=[EntityAnnotation(start=16, end=20, value="rome", entity="city")],
        ),
        Example(text="hi", intent="greet"),
        Example(text="what does it cost", intent="faq/ask_price"),
    ]
    results = [
        ParseResult(
            text=text,
            intent=IntentPrediction(name="book", confidence=0.9),
            entities=[
                ExtractedEntity(
                    entity="city", start=15, end=20, value=" rome", extractor="CRFEntityExtractor"
                )
            ],
        ),
        ParseResult(text="hi", intent=IntentPrediction(name="book", confidence=0.4)),
        ParseResult(
            text="what does it cost",
            intent=IntentPrediction(name="faq", confidence=0.8),
            response_selector={
                "faq": RetrievalPrediction(
                    response=ResponseCandidate(intent_response_key="faq/ask_price", confidence=0.7)
                )
            },
        ),
    ]
    return score(examples, results, extractors=["CRFEntityExtractor"])


def test_every_file_is_written_in_rasa_shapes(tmp_path: Path) -> None:
    out = tmp_path / "results"
    written = write_report(sample_report(), out)
    assert sorted(p.name for p in written) == sorted(
        [
            "intent_report.json",
            "intent_errors.json",
            "intent_confusion_matrix.png",
            "intent_histogram.png",
            "entity_report.json",
            "entity_errors.json",
            "CRFEntityExtractor_report.json",
            "CRFEntityExtractor_errors.json",
            "response_selection_report.json",
            "response_selection_errors.json",
            "response_selection_confusion_matrix.png",
            "response_selection_histogram.png",
        ]
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)

    intents = json.loads((out / "intent_report.json").read_text("utf-8"))
    assert intents["greet"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1-score": 0.0,
        "support": 1,
        "confused_with": {"book": 1},
    }
    assert intents["accuracy"] == 2 / 3
    assert set(intents["macro avg"]) == {"precision", "recall", "f1-score", "support"}
    assert {"micro avg", "weighted avg"} <= set(intents)

    errors = json.loads((out / "intent_errors.json").read_text("utf-8"))
    assert errors == [
        {"text": "hi", "intent": "greet", "intent_prediction": {"name": "book", "confidence": 0.4}}
    ]

    entities = json.loads((out / "entity_report.json").read_text("utf-8"))
    assert entities["city"]["support"] == 1
    assert entities["city"]["confused_with"] == {"no_entity": 1}
    assert "accuracy" not in entities
    entity_errors = json.loads((out / "entity_errors.json").read_text("utf-8"))
    assert entity_errors[0]["entities"][0] == {
        "start": 16,
        "end": 20,
        "value": "rome",
        "entity": "city",
    }
    assert entity_errors[0]["predicted_entities"][0]["extractor"] == "CRFEntityExtractor"

    responses = json.loads((out / "response_selection_report.json").read_text("utf-8"))
    assert responses["faq/ask_price"]["f1-score"] == 1.0
    assert json.loads((out / "response_selection_errors.json").read_text("utf-8")) == []


def test_pictures_are_valid_pngs(tmp_path: Path) -> None:
    write_report(sample_report(), tmp_path)
    for name in ("intent_confusion_matrix.png", "intent_histogram.png"):
        width, height = png_size(tmp_path / name)
        assert width >= 400
        assert height >= 300


@pytest.mark.slow  # draws a large figure
def test_a_confusion_matrix_of_many_intents_grows_to_stay_legible(tmp_path: Path) -> None:
    labels = [f"intent_{n:02d}" for n in range(40)]
    examples = [Example(text=f"text {label}", intent=label) for label in labels]
    results = [
        ParseResult(
            text=e.text,
            intent=IntentPrediction(name=labels[(i + i % 2) % 40], confidence=0.5),
        )
        for i, e in enumerate(examples)
    ]
    few = tmp_path / "few"
    many = tmp_path / "many"
    write_report(sample_report(), few)
    write_report(score(examples, results), many)
    few_width, _ = png_size(few / "intent_confusion_matrix.png")
    many_width, many_height = png_size(many / "intent_confusion_matrix.png")
    assert many_width > 1.5 * few_width
    assert many_height >= 40 * 25  # a row of every label has room for its name


def test_cross_validation_scores_are_saved_and_stale_files_removed(tmp_path: Path) -> None:
    write_report(sample_report(), tmp_path)
    only_intents = NLUReport(
        examples=0,
        intents=sample_report().intents,
        folds=[FoldScores(fold=1, train_examples=8, test_examples=2, intent_accuracy=0.5)],
        not_evaluated={"rare": 1},
    )
    written = write_report(only_intents, tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert "entity_report.json" not in names
    assert "response_selection_report.json" not in names
    assert "cross_validation.json" in {p.name for p in written}
    saved = json.loads((tmp_path / "cross_validation.json").read_text("utf-8"))
    assert saved["not_evaluated"] == {"rare": 1}
    assert saved["folds"][0]["intent_accuracy"] == 0.5
