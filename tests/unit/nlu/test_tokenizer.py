from __future__ import annotations

import pytest

from parley.nlu.message import Message
from parley.nlu.tokenizer import MAX_TOKENS, WhitespaceTokenizer, tokenize


def texts(text: str) -> list[str]:
    return [t.text for t in tokenize(text)]


def test_words_keep_inner_apostrophes_and_hyphens_and_drop_punctuation() -> None:
    assert texts("Hi, I don't like e-mail!") == ["Hi", "I", "don't", "like", "e-mail"]


def test_spans_point_back_into_the_text() -> None:
    text = "  book a table,  for 4 at 7pm?"
    for token in tokenize(text):
        assert text[token.start : token.end] == token.text


def test_emoji_and_symbols_are_tokens_of_their_own() -> None:
    assert texts("I ❤️ pizza🍕 $5") == ["I", "❤", "pizza", "🍕", "$", "5"]


def test_scripts_without_spaces_become_characters() -> None:
    assert texts("我喜欢咖啡") == ["我", "喜", "欢", "咖", "啡"]
    assert texts("カフェ ok") == ["カ", "フ", "ェ", "ok"]


def test_other_scripts_split_on_spaces() -> None:
    assert texts("Привет мир, مرحبا") == ["Привет", "мир", "مرحبا"]


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x1b[31m", "!!!", "a" * 100_000])
def test_odd_text_never_raises(text: str) -> None:
    message = Message(text=text)
    WhitespaceTokenizer().process(message)
    assert all(text[t.start : t.end] == t.text for t in message.tokens)


def test_norm_is_lower_case() -> None:
    assert [t.norm for t in tokenize("HeLLo ÉCOLE")] == ["hello", "école"]


def test_a_message_gives_at_most_max_tokens() -> None:
    tokens = tokenize("word " * 50_000 + "🙂" * 5_000)
    assert len(tokens) == MAX_TOKENS
    assert tokens[-1].end < 10 * MAX_TOKENS
    assert len(tokenize("🙂" * 5_000)) == MAX_TOKENS
