"""How well an NLU pipeline does on examples it did not learn from.

:func:`evaluate` parses annotated examples with a trained pipeline and scores the answers;
:func:`cross_validate` trains a fresh pipeline per fold of a project's own data and scores
the pooled held-out answers; :func:`write_report` saves either as Rasa-style report files.

What is scored:

* intents — the classifier's intent against the gold one. For a retrieval intent
  (``faq/ask_price``) the classifier is right with the base intent (``faq``), as in Rasa;
* responses — for retrieval intents, the response selector's full key against the gold one;
* entities — by exact span and label (see :mod:`parley.evaluation.entities` for why), for
  what the pipeline returns (every extractor together) and for each extractor alone.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence

from sklearn.model_selection import StratifiedKFold

from parley.core.messages import ParseResult
from parley.core.problem import Problem
from parley.core.training_data import Example, NLUData
from parley.errors import ProjectError
from parley.evaluation.entities import gold_spans, label_pairs, predicted_spans
from parley.evaluation.metrics import NO_ENTITY, classification_report
from parley.evaluation.nlu_report import (
    EntityError,
    EntityEvaluation,
    FoldScores,
    LabelError,
    LabelEvaluation,
    NLUReport,
)
from parley.evaluation.report_files import write_report
from parley.nlu.component import ENTITIES, ComponentContext
from parley.nlu.pipeline import Pipeline
from parley.project.config import ComponentSpec

__all__ = [
    "EntityError",
    "EntityEvaluation",
    "FoldScores",
    "LabelError",
    "LabelEvaluation",
    "NLUReport",
    "cross_validate",
    "evaluate",
    "score",
    "write_report",
]

NO_PREDICTION = "(none)"
"""The label of "nothing predicted": no intent, or no response for a retrieval intent."""

Progress = Callable[[str, float], None]
"""Called with (what is being done, fraction of the whole run done)."""

_PARSE_CHUNK = 256
"""Examples parsed per batch: large enough for batched featurizers, small enough that the
progress bar moves."""


def evaluate(
    pipeline: Pipeline, examples: Sequence[Example], *, progress: Progress | None = None
) -> NLUReport:
    """Parse ``examples`` with the trained ``pipeline`` and score the answers."""
    results: list[ParseResult] = []
    for start in range(0, len(examples), _PARSE_CHUNK):
        if progress is not None:
            progress("parsing", start / len(examples))
        chunk = examples[start : start + _PARSE_CHUNK]
        results.extend(pipeline.parse_batch(example.text for example in chunk))
    if progress is not None:
        progress("parsed", 1.0)
    return score(examples, results, extractors=entity_extractors(pipeline))


def entity_extractors(pipeline: Pipeline) -> list[str]:
    """The components that find entities: those providing entities without needing them
    first (a synonym mapper needs them, and only changes values)."""
    return [
        c.name for c in pipeline.components if ENTITIES in c.provides and ENTITIES not in c.requires
    ]


def score(
    examples: Sequence[Example],
    results: Sequence[ParseResult],
    *,
    extractors: Sequence[str] = (),
) -> NLUReport:
    """Score the parse ``results`` against the gold ``examples`` (aligned, same length).

    ``extractors`` names the pipeline's entity extractors, so one that found nothing is
    scored too (with recall 0) rather than left out. Entities are not scored at all when
    no example has any and none were found.
    """
    if len(examples) != len(results):
        raise ValueError(f"{len(examples)} examples but {len(results)} parse results")
    pairs = list(zip(examples, results, strict=True))
    found = {e.extractor for result in results for e in result.entities}
    # Nothing annotated and nothing found: there is nothing to score, and all-zero scores
    # would read as a failure.
    has_entities = bool(found) or any(example.entities for example in examples)
    names = list(dict.fromkeys([*extractors, *sorted(found)])) if has_entities else []
    return NLUReport(
        examples=len(pairs),
        intents=_intents(pairs),
        responses=_responses(pairs),
        entities=_entities(pairs, extractor=None) if has_entities else None,
        extractors={name: _entities(pairs, extractor=name) for name in names},
    )


def _intents(pairs: list[tuple[Example, ParseResult]]) -> LabelEvaluation | None:
    if not any(result.intent is not None for _, result in pairs):
        return None
    scored: list[tuple[Example, str, str, float]] = []
    for example, result in pairs:
        if example.intent is None:
            continue
        gold = example.retrieval_intent or example.intent
        predicted = result.intent.name if result.intent else NO_PREDICTION
        confidence = result.intent.confidence if result.intent else 0.0
        scored.append((example, gold, predicted, confidence))
    if not scored:
        return None
    return _label_evaluation(scored)


def _responses(pairs: list[tuple[Example, ParseResult]]) -> LabelEvaluation | None:
    if not any(result.response_selector for _, result in pairs):
        return None
    scored: list[tuple[Example, str, str, float]] = []
    for example, result in pairs:
        base = example.retrieval_intent
        if base is None or example.intent is None:
            continue
        prediction = result.response_selector.get(base) or result.response_selector.get("default")
        if prediction is None:
            scored.append((example, example.intent, NO_PREDICTION, 0.0))
        else:
            response = prediction.response
            scored.append(
                (example, example.intent, response.intent_response_key, response.confidence)
            )
    if not scored:
        return None
    return _label_evaluation(scored)


def _label_evaluation(scored: list[tuple[Example, str, str, float]]) -> LabelEvaluation:
    report = classification_report([s[1] for s in scored], [s[2] for s in scored])
    evaluation = LabelEvaluation(report=report)
    for example, gold, predicted, confidence in scored:
        if gold == predicted:
            evaluation.correct_confidences.append(confidence)
        else:
            evaluation.wrong_confidences.append(confidence)
            evaluation.errors.append(
                LabelError(text=example.text, gold=gold, predicted=predicted, confidence=confidence)
            )
    # The least confident mistakes are the likeliest annotation slips: list the confident
    # ones first, which are the model's real blind spots.
    evaluation.errors.sort(key=lambda error: -error.confidence)
    return evaluation


def _entities(pairs: list[tuple[Example, ParseResult]], extractor: str | None) -> EntityEvaluation:
    gold_labels: list[str] = []
    predicted_labels: list[str] = []
    errors: list[EntityError] = []
    for example, result in pairs:
        entities = [e for e in result.entities if extractor is None or e.extractor == extractor]
        gold, predicted = gold_spans(example.entities), predicted_spans(entities)
        for gold_label, predicted_label in label_pairs(gold, predicted):
            gold_labels.append(gold_label)
            predicted_labels.append(predicted_label)
        if gold != predicted:
            errors.append(EntityError(text=example.text, gold=example.entities, predicted=entities))
    report = classification_report(
        gold_labels, predicted_labels, unscored=frozenset({NO_ENTITY}), with_accuracy=False
    )
    return EntityEvaluation(report=report, errors=errors)


# ---------------------------------------------------------------------------------------
# Cross-validation


def cross_validate(
    nlu: NLUData,
    specs: Sequence[ComponentSpec] | None,
    folds: int,
    context: ComponentContext,
    *,
    progress: Progress | None = None,
) -> NLUReport:
    """Train a fresh pipeline from ``specs`` on all but one fold of ``nlu``'s examples and
    parse the held-out fold, for each of ``folds`` folds; score the pooled answers.

    Folds are stratified by intent (retrieval intents by full key, so the response selector
    sees each answer) and shuffled with ``context.seed``. An intent with fewer examples than
    ``folds`` cannot be in every fold: its examples go into every fold's training data, are
    never held out, and are listed in the report's ``not_evaluated``. Training warnings
    are added to ``context.problems`` once each.
    """
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {folds}")
    examples = [e for e in nlu.examples if e.intent is not None]
    counts = Counter(e.intent for e in examples if e.intent is not None)
    held_out = [e for e in examples if counts[e.intent or ""] >= folds]
    always_trained = [e for e in examples if counts[e.intent or ""] < folds]
    not_evaluated = {intent: n for intent, n in sorted(counts.items()) if n < folds}
    kept = len({e.intent for e in held_out})
    if kept < 2:
        raise ProjectError(
            [
                Problem(
                    "cross-validation-too-few-examples",
                    f"{folds}-fold cross-validation needs at least 2 intents with {folds} or "
                    f"more examples each; {kept} intent(s) have that many. Use fewer folds "
                    "or add examples.",
                )
            ]
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=context.seed)
    labels = [e.intent for e in held_out]
    pooled_examples: list[Example] = []
    pooled_results: list[ParseResult] = []
    scores: list[FoldScores] = []
    extractors: list[str] = []
    for fold, (train_index, test_index) in enumerate(splitter.split(labels, labels)):
        train = [held_out[i] for i in train_index] + always_trained
        test = [held_out[i] for i in test_index]
        fold_context = dataclasses.replace(
            context, problems=[], progress=_fold_progress(progress, fold, folds)
        )
        pipeline = Pipeline.from_config(specs, fold_context)
        pipeline.train(nlu.model_copy(update={"examples": train}))
        if progress is not None:
            progress(f"fold {fold + 1}/{folds}: parsing", (fold + 0.9) / folds)
        results = pipeline.parse_batch(e.text for e in test)
        extractors = entity_extractors(pipeline)
        fold_report = score(test, results, extractors=extractors)
        scores.append(_fold_scores(fold + 1, len(train), fold_report))
        pooled_examples.extend(test)
        pooled_results.extend(results)
        _add_new(context.problems, fold_context.problems)
    if progress is not None:
        progress("cross-validation done", 1.0)
    report = score(pooled_examples, pooled_results, extractors=extractors)
    return report.model_copy(update={"folds": scores, "not_evaluated": not_evaluated})


def _fold_progress(progress: Progress | None, fold: int, folds: int) -> Progress | None:
    if progress is None:
        return None
    furthest = fold / folds

    def report(what: str, fraction: float) -> None:
        # Training takes about nine tenths of a fold; parsing the held-out part the rest.
        # Components report their own share of work through the same callback as the
        # pipeline reports its share, so the bar is kept from moving back.
        nonlocal furthest
        furthest = max(furthest, (fold + 0.9 * fraction) / folds)
        progress(f"fold {fold + 1}/{folds}: {what}", furthest)

    return report


def _fold_scores(fold: int, train_examples: int, report: NLUReport) -> FoldScores:
    intents = report.intents.report if report.intents else None
    entities = report.entities.report if report.entities else None
    return FoldScores(
        fold=fold,
        train_examples=train_examples,
        test_examples=report.examples,
        intent_accuracy=intents.accuracy if intents else None,
        intent_macro_f1=intents.macro.f1 if intents else None,
        entity_micro_f1=entities.micro.f1 if entities and entities.labels else None,
    )


def _add_new(into: list[Problem], problems: list[Problem]) -> None:
    seen = {(p.code, p.message) for p in into}
    for problem in problems:
        if (problem.code, problem.message) not in seen:
            into.append(problem)
            seen.add((problem.code, problem.message))
