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
import hashlib
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
import psycopg
import pytest
from sqlalchemy.engine import make_url

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
    to restart a server on the same data); ``DATABASE_URL`` defaults to
    :func:`home_database_url`. ``env`` adds or overrides environment variables
    (``DATABASE_URL`` included).
    """
    with contextlib.ExitStack() as stack:
        if home is None:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="parley-home-")))
        served = stack.enter_context(
            parley_process(project_dir, home=home, env=env, port=port, args=args)
        )
        yield served.base_url, served.token


def _wait_ready(
    process: subprocess.Popen[bytes], base_url: str, log: Path, path: str = "/ready"
) -> None:
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
                answer = client.get(path)
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


def home_database_url(home: Path) -> str:
    """The database of the Parley processes started with ``home`` (unless a test names
    one): a SQLite file there, or, when the test run's own ``DATABASE_URL`` names a
    PostgreSQL server, a database of that server kept for this home (so a restart with the
    same home finds its data; :func:`drop_home_databases` removes them all)."""
    run_url = os.environ.get("DATABASE_URL", "")
    if not run_url.startswith("postgresql"):
        return f"sqlite:///{home / 'parley.db'}"
    name = HOME_DATABASE_PREFIX + hashlib.sha1(str(home.resolve()).encode()).hexdigest()[:16]
    server = make_url(run_url)
    with psycopg.connect(
        server.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False
        ),
        autocommit=True,
    ) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    return server.set(database=name).render_as_string(hide_password=False)


HOME_DATABASE_PREFIX = "parley_home_"


def drop_home_databases() -> None:
    """Drop the databases :func:`home_database_url` made (at the end of the test run)."""
    run_url = os.environ.get("DATABASE_URL", "")
    if not run_url.startswith("postgresql"):
        return
    admin_url = make_url(run_url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as admin:
        names = admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            (HOME_DATABASE_PREFIX + "%",),
        ).fetchall()
        for (name,) in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class ParleyProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    token: str
    log: Path
    database_url: str

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
    project_dir: Path | None,
    *,
    home: Path,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    args: tuple[str, ...] = (),
    command: tuple[str, ...] | None = None,
    ready: str = "/ready",
) -> Iterator[ParleyProcess]:
    """``parley run project_dir`` on 127.0.0.1, ready, as the process itself (``parley`` is
    the console script of the test interpreter, run directly, so its pid is the server's):
    for fault tests that kill it. Stopped (SIGTERM, then SIGKILL) at the end unless the test
    killed it. The arguments are :func:`running_parley`'s; ``home`` is required, since a
    test that kills the server restarts one on the same data. ``command`` replaces
    ``run project_dir`` (``("serve", "--role", "bot")``, say); ``ready`` is the path that
    must answer 200 before the process counts as started."""
    with contextlib.ExitStack() as stack:
        home.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        token = (env or {}).get("PARLEY_AUTH_TOKEN") or secrets.token_urlsafe(16)
        environ = {
            **os.environ,
            "PARLEY_HOME": str(home),
            "PARLEY_AUTH_TOKEN": token,
            "NO_COLOR": "1",
            **(env or {}),
        }
        if "DATABASE_URL" not in (env or {}):
            environ["DATABASE_URL"] = home_database_url(home)
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            environ.pop(name, None)
        log_path = home / f"parley-run-{port}.log"
        log = stack.enter_context(log_path.open("wb"))
        if command is None:
            assert project_dir is not None, "give the project folder, or the command"
            command = ("run", str(project_dir))
        process = subprocess.Popen(
            [str(PARLEY), *command, "--port", str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
            cwd=home,
        )
        stack.callback(_stop, process)
        base_url = f"http://127.0.0.1:{port}"
        _wait_ready(process, base_url, log_path, ready)
        yield ParleyProcess(
            process=process,
            base_url=base_url,
            token=token,
            log=log_path,
            database_url=environ["DATABASE_URL"],
        )
