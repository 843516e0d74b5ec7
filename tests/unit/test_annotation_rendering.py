"""Writing entity annotations back into example texts (``render_annotated``)."""

from __future__ import annotations

import pytest

from parley.core.training_data import EntityAnnotation
from parley.project.annotation import parse_annotated, render_annotated


def entity(start: int, end: int, value: object, name: str, **kwargs: str) -> EntityAnnotation:
    return EntityAnnotation(start=start, end=end, value=value, entity=name, **kwargs)


def test_a_text_without_entities_is_written_as_is() -> None:
    assert render_annotated("hello [there] (you) {x}", []) == "hello [there] (you) {x}"


def test_an_entity_whose_value_is_its_text_uses_the_short_form() -> None:
    assert render_annotated("show me Berlin", [entity(8, 14, "Berlin", "city")]) == (
        "show me [Berlin](city)"
    )


def test_a_different_value_role_or_group_uses_json_with_only_the_keys_set() -> None:
    text = "fly from LA to NYC"
    rendered = render_annotated(
        text,
        [
            entity(9, 11, "Los Angeles", "city", role="from"),
            entity(15, 18, "NYC", "city", role="to", group="1"),
        ],
    )
    assert rendered == (
        'fly from [LA]{"entity": "city", "value": "Los Angeles", "role": "from"} '
        'to [NYC]{"entity": "city", "role": "to", "group": "1"}'
    )


@pytest.mark.parametrize(
    ("value", "written"), [(5, '"value": 5'), (None, '"value": null'), (True, '"value": true')]
)
def test_a_value_that_is_not_a_string_is_written_as_json(value: object, written: str) -> None:
    assert (
        render_annotated("5", [entity(0, 1, value, "n")]) == '[5]{"entity": "n", ' + written + "}"
    )


def test_entities_are_written_in_text_order_and_one_span_may_hold_several() -> None:
    rendered = render_annotated(
        "NYC to LA",
        [
            entity(7, 9, "LA", "city"),
            entity(0, 3, "NYC", "city"),
            entity(0, 3, "NYC", "location", role="home"),
        ],
    )
    assert rendered == (
        '[NYC][{"entity": "city"}, {"entity": "location", "role": "home"}] to [LA](city)'
    )


@pytest.mark.parametrize("name", ["a:b", "a)b", " padded"])
def test_an_entity_name_the_short_form_cannot_hold_uses_json(name: str) -> None:
    rendered = render_annotated("x", [entity(0, 1, "x", name)])
    assert rendered.startswith('[x]{"entity": ')
    assert parse_annotated(rendered) == ("x", [entity(0, 1, "x", name)])


def test_closing_brackets_inside_json_strings_are_escaped_so_the_annotation_ends_right() -> None:
    rendered = render_annotated("x", [entity(0, 1, "a}b]c", "e")])
    assert rendered == '[x]{"entity": "e", "value": "a\\u007db\\u005dc"}'


def test_a_plain_bracket_that_would_read_as_an_annotation_is_escaped() -> None:
    assert render_annotated("press [1](sic) now", []) == "press \\[1](sic) now"
    assert render_annotated('a [b]{"x": 1}', []) == 'a \\[b]{"x": 1}'


def test_a_plain_bracket_that_would_swallow_the_next_annotation_is_escaped() -> None:
    # From the first `[`, Rasa's pattern would match `[b [c](e)` with the span `b [c`.
    assert render_annotated("a [b c", [entity(5, 6, "c", "e")]) == "a \\[b [c](e)"


def test_backslashes_are_doubled_only_right_before_a_bracket_that_needs_it() -> None:
    assert render_annotated("C:\\x", [entity(3, 4, "x", "e")]) == "C:\\\\[x](e)"
    assert render_annotated("\\[1](n)", []) == "\\\\\\[1](n)"
    assert render_annotated("\\d+ [x] \\", []) == "\\d+ [x] \\"


def test_brackets_inside_a_span_stay_as_they_are() -> None:
    assert render_annotated("[x", [entity(0, 2, "[x", "e")]) == "[[x](e)"


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("press [1](sic) now", []),
        ("a [b c", [entity(5, 6, "c", "e")]),
        ("C:\\x", [entity(3, 4, "x", "e")]),
        ("\\[1](n) and \\\\[2]{x}", []),
        ("[x [y](z)", [entity(0, 2, "[x", "e")]),
        ("a](b) [c](d)", [entity(6, 7, "c", "e", role="r")]),
        ("x\\", [entity(0, 1, "x", "e")]),
        ("é 😀 [x]", [entity(2, 3, "😀", "emoji")]),
    ],
)
def test_what_is_rendered_reads_back_the_same(text: str, entities: list[EntityAnnotation]) -> None:
    assert parse_annotated(render_annotated(text, entities)) == (text, entities)


@pytest.mark.parametrize(
    ("entities", "message"),
    [
        ([entity(0, 9, "x", "e")], "ends after the text"),
        ([entity(1, 1, "", "e")], "is empty"),
        ([entity(0, 3, "a]b", "e")], "cannot hold"),
        ([entity(0, 2, "a]", "e"), entity(1, 3, "]b", "f")], "cannot hold"),
        ([entity(0, 1, "a", "e"), entity(0, 2, "a]", "f")], "cannot hold"),
        ([entity(0, 1, "a", " ")], "has no name"),
        ([entity(0, 1, {"k": 1}, "e")], "not a list or mapping"),
    ],
)
def test_what_the_syntax_cannot_express_is_refused(
    entities: list[EntityAnnotation], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        render_annotated("a]b", entities)


def test_partly_overlapping_entities_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        render_annotated("abc", [entity(0, 2, "ab", "e"), entity(1, 3, "bc", "f")])
