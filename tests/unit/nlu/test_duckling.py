"""Duckling in-process and the DucklingEntityExtractor: values as Rasa reports them, options,
reference times in other zones, and text Duckling cannot take as it is."""

from __future__ import annotations

import logging
import shutil
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckling
import pytest

from parley.core.ports import Duckling
from parley.errors import DucklingError, ProjectError
from parley.nlu.component import ComponentContext
from parley.nlu.duckling_engine import (
    DIMENSIONS,
    InProcessDuckling,
    languages,
    timezone_folder,
)
from parley.nlu.duckling_extractor import CHUNK, DucklingEntityExtractor, _chunks
from parley.nlu.message import Message
from parley.nlu.pipeline import Pipeline
from parley.project.config import ComponentSpec

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def extract(
    text: str,
    config: dict[str, Any] | None = None,
    *,
    reference_time: datetime | None = NOW,
    context: ComponentContext | None = None,
) -> list[dict[str, Any]]:
    extractor = DucklingEntityExtractor(config, context)
    message = Message(text=text, reference_time=reference_time)
    extractor.process(message)
    return [entity.model_dump(exclude_none=True) for entity in message.entities]


def only(entities: list[dict[str, Any]], dimension: str) -> dict[str, Any]:
    found = [e for e in entities if e["entity"] == dimension]
    assert len(found) == 1, entities
    return found[0]


def test_a_time_is_an_exact_iso_value_with_its_grain() -> None:
    (entity,) = extract("tomorrow at 5pm")
    assert entity == {
        "entity": "time",
        "start": 0,
        "end": 15,
        "value": "2026-11-23T17:00:00.000+00:00",
        "extractor": "DucklingEntityExtractor",
        "text": "tomorrow at 5pm",
        "confidence": 1.0,
        "additional_info": {
            "values": [
                {"value": "2026-11-23T17:00:00.000+00:00", "grain": "hour", "type": "value"}
            ],
            "value": "2026-11-23T17:00:00.000+00:00",
            "grain": "hour",
            "type": "value",
        },
    }


def test_an_interval_is_a_from_to_value() -> None:
    entity = only(extract("from 3 to 5pm"), "time")
    assert entity["value"] == {
        "from": "2026-11-22T15:00:00.000+00:00",
        "to": "2026-11-22T18:00:00.000+00:00",
    }
    assert entity["additional_info"]["type"] == "interval"


def test_numbers_money_email_distance_and_duration() -> None:
    text = "twenty three people, $20 or 20 euros, mail a@b.org, 5 km; 3 hours"
    entities = extract(text)
    assert {(e["entity"], text[e["start"] : e["end"]], str(e["value"])) for e in entities} == {
        ("number", "twenty three", "23"),
        ("amount-of-money", "$20", "20"),
        ("amount-of-money", "20 euros", "20"),
        ("email", "a@b.org", "a@b.org"),
        ("distance", "5 km", "5"),
        ("duration", "3 hours", "3"),
    }
    units = {e["additional_info"].get("unit") for e in entities if e["entity"] != "number"}
    assert {"$", "EUR", "kilometre", "hour"} <= units
    duration = only(entities, "duration")
    assert duration["additional_info"]["normalized"] == {"value": 10800, "unit": "second"}


def test_dimensions_limit_what_is_extracted() -> None:
    text = "tomorrow at 5pm, $20, a@b.org"
    assert [e["entity"] for e in extract(text, {"dimensions": ["email"]})] == ["email"]
    money = extract(text, {"dimensions": ["amount-of-money", "time"]})
    assert sorted(e["entity"] for e in money) == ["amount-of-money", "time"]
    assert {e["entity"] for e in extract(text, {"dimensions": []})} == {
        "time",
        "amount-of-money",
        "email",
    }


@pytest.mark.parametrize(
    ("timezone", "reference", "now"),
    [
        ("Europe/Berlin", NOW, "2026-11-22T11:00:00.000+01:00"),
        ("America/New_York", NOW, "2026-11-22T05:00:00.000-05:00"),
        ("Asia/Kolkata", NOW, "2026-11-22T15:30:00.000+05:30"),
        # Either side of the end of summer time in Berlin (01:00 UTC on 25 October 2026).
        (
            "Europe/Berlin",
            datetime(2026, 10, 24, 21, 0, tzinfo=UTC),
            "2026-10-24T23:00:00.000+02:00",
        ),
        (
            "Europe/Berlin",
            datetime(2026, 10, 25, 3, 0, tzinfo=UTC),
            "2026-10-25T04:00:00.000+01:00",
        ),
    ],
)
def test_now_is_the_reference_time_in_the_timezone(
    timezone: str, reference: datetime, now: str
) -> None:
    entity = only(extract("now", {"timezone": timezone}, reference_time=reference), "time")
    assert entity["value"] == now


def test_relative_times_are_meant_in_the_timezone() -> None:
    entity = only(extract("tomorrow at 5pm", {"timezone": "Europe/Berlin"}), "time")
    assert entity["value"] == "2026-11-23T17:00:00.000+01:00"


def test_a_naive_reference_time_is_read_in_the_timezone() -> None:
    naive = datetime(2026, 11, 22, 23, 30)
    entity = only(extract("today", {"timezone": "Europe/Berlin"}, reference_time=naive), "time")
    assert entity["value"] == "2026-11-22T00:00:00.000+01:00"


def test_without_a_reference_time_now_is_the_time_of_parsing() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    entity = only(extract("now", reference_time=None), "time")
    after = datetime.now(UTC)
    assert before <= datetime.fromisoformat(entity["value"]) <= after


def test_the_locale_decides_the_language() -> None:
    text = "morgen um 17 Uhr"
    assert [e["entity"] for e in extract(text)] == ["number"]
    context = ComponentContext()
    german = extract(text, {"locale": "de_DE"}, context=context)
    assert only(german, "time")["value"] == "2026-11-23T17:00:00.000+00:00"
    # Duckling has no rules for Germany in particular: said once, while building.
    assert [p.code for p in context.problems] == ["duckling-locale-region"]


def test_the_locale_defaults_to_the_project_language() -> None:
    context = ComponentContext(language="de")
    extractor = DucklingEntityExtractor({}, context)
    assert extractor.config["locale"] == "de"
    assert context.problems == []
    assert only(extract("dreiundzwanzig", context=context), "number")["value"] == 23


def test_a_locale_with_regional_rules_keeps_its_region() -> None:
    assert DucklingEntityExtractor({"locale": "es-co"}).config["locale"] == "es_CO"
    assert DucklingEntityExtractor({"locale": "en_GB"}).config["locale"] == "en_GB"


@pytest.mark.parametrize(
    ("config", "language", "expected"),
    [
        ({"dimensions": ["tim"]}, "en", "did you mean 'time'?"),
        ({"dimensions": ["tim"]}, "en", "amount-of-money, credit-card-number"),
        ({"dimensions": "time"}, "en", "must be a list"),
        ({"locale": "xx_YY"}, "en", "languages: af, ar"),
        ({}, "eo", "from the project's language 'eo'"),
        ({"timezone": "Europe/Berln"}, "en", "did you mean 'Europe/Berlin'?"),
        ({"timezone": 3}, "en", "timezone must be a name"),
        ({"window": 3}, "en", "its options are: dimensions, locale, max_characters, timezone"),
        ({"max_characters": 0}, "en", "max_characters must be a positive number or null"),
        ({"max_characters": "10"}, "en", "max_characters must be a positive number or null"),
    ],
)
def test_bad_options_are_refused_with_the_valid_ones(
    config: dict[str, Any], language: str, expected: str
) -> None:
    with pytest.raises(ProjectError, match="DucklingEntityExtractor") as raised:
        DucklingEntityExtractor(config, ComponentContext(language=language))
    assert expected in str(raised.value)


def test_rasa_url_and_timeout_options_are_accepted() -> None:
    context = ComponentContext()
    extractor = DucklingEntityExtractor({"url": "http://localhost:8000", "timeout": 5}, context)
    assert "url" not in extractor.config
    assert "timeout" not in extractor.config
    (problem,) = context.problems
    assert problem.code == "duckling-url-ignored"
    assert "PARLEY_DUCKLING_URL" in problem.message
    assert only(extract("$5", {"url": "http://localhost:8000"}), "amount-of-money")


def test_every_dimension_is_one_duckling_knows() -> None:
    for dimension in DIMENSIONS:
        assert len(duckling.parse_dimensions([dimension])) == 1, dimension
    assert {"en", "de", "fr", "es", "zh"} <= set(languages())


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "\x00", "a\ud800b", "?!" * 50])
def test_odd_text_gives_no_entities_and_no_error(text: str) -> None:
    assert extract(text) == []


def test_offsets_count_characters_past_emoji_and_nul() -> None:
    text = "😀\x00 tomorrow"
    entity = only(extract(text), "time")
    assert text[entity["start"] : entity["end"]] == "tomorrow"


def test_a_huge_text_is_parsed_in_pieces_with_offsets_into_the_whole() -> None:
    sentence = "We talked about the weather and nothing else. "
    text = "Pay $20 now. " + sentence * 120 + "Mail a@b.org tomorrow"
    config = {"dimensions": ["amount-of-money", "email"], "max_characters": None}
    entities = extract(text, config)
    assert [text[e["start"] : e["end"]] for e in entities] == ["$20", "a@b.org"]


def test_duckling_reads_up_to_max_characters() -> None:
    text = "Pay $20 now. " + "Nothing to see here. " * 100 + "Pay $30 later."
    assert len(text) > 2_000
    found = [e["value"] for e in extract(text, {"dimensions": ["amount-of-money"]})]
    assert found == [20], "the default limit (2,000 characters) leaves out the end"
    config = {"dimensions": ["amount-of-money"], "max_characters": 20}
    assert [e["value"] for e in extract(text, config)] == [20]
    config = {"dimensions": ["amount-of-money"], "max_characters": None}
    assert [e["value"] for e in extract(text, config)] == [20, 30]


def test_pieces_cover_the_text_and_cut_after_sentences() -> None:
    text = ("One sentence here. " * 40) + "x" * (CHUNK * 2 + 7)
    pieces = list(_chunks(text))
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= CHUNK for _, piece in pieces)
    assert all(text.startswith(piece, offset) for offset, piece in pieces)
    assert pieces[0][1].endswith(". ")


def test_in_process_answers_what_the_http_api_answers() -> None:
    engine: Duckling = InProcessDuckling()
    (match,) = engine.parse(
        "in 2 weeks", locale="en_US", timezone="UTC", dimensions=["time"], reference_time=NOW
    )
    assert set(match) == {"body", "start", "end", "dim", "value", "latent"}
    assert match["body"] == "in 2 weeks"
    assert match["latent"] is False
    assert match["value"]["value"] == "2026-12-06T00:00:00.000+00:00"


def test_in_process_refuses_unknown_names() -> None:
    engine = InProcessDuckling()
    with pytest.raises(ValueError, match="valid dimensions are"):
        engine.parse("x", locale="en", timezone="UTC", dimensions=["colour"], reference_time=NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        engine.parse(
            "x", locale="en", timezone="UTC", dimensions=[], reference_time=NOW.replace(tzinfo=None)
        )


def test_a_missing_timezone_database_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TZDIR", str(tmp_path))
    monkeypatch.setattr(zoneinfo, "TZPATH", ())
    with pytest.raises(DucklingError, match="apt-get install tzdata"):
        timezone_folder()


def test_a_database_without_the_zone_leaves_the_message_without_entities(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copy(timezone_folder() / "UTC", tmp_path / "UTC")
    context = ComponentContext(duckling=InProcessDuckling(tmp_path))
    with caplog.at_level(logging.WARNING, logger="parley.nlu.duckling_extractor"):
        entities = extract("tomorrow", {"timezone": "Europe/Berlin"}, context=context)
    assert entities == []
    assert "has no zone 'Europe/Berlin'" in caplog.text


def test_a_database_read_differently_from_python_is_refused(tmp_path: Path) -> None:
    system = timezone_folder()
    shutil.copy(system / "UTC", tmp_path / "UTC")
    (tmp_path / "Europe").mkdir()
    # Europe/Berlin's file holding India's rules: Duckling's answer would be hours off.
    shutil.copy(system / "Asia" / "Kolkata", tmp_path / "Europe" / "Berlin")
    with pytest.raises(DucklingError, match="differently from Python"):
        InProcessDuckling(tmp_path).parse(
            "now", locale="en", timezone="Europe/Berlin", dimensions=[], reference_time=NOW
        )


def test_a_pipeline_parses_persists_and_loads_the_extractor(tmp_path: Path) -> None:
    specs = [
        ComponentSpec(name="WhitespaceTokenizer"),
        ComponentSpec(name="DucklingEntityExtractor", options={"dimensions": ["number"]}),
    ]
    pipeline = Pipeline.from_config(specs, ComponentContext(language="fr"))
    result = pipeline.parse("vingt-trois", reference_time=NOW).to_rasa()
    assert [(e["entity"], e["value"]) for e in result["entities"]] == [("number", 23)]
    pipeline.persist(tmp_path)
    # The locale was fixed at training: the loading context's language does not change it.
    loaded = Pipeline.load(tmp_path, ComponentContext(language="en"))
    assert loaded.parse("vingt-trois").to_rasa()["entities"] == result["entities"]
