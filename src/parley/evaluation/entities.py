"""Scoring entities by exact span and label.

Rasa scores entities token by token (each token tagged with its entity or "no entity").
Parley scores whole entities instead: a predicted entity is right only when its start, end
and label all equal a gold entity's. That is stricter — an entity one character or one
token short is wrong, where token scoring would give it partial credit — and it is what
published NLU benchmarks (Braun et al., Snips) report, which Parley's benchmarks compare to.
Values are not compared: a synonym mapper changes them on purpose. Roles and groups are not
part of the label.

Each example contributes aligned (gold, predicted) label pairs: a span both have with the
same label is a hit; a span both have with different labels is one confusion (a miss for
the gold label and a false alarm for the predicted one); any other gold entity is paired with
:data:`~parley.evaluation.metrics.NO_ENTITY` (a miss), any other prediction the other way
round (a false alarm). Precision, recall and F1 over these pairs, with ``NO_ENTITY`` left
out of the scored labels, are exactly the span-level counts.
"""

from __future__ import annotations

from collections.abc import Iterable

from parley.core.messages import ExtractedEntity
from parley.core.training_data import EntityAnnotation
from parley.evaluation.metrics import NO_ENTITY

Span = tuple[int, int, str]
"""(start, end, label) of one entity."""


def gold_spans(annotations: Iterable[EntityAnnotation]) -> set[Span]:
    return {(a.start, a.end, a.entity) for a in annotations}


def predicted_spans(entities: Iterable[ExtractedEntity]) -> set[Span]:
    """Distinct spans: two extractors finding the same entity count once."""
    return {(e.start, e.end, e.entity) for e in entities}


def label_pairs(gold: set[Span], predicted: set[Span]) -> list[tuple[str, str]]:
    """The aligned (gold label, predicted label) pairs of one example, in span order."""
    pairs: list[tuple[int, int, str, str]] = []
    hits = gold & predicted
    pairs.extend((start, end, label, label) for start, end, label in hits)
    missed = sorted(gold - hits)
    spurious = sorted(predicted - hits)
    for start, end, label in missed:
        same_span = next((p for p in spurious if p[0] == start and p[1] == end), None)
        if same_span is None:
            pairs.append((start, end, label, NO_ENTITY))
        else:
            spurious.remove(same_span)
            pairs.append((start, end, label, same_span[2]))
    pairs.extend((start, end, NO_ENTITY, label) for start, end, label in spurious)
    pairs.sort()
    return [(gold_label, predicted_label) for _, _, gold_label, predicted_label in pairs]
