"""The NLU components a ``config.yml`` may name: Parley's built-ins and installed plugins
(entry-point group ``parley.nlu_components``)."""

from __future__ import annotations

from parley.core.registry import Registry
from parley.nlu.component import Component

BUILTIN_COMPONENTS: dict[str, str] = {
    "WhitespaceTokenizer": "parley.nlu.tokenizer:WhitespaceTokenizer",
    "CountVectorsFeaturizer": "parley.nlu.count_vectors:CountVectorsFeaturizer",
    "RegexFeaturizer": "parley.nlu.regex_featurizer:RegexFeaturizer",
    "LexicalSyntacticFeaturizer": "parley.nlu.lexical_syntactic:LexicalSyntacticFeaturizer",
    "SentenceEmbeddingFeaturizer": "parley.nlu.sentence_embedding:SentenceEmbeddingFeaturizer",
    "LinearIntentClassifier": "parley.nlu.intent_classifier:LinearIntentClassifier",
    "KeywordIntentClassifier": "parley.nlu.keyword_classifier:KeywordIntentClassifier",
    "ResponseSelector": "parley.nlu.response_selector:ResponseSelector",
    "FallbackClassifier": "parley.nlu.fallback:FallbackClassifier",
    "CRFEntityExtractor": "parley.nlu.crf_entity_extractor:CRFEntityExtractor",
    "RegexEntityExtractor": "parley.nlu.regex_entity_extractor:RegexEntityExtractor",
    "EntitySynonymMapper": "parley.nlu.synonym_mapper:EntitySynonymMapper",
    "DucklingEntityExtractor": "parley.nlu.duckling_extractor:DucklingEntityExtractor",
}

components: Registry[Component] = Registry(
    "NLU component",
    Component,  # type: ignore[type-abstract]  # the registry checks subclasses of it
    BUILTIN_COMPONENTS,
    entry_point_group="parley.nlu_components",
)
