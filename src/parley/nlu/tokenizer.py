"""Splitting text into word tokens, for any script.

A token is a run of letters/digits (with inner apostrophes and hyphens, so "don't" and
"e-mail" stay whole), or one symbol such as an emoji; punctuation is dropped as Rasa's
WhitespaceTokenizer drops it. Scripts written without spaces (Chinese, Japanese, Thai) fall
back to one token per character, which is what the n-gram featurizers then combine.

A message gives at most :data:`MAX_TOKENS` tokens. Every token costs the components after
the tokenizer (lexical features, the CRF) tens of microseconds, so without a limit one pasted
100 kB message would hold a worker for seconds; chat messages are far shorter, and entities
past the limit are not found.
"""

from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

from parley.nlu.component import TOKENS, Component
from parley.nlu.message import Message, Token

_WORD = re.compile(r"\w+(?:['’\-]\w+)*", re.UNICODE)
_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")
MAX_TOKENS = 1_000


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    for match in _WORD.finditer(text):
        if len(tokens) >= MAX_TOKENS:
            return tokens[:MAX_TOKENS]
        _symbols(text, position, match.start(), tokens)
        word = match.group()
        if _is_unspaced(word):
            tokens.extend(
                Token(ch, match.start() + i, match.start() + i + 1) for i, ch in enumerate(word)
            )
        else:
            tokens.append(Token(word, match.start(), match.end()))
        position = match.end()
    _symbols(text, position, len(text), tokens)
    return tokens[:MAX_TOKENS]


def _symbols(text: str, start: int, end: int, tokens: list[Token]) -> None:
    """Emoji and other symbols between words become tokens of their own; punctuation,
    spaces and control characters do not."""
    for index in range(start, end):
        if unicodedata.category(text[index]) in {"So", "Sm", "Sc"}:
            tokens.append(Token(text[index], index, index + 1))


def _is_unspaced(word: str) -> bool:
    if word.isascii():  # most words; no ASCII character is of those scripts
        return False
    return any(unicodedata.name(ch, "").startswith(_UNSPACED_SCRIPTS) for ch in word[:4])


class WhitespaceTokenizer(Component):
    name = "WhitespaceTokenizer"
    provides = frozenset({TOKENS})
    defaults: ClassVar[dict[str, object]] = {}
    ignored_options = frozenset(
        {
            "intent_tokenization_flag",
            "intent_split_symbol",
            "token_pattern",
            "prefix_separator_symbol",
        }
    )

    def process(self, message: Message) -> None:
        message.tokens = tokenize(message.text)
