"""Logging set up from the settings: readable lines for people, or one JSON object per
line (time, level, logger, message, and any ``extra`` fields) for log collectors."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from logging.handlers import WatchedFileHandler
from pathlib import Path
from typing import Any

# The attributes every LogRecord has; anything else on a record came in through `extra=`
# and belongs in the JSON object.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


_TEXT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(level: str, format: str, log_dir: Path | None = None) -> None:
    """Send Parley's and the web server's logs to standard error (and to
    ``log_dir/parley.log`` when given) at ``level``, as ``format`` (``text`` or ``json``)."""
    formatter: logging.Formatter = JsonFormatter() if format == "json" else logging.Formatter(_TEXT)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        # Watched: logrotate may move the file away; the handler then opens a new one.
        handlers.append(WatchedFileHandler(log_dir / "parley.log", encoding="utf-8"))
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level.upper())
    # Alembic reports each migration step at INFO; one line from Parley says enough.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own handlers would print each line a second time, in its format.
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
