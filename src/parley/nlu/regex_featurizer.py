"""Features from the project's regular expressions and lookup tables, as Rasa's
RegexFeaturizer computes them.

Each regex pattern and each lookup table is one *pattern*. A message gets a sentence
feature per pattern (1 when it matches anywhere) and every token inside a match gets the
token feature ``"pattern:<name>"``, which the CRF entity extractor learns from.

A lookup table becomes a single regular expression. Its elements are merged into a trie
first (``new york|new york city|newark`` → ``new(?:\\ york(?:\\ city)?|ark)``), so matching
costs the same with ten elements or ten thousand; the greedy optional groups still prefer the
longest element, as a longest-first alternation would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
from scipy import sparse

from parley.core.problem import Problem
from parley.core.training_data import NLUData
from parley.errors import ModelError, ProjectError
from parley.nlu.component import (
    SENTENCE_FEATURES,
    TOKEN_FEATURES,
    TOKENS,
    Component,
    ComponentContext,
    TrainingData,
)
from parley.nlu.message import Message, Token
from parley.nlu.resource import Resource

TOKEN_FEATURE_PREFIX = "pattern:"
"""Token features written by this featurizer start with it (the CRF's ``pattern`` feature)."""


@dataclass(frozen=True)
class Pattern:
    """One compiled regex or lookup table; ``source`` is what ``regex`` was compiled from."""

    name: str
    kind: str
    """``regex`` or ``lookup``."""
    source: str
    regex: re.Pattern[str]

    def matches(self, text: str) -> list[tuple[int, int]]:
        """The non-empty spans of ``text`` the pattern matches."""
        return [m.span() for m in self.regex.finditer(text) if m.end() > m.start()]


@dataclass(frozen=True)
class PatternOptions:
    case_sensitive: bool = True
    use_lookup_tables: bool = True
    use_regexes: bool = True
    use_word_boundaries: bool = True

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PatternOptions:
        return cls(
            case_sensitive=bool(config["case_sensitive"]),
            use_lookup_tables=bool(config["use_lookup_tables"]),
            use_regexes=bool(config["use_regexes"]),
            use_word_boundaries=bool(config["use_word_boundaries"]),
        )

    @property
    def flags(self) -> int:
        return 0 if self.case_sensitive else re.IGNORECASE


def collect_patterns(
    nlu: NLUData, options: PatternOptions, only: Iterable[str] | None = None
) -> list[Pattern]:
    """The project's regexes (each pattern on its own) then lookup tables (one pattern each).

    ``only`` keeps the ones whose name is in it (the entity extractor passes the entity
    names of the training data). An invalid regex raises :class:`ProjectError` naming it.
    """
    keep = None if only is None else set(only)
    sources: list[tuple[str, str, str]] = []
    if options.use_regexes:
        for regex in nlu.regexes:
            if keep is None or regex.name in keep:
                sources.extend((regex.name, "regex", p) for p in regex.patterns if p)
    if options.use_lookup_tables:
        for lookup in nlu.lookups:
            if (keep is None or lookup.name in keep) and any(e.strip() for e in lookup.elements):
                source = lookup_regex(lookup.elements, options)
                sources.append((lookup.name, "lookup", source))
    problems: list[Problem] = []
    patterns: list[Pattern] = []
    for name, kind, source in sources:
        try:
            patterns.append(Pattern(name, kind, source, re.compile(source, options.flags)))
        except (re.error, RecursionError, OverflowError) as error:
            problems.append(
                Problem(
                    "nlu-invalid-regex",
                    f"the regex {name!r} has an invalid pattern {source!r:.200}: {error}; "
                    "fix it in the `regex:` section of the NLU data",
                )
            )
    if problems:
        raise ProjectError(problems, summary=problems[0].message)
    return patterns


def lookup_regex(elements: Sequence[str], options: PatternOptions) -> str:
    """One regular expression matching any element of a lookup table, longest first."""
    unique: set[str] = set()
    for element in elements:
        word = element.strip()
        if word and not options.case_sensitive:
            # One spelling per word, so that a longer element is never hidden behind a
            # shorter one in another letter case; lower() that changes the length ("İ") would
            # no longer match the original, so such an element keeps its spelling.
            lowered = word.lower()
            word = lowered if len(lowered) == len(word) else word
        if word:
            unique.add(word)
    words = sorted(unique, key=lambda e: (-len(e), e))
    try:
        body = _trie_regex(words)
    except RecursionError:  # a freak table with very deep shared prefixes: plain alternation
        body = "|".join(re.escape(word) for word in words)
    if options.use_word_boundaries:
        return rf"(?<!\w)(?:{body})(?!\w)"
    return f"(?:{body})"


def _trie_regex(words: Sequence[str]) -> str:
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _node_regex(trie)


def _node_regex(node: dict[str, Any]) -> str:
    """The regex for everything below ``node``; ``""`` marks the end of an element."""
    parts: list[str] = []
    ends_here = "" in node
    branches = sorted(char for char in node if char)
    for char in branches:
        child = node[char]
        prefix = re.escape(char)
        # Follow single-child chains without recursing, so long elements stay shallow.
        while len(child) == 1 and "" not in child:
            (next_char,) = child
            prefix += re.escape(next_char)
            child = child[next_char]
        rest = "" if list(child) == [""] else _node_regex(child)
        parts.append(prefix + rest)
    if not parts:
        return ""
    body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
    if not ends_here:
        return body
    # Greedy optional: the longer element is tried first, the shorter on backtracking.
    single_char = len(body) == 1 or (len(body) == 2 and body[0] == "\\")
    return body + "?" if single_char else "(?:" + body + ")?"


def token_matches(tokens: Sequence[Token], spans: Sequence[tuple[int, int]]) -> list[bool]:
    """For each token (in text order), whether it overlaps one of ``spans`` (sorted, as
    ``finditer`` yields them); one pass over both."""
    inside: list[bool] = []
    index = 0
    for token in tokens:
        while index < len(spans) and spans[index][1] <= token.start:
            index += 1
        inside.append(index < len(spans) and spans[index][0] < token.end)
    return inside


def patterns_to_json(patterns: Sequence[Pattern]) -> list[dict[str, str]]:
    return [{"name": p.name, "kind": p.kind, "source": p.source} for p in patterns]


def patterns_from_json(value: Any, flags: int, label: str) -> list[Pattern]:
    """Patterns written by :func:`patterns_to_json`; ``ModelError`` when malformed."""
    if not isinstance(value, list):
        raise ModelError(f"{label} is not a list of patterns; train the model again")
    patterns = []
    for entry in value:
        if not (
            isinstance(entry, dict)
            and all(isinstance(entry.get(key), str) for key in ("name", "kind", "source"))
        ):
            raise ModelError(f"{label} has a malformed pattern {entry!r:.200}")
        try:
            regex = re.compile(entry["source"], flags)
        except (re.error, RecursionError, OverflowError) as error:
            raise ModelError(f"{label} has an invalid pattern: {error}") from error
        patterns.append(Pattern(entry["name"], entry["kind"], entry["source"], regex))
    return patterns


class PatternComponent(Component):
    """A component whose learnt state is the project's patterns (regexes and lookup tables
    compiled with its options), saved as JSON and compiled again on load."""

    PATTERNS_FILE = "patterns.json"

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        self.options = PatternOptions.from_config(self.config)
        self.patterns: list[Pattern] = []

    def persist(self, resource: Resource) -> None:
        resource.write_json(self.PATTERNS_FILE, patterns_to_json(self.patterns))

    @classmethod
    def load(cls, config: Mapping[str, Any], resource: Resource, context: ComponentContext) -> Self:
        component = cls(config, context)
        component.patterns = patterns_from_json(
            resource.read_json(cls.PATTERNS_FILE),
            component.options.flags,
            f"{resource.root.name}/{cls.PATTERNS_FILE}",
        )
        return component


class RegexFeaturizer(PatternComponent):
    """Features from the project's regexes and lookup tables: which patterns a message
    matches (sentence features) and which tokens lie inside a match (token features)."""

    name = "RegexFeaturizer"
    requires = frozenset({TOKENS})
    provides = frozenset({SENTENCE_FEATURES, TOKEN_FEATURES})
    defaults: ClassVar[Mapping[str, Any]] = {
        "case_sensitive": True,
        "use_lookup_tables": True,
        "use_regexes": True,
        "use_word_boundaries": True,
    }
    ignored_options = frozenset({"number_additional_patterns", "alias"})
    """Rasa reserves room for patterns added in incremental training; Parley retrains."""

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        self.feature_key = f"{self.name}:{id(self)}"

    def train(self, data: TrainingData) -> None:
        self.patterns = collect_patterns(data.nlu, self.options)

    def process(self, message: Message) -> None:
        if not self.patterns:
            return
        matched = np.zeros((1, len(self.patterns)), dtype=np.float32)
        per_token: list[dict[str, float]] = [{} for _ in message.tokens]
        for index, pattern in enumerate(self.patterns):
            spans = pattern.matches(message.text)
            if not spans:
                continue
            matched[0, index] = 1.0
            key = TOKEN_FEATURE_PREFIX + pattern.name
            for features, inside in zip(
                per_token, token_matches(message.tokens, spans), strict=True
            ):
                if inside:
                    features[key] = 1.0
        message.sentence_features[self.feature_key] = sparse.csr_matrix(matched)
        message.add_token_features(per_token)
