"""Per-token spelling features in a window around each token, as Rasa's
LexicalSyntacticFeaturizer computes them.

The ``features`` option is Rasa's: a list of windows positions (an odd number of lists; the
middle one is the token itself, those before it its left neighbours, those after its right
ones), each listing feature names. ``title`` at position ``-1`` means "the previous token is
title-cased". Features are written into ``Message.token_features`` as ``"<offset>:<name>"``
(flags) or ``"<offset>:<name>:<value>"`` (prefixes and suffixes), with weight 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from parley.core.problem import Problem
from parley.errors import ProjectError
from parley.nlu.component import TOKEN_FEATURES, TOKENS, Component, ComponentContext
from parley.nlu.message import Message, Token

FLAGS: dict[str, Callable[[Token], bool]] = {
    "low": lambda token: token.text.islower(),
    "title": lambda token: token.text.istitle(),
    "upper": lambda token: token.text.isupper(),
    "digit": lambda token: token.text.isdigit(),
}
"""Yes/no properties of a token's spelling."""

AFFIXES: dict[str, Callable[[str], str]] = {
    "prefix5": lambda text: text[:5],
    "prefix2": lambda text: text[:2],
    "suffix5": lambda text: text[-5:],
    "suffix3": lambda text: text[-3:],
    "suffix2": lambda text: text[-2:],
}
"""Beginnings and endings of a token, compared in lower case."""

POSITIONAL = frozenset({"BOS", "EOS"})
PART_OF_SPEECH = frozenset({"pos", "pos2"})
"""Rasa takes these from spaCy; Parley has no tagger, so they are accepted and add nothing."""

FEATURE_NAMES = frozenset(FLAGS) | frozenset(AFFIXES) | POSITIONAL | PART_OF_SPEECH

RASA_DEFAULT_FEATURES: list[list[str]] = [
    ["low", "title", "upper"],
    ["BOS", "EOS", "low", "upper", "title", "digit"],
    ["low", "title", "upper"],
]


def check_windows(
    owner: str, features: Any, valid: frozenset[str]
) -> list[tuple[int, tuple[str, ...]]]:
    """``features`` (Rasa's list of per-position lists) as (offset, names) pairs.

    Raises :class:`ProjectError` naming the valid feature names when the option is malformed.
    """
    if (
        not isinstance(features, list)
        or not features
        or len(features) % 2 == 0
        or not all(isinstance(names, list) for names in features)
    ):
        raise _bad_option(
            owner,
            "`features` is a list of an odd number of lists of feature names, e.g. "
            '[["low"], ["low", "title"], ["low"]] (before, the token, after)',
        )
    unknown = sorted(
        {str(name) for names in features for name in names if name not in valid},
    )
    if unknown:
        raise _bad_option(
            owner,
            f"unknown feature name(s) {', '.join(map(repr, unknown))} in `features`; "
            f"valid names are: {', '.join(sorted(valid))}",
        )
    middle = len(features) // 2
    return [
        (index - middle, tuple(dict.fromkeys(names)))
        for index, names in enumerate(features)
        if names
    ]


def _bad_option(owner: str, message: str) -> ProjectError:
    problem = Problem("pipeline-bad-option", f"{owner}: {message}")
    return ProjectError([problem], summary=problem.message)


def token_features(
    tokens: Sequence[Token], windows: Sequence[tuple[int, tuple[str, ...]]]
) -> list[dict[str, float]]:
    """The windowed spelling features of every token in ``tokens``."""
    own = [_own_features(tokens, index) for index in range(len(tokens))]
    result: list[dict[str, float]] = []
    for index in range(len(tokens)):
        features: dict[str, float] = {}
        for offset, names in windows:
            position = index + offset
            if not 0 <= position < len(tokens):
                continue
            values = own[position]
            for name in names:
                value = values.get(name)
                if value is None:
                    continue
                key = f"{offset}:{name}" if value == "" else f"{offset}:{name}:{value}"
                features[key] = 1.0
        result.append(features)
    return result


def _own_features(tokens: Sequence[Token], index: int) -> dict[str, str]:
    """Feature name → "" for a flag that holds, or the value of an affix."""
    token = tokens[index]
    values = {name: "" for name, test in FLAGS.items() if test(token)}
    lowered = token.norm
    values.update((name, cut(lowered)) for name, cut in AFFIXES.items())
    if index == 0:
        values["BOS"] = ""
    if index == len(tokens) - 1:
        values["EOS"] = ""
    return values


class LexicalSyntacticFeaturizer(Component):
    """Spelling features of each token and its neighbours (case, digits, prefixes, suffixes,
    sentence start and end) for sequence taggers such as the CRF entity extractor.

    ``pos``/``pos2`` (spaCy part-of-speech tags in Rasa) are accepted and add nothing.
    """

    name = "LexicalSyntacticFeaturizer"
    requires = frozenset({TOKENS})
    provides = frozenset({TOKEN_FEATURES})
    defaults: ClassVar[Mapping[str, Any]] = {"features": RASA_DEFAULT_FEATURES}
    ignored_options = frozenset({"alias"})

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        self.windows = check_windows(self.name, self.config["features"], FEATURE_NAMES)

    def process(self, message: Message) -> None:
        message.add_token_features(token_features(message.tokens, self.windows))
