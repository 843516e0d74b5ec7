from __future__ import annotations

import pytest

from parley.core.messages import IntentPrediction
from parley.errors import ProjectError
from parley.nlu.fallback import FALLBACK_INTENT, FallbackClassifier
from parley.nlu.message import Message


def message(*ranking: tuple[str, float]) -> Message:
    predictions = [IntentPrediction(name=n, confidence=c) for n, c in ranking]
    return Message(
        text="x", intent=predictions[0] if predictions else None, intent_ranking=predictions
    )


def processed(given: Message, **config: object) -> Message:
    FallbackClassifier(config).process(given)
    return given


def test_a_confident_clear_prediction_stays() -> None:
    result = processed(message(("greet", 0.9), ("bye", 0.05)))
    assert result.intent == IntentPrediction(name="greet", confidence=0.9)
    assert len(result.intent_ranking) == 2


def test_low_confidence_falls_back_with_the_threshold_as_confidence_first_in_ranking() -> None:
    result = processed(message(("greet", 0.25), ("bye", 0.1)))
    fallback = IntentPrediction(name=FALLBACK_INTENT, confidence=0.3)
    assert result.intent == fallback
    assert [p.name for p in result.intent_ranking] == [FALLBACK_INTENT, "greet", "bye"]
    assert result.intent_ranking[0] == fallback


def test_two_close_intents_are_ambiguous() -> None:
    assert processed(message(("greet", 0.48), ("bye", 0.42))).intent == IntentPrediction(
        name=FALLBACK_INTENT, confidence=0.3
    )
    assert processed(message(("greet", 0.48), ("bye", 0.42)), ambiguity_threshold=0.05).intent == (
        IntentPrediction(name="greet", confidence=0.48)
    )


def test_thresholds_follow_the_options() -> None:
    result = processed(message(("greet", 0.6)), threshold=0.7)
    assert result.intent == IntentPrediction(name=FALLBACK_INTENT, confidence=0.7)
    assert processed(message(("greet", 0.6)), threshold=0.5).intent is not None


def test_no_prediction_falls_back() -> None:
    result = processed(message())
    assert result.intent == IntentPrediction(name=FALLBACK_INTENT, confidence=0.3)
    assert result.intent_ranking == [result.intent]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"threshold": 1.5}, "0.0 to 1.0"),
        ({"ambiguity_threshold": "high"}, "0.0 to 1.0"),
        ({"treshold": 0.3}, "ambiguity_threshold, threshold"),
    ],
)
def test_invalid_options_say_what_is_valid(options: dict[str, object], expected: str) -> None:
    with pytest.raises(ProjectError, match=expected):
        FallbackClassifier(options)
