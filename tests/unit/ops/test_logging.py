"""Logs as the settings ask: readable text, or one JSON object per line with the record's
extra fields as keys, to standard error and to a file in the log folder."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from parley.ops.logging import JsonFormatter, configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_a_json_line_carries_the_message_and_the_extra_fields() -> None:
    record = logging.makeLogRecord(
        {
            "name": "parley.server.bot",
            "levelname": "DEBUG",
            "msg": "turn of %s",
            "args": ("ann",),
            "sender_id": "ann",
            "milliseconds": 1.25,
        }
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "turn of ann"
    assert entry["level"] == "debug"
    assert entry["logger"] == "parley.server.bot"
    assert entry["sender_id"] == "ann"
    assert entry["milliseconds"] == 1.25
    assert entry["time"].endswith("+00:00")


def test_an_exception_is_in_the_json_line() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: broken" in entry["exception"]


@pytest.mark.usefixtures("restored_logging")
def test_json_logs_go_to_the_log_folder(tmp_path: Path) -> None:
    configure_logging("debug", "json", tmp_path / "logs")
    logging.getLogger("parley.test").info("hello %s", "there", extra={"channel": "rest"})
    logging.getLogger("alembic.runtime").info("not shown: alembic speaks at warning and up")
    for handler in logging.getLogger().handlers:
        handler.flush()
    lines = (tmp_path / "logs" / "parley.log").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["message"], e.get("channel")) for e in entries] == [("hello there", "rest")]


@pytest.mark.usefixtures("restored_logging")
def test_text_logs_are_lines_for_people(tmp_path: Path) -> None:
    configure_logging("warning", "text", tmp_path)
    logging.getLogger("parley.test").info("below the level")
    logging.getLogger("parley.test").warning("careful")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = (tmp_path / "parley.log").read_text(encoding="utf-8")
    assert "WARNING parley.test: careful" in text
    assert "below the level" not in text
