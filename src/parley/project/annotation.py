"""Entity annotations inside example texts, as Rasa's training data writes them.

An annotated example marks each entity where it stands in the sentence::

    show me [Berlin](city)                                  value = the span text
    show me [Berlin](city:BER)                              Rasa 2.x: value after a colon
    fly to [LA]{"entity": "city", "value": "Los Angeles", "role": "to", "group": "1"}
    [NYC][{"entity": "city"}, {"entity": "location"}]       several entities, one span

The JSON form carries only the keys that are set; without ``value`` the value is the span
text. Everything else in the text is plain text.

An annotation is what Rasa's pattern matches at a ``[``: the span (no ``]`` in it), then
directly ``(entity)``, ``(entity:value)``, ``{...}`` or ``[...]``. The markup itself has no
escape, so a plain sentence that happens to contain such a sequence (``press [1](sic)``)
would read back as an annotation. Parley adds the one escape needed for those sentences,
leaving every other text exactly as Rasa reads it:

* At a ``[`` where an annotation matches, a backslash before it makes the ``[`` plain text:
  ``press \\[1](sic)`` is the text ``press [1](sic)`` without entities.
* There, and only there, backslashes count in pairs: ``\\\\`` is one plain backslash. So
  ``C:\\\\[1](n)`` is the text ``C:\\1`` with the entity ``n``, and ``\\\\\\[1](n)`` is the
  plain text ``\\[1](n)``.
* Backslashes anywhere else (``\\d+``, ``C:\\temp``), and everything inside an annotation,
  are taken as written.

Reading scans the text left to right: at each ``[`` it counts the backslashes right before
it; when an annotation matches there, half of them (rounded down) are plain backslashes,
and an odd count makes the ``[`` plain and resumes scanning after it; an even count makes
it an annotation and resumes after the annotation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from parley.core.suggestion import did_you_mean
from parley.core.training_data import EntityAnnotation

ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|\{(?P<dict>[^}]+?)\}"
    r"|\[(?P<dicts>.*?)\])"
)
"""One annotation starting at a ``[``: Rasa's own pattern, groups named for reading."""

# Inside the JSON forms a ``}`` or ``]`` in a string would end the annotation early; JSON
# lets us write them as unicode escapes instead.
_JSON_CLOSERS = str.maketrans({"}": "\\u007d", "]": "\\u005d"})


def render_annotated(text: str, entities: Sequence[EntityAnnotation]) -> str:
    """``text`` with ``entities`` marked in Rasa's annotation syntax, escaped where needed.

    Entities are written in the order of their spans; several entities on the same span
    share one annotation. Raises ValueError for an entity that the syntax cannot express:
    a span outside the text, an empty span, a span containing ``]``, spans that overlap
    without being equal, a blank entity name, or a list or mapping as value.
    """
    spans = sorted(entities, key=lambda e: (e.start, e.end))
    pieces: list[tuple[str, bool]] = []  # (text, is_annotation)
    cursor = 0
    for (start, end), group in groupby(spans, key=lambda e: (e.start, e.end)):
        span = text[start:end]
        _check_span(text, start, end, cursor)
        if start > cursor:
            pieces.append((text[cursor:start], False))
        pieces.append((f"[{span}]{_attributes(span, list(group))}", True))
        cursor = end
    if cursor < len(text):
        pieces.append((text[cursor:], False))
    return _escape(pieces)


def _check_span(text: str, start: int, end: int, cursor: int) -> None:
    span = text[start:end]
    where = f"entity span {start}..{end} of {text!r}"
    if end > len(text):
        raise ValueError(f"{where} ends after the text (length {len(text)})")
    if start == end:
        raise ValueError(f"{where} is empty; an annotation needs at least one character")
    if "]" in span:
        raise ValueError(f"{where} contains `]`, which the annotation syntax cannot hold")
    if start < cursor:
        raise ValueError(
            f"{where} overlaps the entity before it; annotations can share a span exactly "
            "but cannot overlap partly"
        )


def _attributes(span: str, entities: list[EntityAnnotation]) -> str:
    """The part after ``[span]``: ``(entity)`` when that says it all, JSON otherwise."""
    for entity in entities:
        if not entity.entity.strip():
            raise ValueError(f"the entity on {span!r} has no name; every entity needs one")
    if len(entities) > 1:
        return "[" + ", ".join(_json(span, e) for e in entities) + "]"
    (entity,) = entities
    short = (
        entity.value == span
        and isinstance(entity.value, str)
        and entity.role is None
        and entity.group is None
        and entity.entity.strip() == entity.entity != ""
        and not any(c in entity.entity for c in ":)")
    )
    return f"({entity.entity})" if short else _json(span, entity)


def _json(span: str, entity: EntityAnnotation) -> str:
    if isinstance(entity.value, dict | list | tuple):
        raise ValueError(
            f"the value of entity {entity.entity!r} on {span!r} is {entity.value!r}; an "
            "annotation can hold a string, number, boolean or null, not a list or mapping"
        )
    fields: dict[str, Any] = {"entity": entity.entity}
    if not (isinstance(entity.value, str) and entity.value == span):
        fields["value"] = entity.value
    if entity.role is not None:
        fields["role"] = entity.role
    if entity.group is not None:
        fields["group"] = entity.group
    # Every `}` and `]` left is inside a JSON string, where escaping it changes nothing.
    return "{" + json.dumps(fields, ensure_ascii=False)[1:-1].translate(_JSON_CLOSERS) + "}"


def _escape(pieces: list[tuple[str, bool]]) -> str:
    """Join the pieces, escaping each plain ``[`` at which an annotation would be read,
    and doubling the plain backslashes that stand right before such a ``[``."""
    joined = "".join(piece for piece, _ in pieces)
    out: list[str] = []
    position = 0
    for index, (piece, is_annotation) in enumerate(pieces):
        if is_annotation:
            out.append(piece)
            position += len(piece)
            continue
        following_is_annotation = index + 1 < len(pieces) and pieces[index + 1][1]
        out.append(_escape_plain(piece, joined, position, following_is_annotation))
        position += len(piece)
    return "".join(out)


def _escape_plain(piece: str, joined: str, offset: int, before_annotation: bool) -> str:
    """Escape ``piece``, which stands at ``offset`` in the unescaped text ``joined``.

    Inserting backslashes never changes whether an annotation matches at another ``[``
    (they are not part of its syntax), so matches are decided on ``joined``.
    """
    out: list[str] = []
    run = 0  # backslashes seen right before the current character
    for index, char in enumerate(piece):
        if char == "\\":
            run += 1
            continue
        if char == "[" and ANNOTATION.match(joined, offset + index):
            out.append("\\" * (2 * run + 1))
        else:
            out.append("\\" * run)
        run = 0
        out.append(char)
    # Backslashes ending the piece stand right before the next annotation's `[`.
    out.append("\\" * (2 * run if before_annotation else run))
    return "".join(out)


class AnnotationError(ValueError):
    """An annotation that says something invalid; ``column`` counts from 1 in the text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


_KEYS = ("entity", "value", "role", "group")
_CLOSERS = {"(": ")", "{": "}", "[": "]"}
_EXAMPLE_JSON = '{"entity": "city", "value": "Berlin"}'


def parse_annotated(text: str) -> tuple[str, list[EntityAnnotation]]:
    """The plain text of an annotated ``text`` and the entities marked in it.

    Offsets are into the plain text. Raises :class:`AnnotationError` for an annotation that
    Rasa's pattern matches but that cannot be read (bad JSON, no entity name, an unknown
    key…). Brackets that form no annotation stay plain text; :func:`markup_warnings` finds
    those that look like a slip.
    """
    plain: list[str] = []
    size = 0
    entities: list[EntityAnnotation] = []
    cursor = 0
    while (bracket := text.find("[", cursor)) != -1:
        match = ANNOTATION.match(text, bracket)
        if match is None:
            plain.append(text[cursor : bracket + 1])
            size += bracket + 1 - cursor
            cursor = bracket + 1
            continue
        run = _backslashes_before(text, bracket, cursor)
        kept = text[cursor : bracket - run] + "\\" * (run // 2)
        plain.append(kept)
        size += len(kept)
        if run % 2:
            plain.append("[")
            size += 1
            cursor = bracket + 1
            continue
        span = match["text"]
        for attributes in _attributes_of(match):
            entities.append(EntityAnnotation(start=size, end=size + len(span), **attributes))
        plain.append(span)
        size += len(span)
        cursor = match.end()
    plain.append(text[cursor:])
    return "".join(plain), entities


def markup_warnings(text: str) -> list[AnnotationError]:
    """Places where ``text`` looks like an annotation with a slip in it (``[Berlin](city``,
    ``[](city)``, ``[Berlin]{}``…). Such markup is read as plain text, so it is worth a
    warning, not an error: the sentence may really mean it."""
    found: list[AnnotationError] = []
    cursor = 0
    while (bracket := text.find("[", cursor)) != -1:
        match = ANNOTATION.match(text, bracket)
        if match is not None:
            escaped = _backslashes_before(text, bracket, cursor) % 2 == 1
            cursor = bracket + 1 if escaped else match.end()
            continue
        cursor = bracket + 1
        slip = _slip_at(text, bracket)
        if slip is not None:
            found.append(AnnotationError(slip, bracket + 1))
    return found


def _slip_at(text: str, bracket: int) -> str | None:
    close = text.find("]", bracket + 1)
    if close == -1:
        return "`[` is never closed by `]`; it is read as plain text, not as an entity annotation"
    follower = text[close + 1 : close + 2]
    if follower not in _CLOSERS:
        return None
    head = text[bracket : close + 1]
    plain = "it is read as plain text, not as an entity annotation"
    if close == bracket + 1:
        return f"`{head}{follower}` marks no text; put the words the entity stands for inside `[]`"
    end = text.find(_CLOSERS[follower], close + 2)
    if end == -1:
        return f"`{follower}` after `{head}` is never closed by `{_CLOSERS[follower]}`; {plain}"
    markup = text[bracket : end + 1]
    inner = text[close + 2 : end]
    if follower == "(" and inner.endswith(":") and len(inner) > 1:
        return f"`{markup}` has no value after `:`; write `{head}({inner[:-1]})` or add one"
    if (follower == "(" and (not inner or inner.startswith(":"))) or not inner.strip():
        return f"`{markup}` names no entity; write it like `{head}(city)`; {plain}"
    return f"`{markup}` is not a complete entity annotation; {plain}"


def _backslashes_before(text: str, index: int, floor: int) -> int:
    start = index
    while start > floor and text[start - 1] == "\\":
        start -= 1
    return index - start


def _attributes_of(match: re.Match[str]) -> list[dict[str, Any]]:
    """What the part after ``[span]`` says, one mapping of EntityAnnotation fields per entity."""
    span = match["text"]
    if match["entity"] is not None:
        entity = match["entity"]
        if entity.strip() != entity:
            raise AnnotationError(
                f"entity name {entity!r} has spaces around it; write `({entity.strip()})`",
                match.start("entity") + 1,
            )
        value = span if match["value"] is None else match["value"]
        return [{"entity": entity, "value": value}]
    if match["dict"] is not None:
        start = match.start("dict") - 1
        decoded = _decode(match.string[start : match.end("dict") + 1], start)
        return [_checked(decoded, span, start)]
    start = match.start("dicts") - 1
    source = match.string[start : match.end("dicts") + 1]
    items = _decode_list(source, start)
    if not items:
        raise AnnotationError(
            f"the list of entities after `[{span}]` is empty; give at least one, like "
            f"[{_EXAMPLE_JSON}]",
            start + 1,
        )
    return [_checked(item, span, offset) for item, offset in items]


def _decode(source: str, offset: int) -> Any:
    try:
        return json.loads(source)
    except json.JSONDecodeError as error:
        raise AnnotationError(
            f"the entity annotation {source!r} is not valid JSON ({error.msg}); write it "
            f"like {_EXAMPLE_JSON}",
            offset + error.pos + 1,
        ) from None


def _decode_list(source: str, offset: int) -> list[tuple[Any, int]]:
    """The items of the JSON list ``source`` with the offset of each in the text."""
    _decode(source, offset)
    decoder = json.JSONDecoder()
    items: list[tuple[Any, int]] = []
    position = _skip_space(source, 1)
    while source[position] != "]":
        item, end = decoder.raw_decode(source, position)
        items.append((item, offset + position))
        position = _skip_space(source, end)
        if source[position] == ",":
            position = _skip_space(source, position + 1)
    return items


def _skip_space(source: str, position: int) -> int:
    while source[position] in " \t\r\n":
        position += 1
    return position


def _checked(item: Any, span: str, offset: int) -> dict[str, Any]:
    column = offset + 1
    if not isinstance(item, dict):
        raise AnnotationError(
            f"an entity in the annotation of `[{span}]` must be a JSON object like "
            f"{_EXAMPLE_JSON}, not {json.dumps(item)}",
            column,
        )
    for key in item:
        if key not in _KEYS:
            raise AnnotationError(
                f"unknown key {key!r} in the annotation of `[{span}]`{did_you_mean(key, _KEYS)}; "
                f"valid keys are: {', '.join(_KEYS)}",
                column,
            )
    entity = item.get("entity")
    if entity is None:
        raise AnnotationError(
            f'the annotation of `[{span}]` has no "entity"; name it like {_EXAMPLE_JSON}',
            column,
        )
    if not isinstance(entity, str) or not entity.strip():
        raise AnnotationError(
            f'"entity" in the annotation of `[{span}]` must be a name (a non-empty string), '
            f"not {json.dumps(entity)}",
            column,
        )
    for key in ("role", "group"):
        if key in item and not isinstance(item[key], str):
            raise AnnotationError(
                f"{key!r} in the annotation of `[{span}]` must be a string, not "
                f"{json.dumps(item[key])}",
                column,
            )
    value = item.get("value", span)
    if isinstance(value, dict | list):
        raise AnnotationError(
            f"the value in the annotation of `[{span}]` must be a string, number, true, "
            f"false or null, not {json.dumps(value)}",
            column,
        )
    return {"entity": entity, "value": value, "role": item.get("role"), "group": item.get("group")}
