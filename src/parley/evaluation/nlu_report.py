"""What an NLU evaluation found: scores, mistakes and confidences, for intents, retrieval
responses and entities (for the whole pipeline and for each extractor)."""

from __future__ import annotations

from pydantic import Field

from parley.core.messages import ExtractedEntity
from parley.core.model import Model
from parley.core.training_data import EntityAnnotation
from parley.evaluation.metrics import ClassificationReport


class LabelError(Model):
    """An example whose intent (or retrieval response) was predicted wrongly."""

    text: str
    gold: str
    predicted: str
    confidence: float


class EntityError(Model):
    """An example whose entities were not found exactly as annotated."""

    text: str
    gold: list[EntityAnnotation]
    predicted: list[ExtractedEntity]


class LabelEvaluation(Model):
    """Intents, or responses of retrieval intents: scores, mistakes, and the confidences of
    right and wrong answers (a well-calibrated model is unsure when it is wrong)."""

    report: ClassificationReport
    errors: list[LabelError] = Field(default_factory=list)
    correct_confidences: list[float] = Field(default_factory=list)
    wrong_confidences: list[float] = Field(default_factory=list)


class EntityEvaluation(Model):
    report: ClassificationReport
    errors: list[EntityError] = Field(default_factory=list)


class FoldScores(Model):
    """One cross-validation fold, scored on its own held-out part."""

    fold: int
    train_examples: int
    test_examples: int
    intent_accuracy: float | None = None
    intent_macro_f1: float | None = None
    entity_micro_f1: float | None = None


class NLUReport(Model):
    examples: int
    """How many examples were scored."""
    intents: LabelEvaluation | None = None
    """None when the pipeline classifies no intents (or no example has one)."""
    responses: LabelEvaluation | None = None
    """None when there are no retrieval intents or no response selector."""
    entities: EntityEvaluation | None = None
    """What the pipeline returns, every extractor together; None when no example has
    entities and none were found."""
    extractors: dict[str, EntityEvaluation] = Field(default_factory=dict)
    """Each entity extractor scored alone on all gold entities."""
    folds: list[FoldScores] = Field(default_factory=list)
    """Cross-validation only: each fold's own scores."""
    not_evaluated: dict[str, int] = Field(default_factory=dict)
    """Cross-validation only: intents with fewer examples than folds, with their counts.
    They are in every fold's training data and never held out."""
