"""``parley run`` as a real process, for end-to-end tests.

:func:`running_parley` starts ``parley run DIR --port N`` (the ``parley`` script of the
interpreter running the tests) with its own ``PARLEY_HOME``, ``DATABASE_URL`` and API token,
waits until ``/ready`` answers 200, yields the base URL and the token, and stops the process
(SIGTERM, then SIGKILL) at the end. A server that exits or does not get ready in time fails
the test with the process's output. :func:`parley_process` starts it the same way and yields the
process itself, for tests that kill it.

Typical use::

    with running_parley(project, home=tmp_path) as (base_url, token):
        httpx.post(f"{base_url}/webhooks/rest/webhook", json={"sender": "a", "message": "hi"})
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PARLEY = Path(sys.executable).parent / "parley"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _output(log: Path) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return text[-8000:] or "(no output)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


@contextlib.contextmanager
def running_parley(
    project_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    home: Path | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[tuple[str, str]]:
    """``parley run project_dir`` serving on 127.0.0.1; yields ``(base_url, token)``.

    ``home`` is its ``PARLEY_HOME`` (a new temporary folder when None; pass the same one
    to restart a server on the same data); ``DATABASE_URL`` defaults to the SQLite file
    there. ``env`` adds or overrides environment variables (``DATABASE_URL`` included).
    """
    with contextlib.ExitStack() as stack:
        if home is None:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="parley-home-")))
        served = stack.enter_context(
            parley_process(project_dir, home=home, env=env, port=port, args=args)
        )
        yield served.base_url, served.token


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer yet"
    with httpx.Client(base_url=base_url, timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"`parley run` exited with status {process.returncode} before it was "
                    f"ready; its output:\n{_output(log)}"
                )
            try:
                answer = client.get("/ready")
            except httpx.TransportError as error:
                last = repr(error)
            else:
                if answer.status_code == 200:
                    return
                last = f"{answer.status_code} {answer.text}"
            time.sleep(0.1)  # polling for readiness, not a timing assertion
    pytest.fail(
        f"`parley run` was not ready after {READY_TIMEOUT_S:.0f} s (last /ready: {last}); "
        f"its output:\n{_output(log)}"
    )


@dataclass(frozen=True)
class ParleyProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    token: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> int:
        """``SIGKILL`` the server process itself and reap it; returns its exit status."""
        os.kill(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=STOP_TIMEOUT_S)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-8000:]


@contextlib.contextmanager
def parley_process(
    project_dir: Path,
    *,
    home: Path,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[ParleyProcess]:
    """``parley run project_dir`` on 127.0.0.1, ready, as the process itself (``parley`` is
    the console script of the test interpreter, run directly, so its pid is the server's):
    for fault tests that kill it. Stopped (SIGTERM, then SIGKILL) at the end unless the test
    killed it. The arguments are :func:`running_parley`'s; ``home`` is required, since a
    test that kills the server restarts one on the same data."""
    with contextlib.ExitStack() as stack:
        home.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        token = (env or {}).get("PARLEY_AUTH_TOKEN") or secrets.token_urlsafe(16)
        environ = {
            **os.environ,
            "PARLEY_HOME": str(home),
            "DATABASE_URL": f"sqlite:///{home / 'parley.db'}",
            "PARLEY_AUTH_TOKEN": token,
            "NO_COLOR": "1",
            **(env or {}),
        }
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            environ.pop(name, None)
        log_path = home / f"parley-run-{port}.log"
        log = stack.enter_context(log_path.open("wb"))
        process = subprocess.Popen(
            [str(PARLEY), "run", str(project_dir), "--port", str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
            cwd=home,
        )
        stack.callback(_stop, process)
        base_url = f"http://127.0.0.1:{port}"
        _wait_ready(process, base_url, log_path)
        yield ParleyProcess(process=process, base_url=base_url, token=token, log=log_path)
