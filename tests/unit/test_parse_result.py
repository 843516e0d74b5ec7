"""ParseResult.to_rasa() is the JSON of Rasa's /model/parse; tools written for Rasa read it."""

from __future__ import annotations

from parley.core.messages import (
    ExtractedEntity,
    IntentPrediction,
    ParseResult,
    ResponseCandidate,
    RetrievalPrediction,
)


def test_rasa_shape_of_a_full_result() -> None:
    result = ParseResult(
        text="what does a latte cost",
        intent=IntentPrediction(name="faq", confidence=0.9),
        intent_ranking=[
            IntentPrediction(name="faq", confidence=0.9),
            IntentPrediction(name="order", confidence=0.1),
        ],
        entities=[
            ExtractedEntity(
                entity="drink",
                start=12,
                end=17,
                value="latte",
                extractor="CRFEntityExtractor",
                confidence_entity=0.97,
            )
        ],
        response_selector={
            "faq": RetrievalPrediction(
                response=ResponseCandidate(intent_response_key="faq/ask_price", confidence=0.8),
                ranking=[ResponseCandidate(intent_response_key="faq/ask_price", confidence=0.8)],
            )
        },
    )
    assert result.to_rasa() == {
        "text": "what does a latte cost",
        "intent": {"name": "faq", "confidence": 0.9},
        "entities": [
            {
                "entity": "drink",
                "start": 12,
                "end": 17,
                "value": "latte",
                "extractor": "CRFEntityExtractor",
                "confidence_entity": 0.97,
            }
        ],
        "intent_ranking": [
            {"name": "faq", "confidence": 0.9},
            {"name": "order", "confidence": 0.1},
        ],
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {
                    "intent_response_key": "faq/ask_price",
                    "confidence": 0.8,
                    "utter_action": "utter_faq/ask_price",
                },
                "ranking": [{"intent_response_key": "faq/ask_price", "confidence": 0.8}],
            },
        },
    }


def test_no_intent_reads_as_rasa_does() -> None:
    assert ParseResult(text="").to_rasa() == {
        "text": "",
        "intent": {"name": None, "confidence": 0.0},
        "entities": [],
        "intent_ranking": [],
    }
