"""Reading entity annotations in example texts (``parse_annotated``, ``markup_warnings``)."""

from __future__ import annotations

import pytest

from parley.core.training_data import EntityAnnotation
from parley.project.annotation import (
    AnnotationError,
    markup_warnings,
    parse_annotated,
    render_annotated,
)


def entity(start: int, end: int, value: object, name: str, **kwargs: str) -> EntityAnnotation:
    return EntityAnnotation(start=start, end=end, value=value, entity=name, **kwargs)


def test_a_text_without_annotations_is_returned_as_is() -> None:
    assert parse_annotated("hello there") == ("hello there", [])
    assert parse_annotated("") == ("", [])


def test_short_form_takes_the_span_as_value() -> None:
    text, entities = parse_annotated("show me [Berlin](city) please")
    assert text == "show me Berlin please"
    assert entities == [entity(8, 14, "Berlin", "city")]
    assert text[8:14] == "Berlin"


def test_short_form_with_a_colon_gives_the_value_rasa_2_style() -> None:
    text, entities = parse_annotated("[NY](city:New York: the big apple)")
    assert text == "NY"
    # Only the first colon separates; the value may hold more.
    assert entities == [entity(0, 2, "New York: the big apple", "city")]


def test_json_form_with_every_key() -> None:
    text, entities = parse_annotated(
        'fly to [LA]{"entity": "city", "value": "Los Angeles", "role": "to", "group": "2"} now'
    )
    assert text == "fly to LA now"
    assert entities == [entity(7, 9, "Los Angeles", "city", role="to", group="2")]


def test_json_form_without_value_takes_the_span() -> None:
    assert parse_annotated('[it]{"entity": "mention"}')[1] == [entity(0, 2, "it", "mention")]


def test_json_values_may_be_numbers_booleans_or_null() -> None:
    _, entities = parse_annotated(
        '[five]{"entity": "n", "value": 5} [no]{"entity": "b", "value": null}'
    )
    assert [e.value for e in entities] == [5, None]


def test_a_list_puts_several_entities_on_one_span() -> None:
    text, entities = parse_annotated(
        'I live in [NYC][{"entity": "city"}, {"entity": "location", "role": "home"}]!'
    )
    assert text == "I live in NYC!"
    assert entities == [
        entity(10, 13, "NYC", "city"),
        entity(10, 13, "NYC", "location", role="home"),
    ]


def test_offsets_count_the_plain_text_across_several_annotations() -> None:
    text, entities = parse_annotated(
        '[Maryland]{"entity": "state", "value": "MD"}[Maryland]{"entity": "state", "value": "MD"}'
        " and [blue](color)"
    )
    assert text == "MarylandMaryland and blue"
    assert [(e.start, e.end, e.value) for e in entities] == [
        (0, 8, "MD"),
        (8, 16, "MD"),
        (21, 25, "blue"),
    ]


def test_unicode_emoji_and_right_to_left_text_survive() -> None:
    text, entities = parse_annotated("שלום [תל אביב](city) 🎉 [Köln](city) 😀")
    assert text == "שלום תל אביב 🎉 Köln 😀"
    assert [text[e.start : e.end] for e in entities] == ["תל אביב", "Köln"]
    assert entities[1].value == "Köln"


@pytest.mark.parametrize(
    "text",
    [
        "a [b] c",
        "[x] (y)",
        "tick [ ] or [x]",
        "a [b",
        "close ] bracket",
        "[](city)",
        "[x]()",
        "[x]{}",
        "[x](city",
        "[x](city:)",
    ],
)
def test_brackets_that_form_no_annotation_stay_plain_text(text: str) -> None:
    assert parse_annotated(text) == (text, [])


def test_a_span_is_what_rasa_matches_from_the_first_bracket() -> None:
    # Rasa's pattern starts at the first `[` that leads to an annotation.
    assert parse_annotated("[a] [b](c)") == ("[a] b", [entity(4, 5, "b", "c")])
    assert parse_annotated("[a [b](c)") == ("a [b", [entity(0, 4, "a [b", "c")])


def test_a_backslash_makes_an_annotation_plain_text() -> None:
    assert parse_annotated(r"press \[1](sic)") == ("press [1](sic)", [])
    assert parse_annotated("C:\\\\[1](n)") == ("C:\\1", [entity(3, 4, "1", "n")])
    # Backslashes elsewhere are text.
    assert parse_annotated(r"C:\temp \[x") == (r"C:\temp \[x", [])


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ('[x]{"entity": "a", }', 20, "not valid JSON"),
        ("[x]{entity: a}", 5, "not valid JSON"),
        ('[x]{"value": "a"}', 4, 'has no "entity"'),
        ('[x]{"entity": ""}', 4, '"entity"'),
        ('[x]{"entity": 3}', 4, '"entity"'),
        ('[x]{"entity": "a", "rol": "to"}', 4, "did you mean 'role'"),
        ('[x]{"entity": "a", "role": 1}', 4, "'role'"),
        ('[x]{"entity": "a", "value": [1]}', 4, "string, number"),
        ("[x][]", 4, "empty"),
        ('ab [x][{"entity": "a"}, 3]', 25, "JSON object"),
        ('[x][{"entity": "a"}, {"value": "v"}]', 22, 'has no "entity"'),
        # Rasa reads `[a-z]{2}` in an example as an annotation too (regexes are not read so).
        ("match [a-z]{2}", 13, "not valid JSON"),
        ("[x]( city)", 5, "spaces around"),
    ],
)
def test_invalid_annotations_raise_with_the_column(text: str, column: int, words: str) -> None:
    with pytest.raises(AnnotationError) as caught:
        parse_annotated(text)
    assert caught.value.column == column
    assert words in caught.value.message


def test_an_annotation_error_lists_the_valid_keys() -> None:
    with pytest.raises(AnnotationError, match="valid keys are: entity, value, role, group"):
        parse_annotated('[x]{"entity": "a", "colour": "red"}')


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("fly to [Paris](city", 8, "never closed by `)`"),
        ('[x]{"entity": "a"', 1, "never closed by `}`"),
        ("go [home](", 4, "never closed by `)`"),
        ("[](city)", 1, "marks no text"),
        ("[x]()", 1, "names no entity"),
        ("[x](:v)", 1, "names no entity"),
        ("[x]{ }", None, None),  # a full annotation: an error, not a warning
        ("[x](city:)", 1, "no value after `:`"),
        ("a [b", 3, "never closed by `]`"),
    ],
)
def test_markup_warnings_point_at_near_miss_annotations(
    text: str, column: int | None, words: str | None
) -> None:
    found = markup_warnings(text)
    if column is None:
        assert found == []
        return
    assert [w.column for w in found] == [column]
    assert words is not None
    assert words in found[0].message


def test_markup_warnings_ignore_annotations_plain_brackets_and_escapes() -> None:
    assert markup_warnings("[Berlin](city) [a] b [c]{d} e") == []
    assert markup_warnings(r"\[x](y)") == []


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("show me Berlin", [entity(8, 14, "Berlin", "city")]),
        ("NY", [entity(0, 2, "New York", "city", role="to")]),
        ("NYC", [entity(0, 3, "NYC", "city"), entity(0, 3, "NYC", "location", group="1")]),
        ("press [1](sic) now", []),
        ("C:\\", [entity(0, 2, ":", "drive")]),
        ("a } and ] in values", [entity(0, 1, "}]", "odd")]),
        ("five", [entity(0, 4, 5, "n")]),
        ("שלום 🎉", [entity(5, 6, "🎉", "emoji")]),
    ],
)
def test_rendered_text_reads_back_the_same(text: str, entities: list[EntityAnnotation]) -> None:
    assert parse_annotated(render_annotated(text, entities)) == (text, entities)
