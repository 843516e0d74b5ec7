"""A training process dies with the worker that started it, even one killed with kill -9."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

from tests.support.fake_training import grandchild_with_lifeline
from tests.support.polling import eventually


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return "\nState:\tZ" not in state  # a zombie has ended; only its exit status is left


def test_a_process_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    parent = multiprocessing.get_context("spawn").Process(
        target=grandchild_with_lifeline, args=(str(pid_file),)
    )
    parent.start()
    try:
        eventually(lambda: pid_file.exists() and pid_file.read_text(), "the grandchild's pid", 30)
        grandchild = int(pid_file.read_text())
        assert _alive(grandchild)

        os.kill(parent.pid or 0, signal.SIGKILL)
        parent.join()

        eventually(lambda: not _alive(grandchild), "the grandchild's end", 10)
    finally:
        if parent.is_alive():
            parent.kill()
