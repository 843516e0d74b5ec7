"""Dates, numbers, amounts of money, distances, e-mail addresses… found by Duckling, as Rasa's
DucklingEntityExtractor finds them.

Each Duckling match becomes an entity named by its dimension (``time``, ``number``…) whose
``value`` is Duckling's ``value`` (for an interval, ``{"from": …, "to": …}``) and whose
``additional_info`` is Duckling's whole value object (grain, unit, the alternatives…).

Where Duckling runs is not a project option: Rasa's ``url`` is accepted and ignored, and the
installation setting ``PARLEY_DUCKLING_URL`` decides (unset: in this process, so no server is
needed). When a Duckling server fails, the message gets no Duckling entities and a warning is
logged; the parse itself goes on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from parley.core.messages import ExtractedEntity
from parley.core.ports import Duckling
from parley.core.problem import Problem
from parley.errors import DucklingError, ProjectError
from parley.nlu.component import ENTITIES, Component, ComponentContext
from parley.nlu.duckling_engine import (
    InProcessDuckling,
    check_dimensions,
    check_locale,
    check_timezone,
    duckling_text,
    regions,
)
from parley.nlu.message import Message

logger = logging.getLogger(__name__)

CHUNK = 500
"""Longest text handed to Duckling at once. Its time grows faster than the length (a 4,500
character text takes seconds, 45,000 minutes), so longer texts go in pieces cut between
sentences or words; an entity spanning a cut can be missed."""
_SENTENCE_END = re.compile(r"[.!?。！？]\s+|\n")
_SPACE = re.compile(r"\s+")


class DucklingEntityExtractor(Component):
    """Dates and times, numbers, ordinals, amounts of money, distances, durations,
    temperatures, volumes, e-mail addresses, URLs and phone numbers, found by Duckling.

    ``dimensions`` limits what is extracted (unset or empty: everything); ``locale``
    (``en_US``, ``de``…) defaults to the project's language, as in Rasa; ``timezone`` is
    where relative times ("tomorrow at 5pm") are meant. A message's reference time is its
    ``reference_time`` (naive: in ``timezone``), otherwise the time of parsing.

    ``max_characters`` (null: no limit) is how much of a message Duckling reads. Its time
    depends on how many things it recognises: text dense with dates and amounts costs up to
    ~0.4 ms per character, so without a limit one pasted 100 kB message would hold a worker
    for half a minute. Chat messages are far shorter than the default.
    """

    name = "DucklingEntityExtractor"
    provides = frozenset({ENTITIES})
    defaults: ClassVar[dict[str, Any]] = {
        "dimensions": None,
        "locale": None,
        "timezone": "UTC",
        "max_characters": 2_000,
    }
    ignored_options = frozenset({"url", "timeout"})
    """``url``: the installation's PARLEY_DUCKLING_URL says where Duckling runs. ``timeout``:
    the Duckling client's timeout is the installation's too (``duckling.timeout``, 3 seconds
    by default as in Rasa)."""

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        dimensions = self.config["dimensions"] or []
        if not isinstance(dimensions, list) or not all(isinstance(d, str) for d in dimensions):
            raise _bad_option(
                f"dimensions must be a list of names such as [time, number], not {dimensions!r}"
            )
        timezone = self.config["timezone"] or "UTC"
        if not isinstance(timezone, str):
            raise _bad_option(f"timezone must be a name such as Europe/Berlin, not {timezone!r}")
        try:
            check_dimensions(dimensions)
            check_timezone(timezone)
        except ValueError as error:
            raise _bad_option(str(error)) from error
        limit = self.config["max_characters"]
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
        ):
            raise _bad_option(f"max_characters must be a positive number or null, not {limit!r}")
        self.max_characters: int | None = limit
        self.dimensions: list[str] = dimensions
        self.timezone = timezone
        self.locale = self._resolve_locale(self.config["locale"])
        self.config.update(dimensions=dimensions or None, locale=self.locale, timezone=timezone)
        self._duckling: Duckling | None = self.context.duckling
        if config and config.get("url"):
            where = "in this process" if self._duckling is None else "at the configured server"
            self.context.warn(
                "duckling-url-ignored",
                f"{self.name}: the url option is ignored; Duckling runs {where}. The "
                "installation setting PARLEY_DUCKLING_URL names a Duckling server.",
            )

    def _resolve_locale(self, given: Any) -> str:
        """The locale as Duckling applies it: ``en_US`` where it has rules for the region,
        the bare language where it has none (Rasa's derived ``en_EN`` becomes ``en``)."""
        if given is not None and not isinstance(given, str):
            raise _bad_option(f"locale must be a name such as en_US, not {given!r}")
        if given:
            locale = given
        else:
            language = self.context.language.replace("-", "_").partition("_")[0]
            locale = f"{language}_{language.upper()}"  # what Rasa derives from the language
        try:
            note = check_locale(locale)
        except ValueError as error:
            where = "" if given else f" (from the project's language {self.context.language!r})"
            raise _bad_option(f"locale{where}: {error}") from error
        if note is not None and given:
            self.context.warn("duckling-locale-region", f"{self.name}: {note}")
        language, _, region = locale.replace("-", "_").partition("_")
        language = language.lower()
        if region.upper() in regions(language):
            return f"{language}_{region.upper()}"
        return language

    @property
    def duckling(self) -> Duckling:
        if self._duckling is None:
            self._duckling = InProcessDuckling()
        return self._duckling

    def process(self, message: Message) -> None:
        if not message.text.strip():
            return
        reference = _reference_time(message.reference_time, self.timezone)
        found: list[ExtractedEntity] = []
        text = message.text
        if self.max_characters is not None and len(text) > self.max_characters:
            logger.info(
                "%s read the first %d of a message's %d characters (max_characters)",
                self.name,
                self.max_characters,
                len(text),
            )
            text = text[: self.max_characters]
        try:
            for offset, chunk in _chunks(duckling_text(text)):
                matches = self.duckling.parse(
                    chunk,
                    locale=self.locale,
                    timezone=self.timezone,
                    dimensions=self.dimensions,
                    reference_time=reference,
                )
                found.extend(
                    self._entity(match, offset) for match in matches if _fits(match, len(chunk))
                )
        except DucklingError as error:
            logger.warning("%s extracted nothing from a message: %s", self.name, error)
            return
        wanted = set(self.dimensions)
        message.entities.extend(e for e in found if not wanted or e.entity in wanted)

    def _entity(self, match: dict[str, Any], offset: int) -> ExtractedEntity:
        details: dict[str, Any] = match["value"]
        value: Any
        if details.get("type") == "interval":
            value = {"to": _bound(details.get("to")), "from": _bound(details.get("from"))}
        else:
            value = details.get("value")
        return ExtractedEntity(
            entity=match["dim"],
            start=match["start"] + offset,
            end=match["end"] + offset,
            value=value,
            extractor=self.name,
            text=match.get("body") if isinstance(match.get("body"), str) else None,
            confidence=1.0,
            additional_info=details,
        )


def _fits(match: Any, length: int) -> bool:
    """A well-formed match whose offsets lie in the text; a misbehaving server's others are
    left out."""
    if not isinstance(match, dict):
        return False
    start, end = match.get("start"), match.get("end")
    return (
        isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start <= end <= length
        and isinstance(match.get("dim"), str)
        and isinstance(match.get("value"), dict)
    )


def _bound(bound: Any) -> Any:
    """The value of one end of an interval (None for an open end)."""
    return bound.get("value") if isinstance(bound, dict) else None


def _reference_time(given: datetime | None, timezone: str) -> datetime:
    if given is None:
        return datetime.now(UTC)
    if given.tzinfo is None:
        return given.replace(tzinfo=ZoneInfo(timezone))
    return given


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """``(offset, piece)`` of at most :data:`CHUNK` characters covering ``text``, cut after
    the last sentence end in a piece's second half, else after its last space."""
    start = 0
    while len(text) - start > CHUNK:
        window = text[start : start + CHUNK]
        cut = max((m.end() for m in _SENTENCE_END.finditer(window)), default=0)
        if cut <= CHUNK // 2:
            cut = max((m.end() for m in _SPACE.finditer(window)), default=0)
        if cut <= CHUNK // 2:
            cut = CHUNK
        yield start, window[:cut]
        start += cut
    yield start, text[start:]


def _bad_option(message: str) -> ProjectError:
    problem = Problem("pipeline-bad-option", f"DucklingEntityExtractor: {message}")
    return ProjectError([problem], summary=problem.message)
