"""Precision, recall and F1 of a labelling, per label and averaged, from scikit-learn.

A :class:`ClassificationReport` is computed from aligned pairs of gold and predicted labels.
Intents give one pair per example; entities give one pair per matched or unmatched span
(see :mod:`parley.evaluation.entities`), with :data:`NO_ENTITY` standing for "nothing there".
Labels never scored (``NO_ENTITY``) are left out of the per-label table and the averages but
stay in the confusion counts, so ``confused_with`` shows missed and spurious entities too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from parley.core.model import Model

NO_ENTITY = "no_entity"
"""The label of "no entity here": a missed gold entity is paired with it, and so is a
predicted entity with no gold entity at its span. The name is Rasa's, in its reports."""

_AVERAGES = ("micro", "macro", "weighted")


class LabelScores(Model):
    precision: float
    recall: float
    f1: float
    support: int
    """How many gold occurrences the label has."""
    confused_with: dict[str, int] = Field(default_factory=dict)
    """Labels predicted instead of this one, with counts, most frequent first."""


class Averages(Model):
    precision: float
    recall: float
    f1: float
    support: int


class ClassificationReport(Model):
    """Scores of one labelling. ``accuracy`` is set where each item has exactly one gold and
    one predicted label (intents); entity spans have none, as in Rasa's entity reports."""

    labels: dict[str, LabelScores]
    micro: Averages
    macro: Averages
    weighted: Averages
    accuracy: float | None = None
    confusion_labels: list[str] = Field(default_factory=list)
    confusion_matrix: list[list[int]] = Field(default_factory=list)
    """``confusion_matrix[i][j]``: items of gold ``confusion_labels[i]`` predicted as ``[j]``."""

    def to_rasa(self) -> dict[str, Any]:
        """The JSON shape of Rasa's ``intent_report.json``: per label ``precision``,
        ``recall``, ``f1-score``, ``support``, ``confused_with``; then the averages."""
        document: dict[str, Any] = {
            label: {
                "precision": scores.precision,
                "recall": scores.recall,
                "f1-score": scores.f1,
                "support": scores.support,
                "confused_with": scores.confused_with,
            }
            for label, scores in self.labels.items()
        }
        if self.accuracy is not None:
            document["accuracy"] = self.accuracy
        for name in _AVERAGES:
            averages: Averages = getattr(self, name)
            document[f"{name} avg"] = {
                "precision": averages.precision,
                "recall": averages.recall,
                "f1-score": averages.f1,
                "support": averages.support,
            }
        return document


def classification_report(
    gold: Sequence[str],
    predicted: Sequence[str],
    *,
    unscored: frozenset[str] = frozenset(),
    with_accuracy: bool = True,
) -> ClassificationReport:
    """Scores of ``predicted`` against ``gold`` (aligned, same length).

    Scored labels are every label in either list except ``unscored``, sorted; a label only
    ever predicted (``nlu_fallback``, say) is scored with support 0, as scikit-learn's and
    Rasa's reports do. Division by zero (a label never predicted) scores 0.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    every = sorted({*gold, *predicted})
    scored = [label for label in every if label not in unscored]
    matrix = _confusion(gold, predicted, every)
    per_label: dict[str, LabelScores] = {}
    if scored:
        precision, recall, f1, support = _scores(gold, predicted, scored, average=None)
        for index, label in enumerate(scored):
            per_label[label] = LabelScores(
                precision=float(precision[index]),
                recall=float(recall[index]),
                f1=float(f1[index]),
                support=int(support[index]),
                confused_with=_confused_with(matrix, every, every.index(label)),
            )
    total = sum(scores.support for scores in per_label.values())
    averages = {
        name: _averages(gold, predicted, scored, name, total) if scored else _zero(total)
        for name in _AVERAGES
    }
    accuracy = None
    if with_accuracy:
        accuracy = float(accuracy_score(list(gold), list(predicted))) if gold else 0.0
    return ClassificationReport(
        labels=per_label,
        micro=averages["micro"],
        macro=averages["macro"],
        weighted=averages["weighted"],
        accuracy=accuracy,
        confusion_labels=every,
        confusion_matrix=matrix.tolist(),
    )


def _scores(
    gold: Sequence[str], predicted: Sequence[str], labels: list[str], *, average: str | None
) -> tuple[Any, Any, Any, Any]:
    precision, recall, f1, support = precision_recall_fscore_support(
        list(gold), list(predicted), labels=labels, average=average, zero_division=0.0
    )
    return precision, recall, f1, support


def _averages(
    gold: Sequence[str], predicted: Sequence[str], labels: list[str], average: str, total: int
) -> Averages:
    precision, recall, f1, _ = _scores(gold, predicted, labels, average=average)
    return Averages(precision=float(precision), recall=float(recall), f1=float(f1), support=total)


def _zero(total: int) -> Averages:
    return Averages(precision=0.0, recall=0.0, f1=0.0, support=total)


def _confusion(
    gold: Sequence[str], predicted: Sequence[str], labels: list[str]
) -> np.ndarray[Any, np.dtype[np.int64]]:
    if len(labels) < 2:
        # One label: every item is a hit. scikit-learn would warn that it cannot know
        # whether other labels exist; here ``labels`` is already every label there is.
        return np.full((len(labels), len(labels)), len(gold), dtype=np.int64)
    matrix = confusion_matrix(list(gold), list(predicted), labels=labels)
    return np.asarray(matrix, dtype=np.int64)


def _confused_with(
    matrix: np.ndarray[Any, np.dtype[np.int64]], labels: list[str], row: int
) -> dict[str, int]:
    counts = [
        (labels[column], int(count))
        for column, count in enumerate(matrix[row])
        if column != row and count > 0
    ]
    counts.sort(key=lambda item: (-item[1], item[0]))
    return dict(counts)
