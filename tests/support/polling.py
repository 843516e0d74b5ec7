"""Waiting in a test for something another thread or process does."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def eventually(
    check: Callable[[], object], what: str, seconds: float, *, every: float = 0.05
) -> None:
    """Call ``check`` until it returns something true; fail the test, naming ``what``, when
    it has not after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:g} s for {what}")
        time.sleep(every)
