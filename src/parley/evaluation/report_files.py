"""Saving an :class:`~parley.evaluation.nlu_report.NLUReport` as files, named and shaped as
``rasa test nlu`` writes them so tools made for Rasa's results read Parley's::

    intent_report.json                 per intent: precision, recall, f1-score, support,
                                       confused_with; accuracy; micro/macro/weighted avg
    intent_errors.json                 wrongly classified examples, most confident first
    intent_confusion_matrix.png        gold × predicted intents
    intent_histogram.png               confidences of right and wrong predictions
    entity_report.json                 entities as the pipeline returns them (all extractors)
    entity_errors.json                 examples whose entities differ from the gold ones
    <Extractor>_report.json            each entity extractor scored alone
    <Extractor>_errors.json
    response_selection_report.json     retrieval intents (``faq/ask_price``), when present
    response_selection_errors.json
    response_selection_confusion_matrix.png, response_selection_histogram.png
    cross_validation.json              cross-validation only: per-fold scores, intents left out
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from parley.evaluation.nlu_report import EntityEvaluation, LabelError, LabelEvaluation, NLUReport
from parley.evaluation.plots import confidence_histogram_png, confusion_matrix_png

_OWN_FILES = (
    "intent_report.json",
    "intent_errors.json",
    "intent_confusion_matrix.png",
    "intent_histogram.png",
    "entity_report.json",
    "entity_errors.json",
    "response_selection_report.json",
    "response_selection_errors.json",
    "response_selection_confusion_matrix.png",
    "response_selection_histogram.png",
    "cross_validation.json",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def write_report(report: NLUReport, out_dir: Path) -> list[Path]:
    """Write ``report`` into ``out_dir`` (created if needed); returns the files written.

    Files of the fixed names above left by an earlier run that this report has nothing
    for (no entities this time, say) are removed, so the folder never mixes two runs.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in _OWN_FILES:
        (out_dir / name).unlink(missing_ok=True)
    written: list[Path] = []
    if report.intents is not None:
        written += _labels(report.intents, out_dir, "intent", "Intents", _intent_error)
    if report.entities is not None:
        written += _entities(report.entities, out_dir, "entity")
    for extractor, evaluation in report.extractors.items():
        written += _entities(evaluation, out_dir, _UNSAFE.sub("_", extractor))
    if report.responses is not None:
        written += _labels(
            report.responses,
            out_dir,
            "response_selection",
            "Responses of retrieval intents",
            _response_error,
        )
    if report.folds:
        document = {
            "folds": [fold.model_dump() for fold in report.folds],
            "not_evaluated": report.not_evaluated,
        }
        written.append(write_json(out_dir / "cross_validation.json", document))
    return written


def _labels(
    evaluation: LabelEvaluation,
    out_dir: Path,
    prefix: str,
    title: str,
    error_shape: Callable[[LabelError], dict[str, Any]],
) -> list[Path]:
    report = evaluation.report
    matrix = out_dir / f"{prefix}_confusion_matrix.png"
    histogram = out_dir / f"{prefix}_histogram.png"
    confusion_matrix_png(report, matrix, title=f"{title}: confusion matrix")
    confidence_histogram_png(
        evaluation.correct_confidences,
        evaluation.wrong_confidences,
        histogram,
        title=f"{title}: prediction confidence",
    )
    return [
        write_json(out_dir / f"{prefix}_report.json", report.to_rasa()),
        write_json(out_dir / f"{prefix}_errors.json", [error_shape(e) for e in evaluation.errors]),
        matrix,
        histogram,
    ]


def _intent_error(error: LabelError) -> dict[str, Any]:
    return {
        "text": error.text,
        "intent": error.gold,
        "intent_prediction": {"name": error.predicted, "confidence": error.confidence},
    }


def _response_error(error: LabelError) -> dict[str, Any]:
    return {
        "text": error.text,
        "intent_response_key_target": error.gold,
        "intent_response_key_prediction": {
            "name": error.predicted,
            "confidence": error.confidence,
        },
    }


def _entities(evaluation: EntityEvaluation, out_dir: Path, prefix: str) -> list[Path]:
    errors = [
        {
            "text": error.text,
            "entities": [a.model_dump(exclude_none=True) for a in error.gold],
            "predicted_entities": [e.model_dump(exclude_none=True) for e in error.predicted],
        }
        for error in evaluation.errors
    ]
    return [
        write_json(out_dir / f"{prefix}_report.json", evaluation.report.to_rasa()),
        write_json(out_dir / f"{prefix}_errors.json", errors),
    ]


def write_json(path: Path, document: Any) -> Path:
    """``document`` as indented UTF-8 JSON in ``path``."""
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
