"""Stand-ins for a job's training process, for the supervisor's tests: real processes
(spawned, as workers start them) that do no training. Top-level functions, so that a
spawned process can import them."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any


def sleep_then_exit(seconds: float, code: int) -> None:
    time.sleep(seconds)
    os._exit(code)


def kill_self(signum: int) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(60)


def ignore_sigterm_and_sleep(ready_file: str, seconds: float) -> None:
    """Ignore SIGTERM, then say so by writing ``ready_file``, and sleep."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    write_pid_then_sleep(ready_file, seconds)


def write_pid_then_sleep(path: str, seconds: float) -> None:
    Path(path).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(seconds)


class Starter:
    """A ``start`` for the supervisor: spawns ``target(*args)`` and remembers the processes."""

    def __init__(self, target: Callable[..., Any], *args: Any) -> None:
        self.target = target
        self.args = args
        self.processes: list[BaseProcess] = []
        self.job_ids: list[int] = []

    def __call__(self, job_id: int) -> BaseProcess:
        process = multiprocessing.get_context("spawn").Process(target=self.target, args=self.args)
        process.start()
        self.processes.append(process)
        self.job_ids.append(job_id)
        return process


def grandchild_with_lifeline(pid_file: str) -> None:
    """Starts a process that dies with this one (``die_with_parent``), writes its pid to
    ``pid_file``, and waits to be killed."""
    process = multiprocessing.get_context("spawn").Process(
        target=_tied_to_parent, args=(os.getpid(), pid_file)
    )
    process.start()
    time.sleep(120)


def _tied_to_parent(parent: int, pid_file: str) -> None:
    from parley.worker.lifeline import die_with_parent

    die_with_parent(parent)
    write_pid_then_sleep(pid_file, 120)
