"""What a test does when a service it needs is missing (PostgreSQL, Redis, ``../shared``,
npm, Chromium, the rasa-sdk venv): on a developer machine it is skipped with the reason
shown; under ``CI=true`` it fails, so that a CI job without its services cannot pass by
skipping."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it under ``CI=true``."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)
