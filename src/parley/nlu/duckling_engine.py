"""Duckling in this process, through its native Python binding (``pyduckling-native-phihos``).

:class:`InProcessDuckling` answers exactly what a Duckling HTTP server's ``/parse`` answers,
so the extractor cannot tell them apart. Three quirks of the binding are handled here:

- Loading the time-zone database takes a quarter of a second, and a missing folder ends the
  process from inside Haskell; it is loaded once per process, after checking the folder.
- Duckling reads some compiled time-zone databases wrongly (the compact files of the
  ``tzdata`` Python package come out hours off). Each zone is checked once against Python's
  ``zoneinfo``, and a misread one refused, rather than shifting every date silently.
- A NUL character makes the binding panic and a lone surrogate cannot be encoded; both become
  spaces (:func:`duckling_text`), which keeps every offset.

The binding also silently replaces an unknown language, locale, dimension or time zone with
a default; :func:`check_locale`, :func:`check_dimensions` and :func:`check_timezone` turn
those into errors that list the valid values.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import string
import threading
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckling

from parley.core.suggestion import did_you_mean
from parley.errors import DucklingError

DIMENSIONS: tuple[str, ...] = (
    "amount-of-money",
    "credit-card-number",
    "distance",
    "duration",
    "email",
    "number",
    "ordinal",
    "phone-number",
    "quantity",
    "temperature",
    "time",
    "time-grain",
    "url",
    "volume",
)
"""Duckling's dimensions, as its HTTP API names them."""

_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def duckling_text(text: str) -> str:
    """``text`` with the characters Duckling cannot take (NUL, lone surrogates) turned into
    spaces; same length, so entity offsets still point into ``text``."""
    return _UNSAFE.sub(" ", text)


@cache
def languages() -> tuple[str, ...]:
    """The ISO 639-1 codes Duckling has rules for, lower case (``en``, ``de``…).

    Asked of the binding (which maps an unknown code to English) rather than listed here,
    so a newer Duckling's languages are valid without a change."""
    codes = ("".join(pair) for pair in itertools.product(string.ascii_uppercase, repeat=2))
    return tuple(code.lower() for code in codes if duckling.parse_lang(code).name == code)


@cache
def regions(language: str) -> tuple[str, ...]:
    """The regions Duckling has rules for in ``language`` (``US``, ``GB``… for ``en``)."""
    default = _default_locale(language)
    found = []
    for pair in itertools.product(string.ascii_uppercase, repeat=2):
        code = f"{language.upper()}_{''.join(pair)}"
        if pair != ("X", "X") and duckling.parse_locale(code, default).name == code:
            found.append("".join(pair))
    return tuple(found)


def check_locale(locale: str) -> str | None:
    """Validate a locale (``en_US``, ``en``, ``de_DE``) as Duckling reads it.

    Returns None when Duckling has rules for exactly that locale, or a note when it has none
    for the region and uses its general rules of the language (as its server does, so a Rasa
    ``de_DE`` keeps working). Raises ``ValueError`` listing the languages when Duckling has
    none for the language."""
    language, _, region = locale.replace("-", "_").partition("_")
    if language.lower() not in languages():
        raise ValueError(
            f"Duckling has no rules for the language of locale {locale!r}; use a locale "
            f"such as en_US, or one of these languages: {', '.join(languages())}"
        )
    if region and region.upper() not in regions(language.lower()):
        specific = ", ".join(f"{language.lower()}_{r}" for r in regions(language.lower()))
        return (
            f"Duckling has no rules specific to region {region!r} of locale {locale!r}; it "
            f"uses its general {language.lower()!r} rules"
            + (f" (locales with their own rules: {specific})" if specific else "")
        )
    return None


def check_dimensions(dimensions: Sequence[str]) -> None:
    """Raise ``ValueError`` naming the valid dimensions when one is unknown."""
    for dimension in dimensions:
        if dimension not in DIMENSIONS:
            raise ValueError(
                f"{dimension!r} is not a Duckling dimension{did_you_mean(dimension, DIMENSIONS)}"
                f"; valid dimensions are: {', '.join(DIMENSIONS)}"
            )


def check_timezone(timezone: str) -> None:
    """Raise ``ValueError`` with the closest names when ``timezone`` is not an IANA zone."""
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"{timezone!r} is not a time zone{did_you_mean(timezone, _timezone_names())}; "
            "use an IANA name such as UTC, Europe/Berlin or America/New_York"
        ) from error


@cache
def _timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_folder() -> Path:
    """The system's compiled time-zone database, which Duckling reads.

    Searched in ``$TZDIR``, then Python's ``zoneinfo.TZPATH``. The ``tzdata`` Python
    package is not used: its compact files come out an hour or more off in Duckling."""
    candidates = [os.environ["TZDIR"]] if os.environ.get("TZDIR") else []
    candidates += list(zoneinfo.TZPATH)
    for candidate in candidates:
        folder = Path(candidate)
        if (folder / "UTC").is_file():
            return folder
    raise DucklingError(
        "Duckling needs the system time-zone database, and none was found in "
        f"{', '.join(candidates) or '(no folders)'}; install it (Debian/Ubuntu: "
        "`apt-get install tzdata`) or set TZDIR to its folder"
    )


_lock = threading.Lock()
_databases: dict[Path, Any] = {}


def _time_zones(folder: Path) -> Any:
    """The binding's time-zone database for ``folder``, loaded once per process."""
    with _lock:
        if folder not in _databases:
            if not folder.is_dir():  # the binding would end the process
                raise DucklingError(f"the time-zone folder {folder} does not exist")
            _databases[folder] = duckling.load_time_zones(str(folder))
        return _databases[folder]


@cache
def _default_locale(language: str) -> Any:
    return duckling.default_locale_lang(duckling.parse_lang(language.upper()))


@cache
def _locale(locale: str) -> Any:
    language, _, region = locale.replace("-", "_").partition("_")
    default = _default_locale(language)
    if not region:
        return default
    return duckling.parse_locale(f"{language.upper()}_{region.upper()}", default)


@cache
def _dimensions(dimensions: tuple[str, ...]) -> list[Any]:
    return list(duckling.parse_dimensions(list(dimensions)))


_checked: set[tuple[Path, str]] = set()
_PROBES = (datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC))
"""Midwinter and midsummer: a zone's standard and summer offsets."""


def _check_zone(folder: Path, database: Any, timezone: str) -> None:
    """Raise :class:`DucklingError` when Duckling's "now" in ``timezone`` differs from
    Python's ``zoneinfo`` — a database Duckling misreads would shift every time it finds."""
    with _lock:
        if (folder, timezone) in _checked:
            return
    locale = _default_locale("en")
    for probe in _PROBES:
        reference = duckling.parse_ref_time(database, timezone, int(probe.timestamp()))
        answer = json.loads(
            duckling.parse_text(
                "now", duckling.Context(reference, locale), _dimensions(("time",)), False
            )
        )
        expected = probe.astimezone(zoneinfo.ZoneInfo(timezone))
        found = datetime.fromisoformat(answer[0]["value"]["value"]) if answer else None
        if found is None or found != expected or found.utcoffset() != expected.utcoffset():
            raise DucklingError(
                f"Duckling reads zone {timezone} of the time-zone database in {folder} "
                f"differently from Python ({found} instead of {expected}); set TZDIR to a "
                "complete ('fat') database such as Debian's tzdata package installs"
            )
    with _lock:
        _checked.add((folder, timezone))


class InProcessDuckling:
    """Duckling run by this process. Thread-safe; the binding holds the GIL while parsing,
    so parses from several threads run one after the other."""

    def __init__(self, zoneinfo_folder: Path | None = None) -> None:
        self.zoneinfo_folder = zoneinfo_folder

    def parse(
        self,
        text: str,
        *,
        locale: str,
        timezone: str,
        dimensions: Sequence[str],
        reference_time: datetime,
    ) -> list[dict[str, Any]]:
        check_dimensions(dimensions)
        check_locale(locale)
        check_timezone(timezone)
        if reference_time.tzinfo is None:
            raise ValueError("reference_time must be timezone-aware")
        folder = self.zoneinfo_folder or timezone_folder()
        if not (folder / timezone).is_file():
            raise DucklingError(f"the time-zone database in {folder} has no zone {timezone!r}")
        database = _time_zones(folder)
        _check_zone(folder, database, timezone)
        reference = duckling.parse_ref_time(database, timezone, int(reference_time.timestamp()))
        context = duckling.Context(reference, _locale(locale))
        answer = duckling.parse_text(
            duckling_text(text), context, _dimensions(tuple(dimensions)), False
        )
        matches: list[dict[str, Any]] = json.loads(answer)
        return matches
