"""``parley run`` as a real process whose process the test holds: for fault tests that kill
it (``SIGKILL``) rather than stop it.

:func:`parley_process` starts the server as :func:`tests.support.parley_server.running_parley`
does (the same environment, the same readiness wait, the same stop at the end) and yields a
:class:`ParleyProcess` with the ``subprocess.Popen`` of the server itself: ``parley`` is the
console script of the test interpreter, run directly (no shell), so its pid is the Python
process that serves. :meth:`ParleyProcess.kill` sends it ``SIGKILL`` and waits for it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support import parley_server


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
        return self.process.wait(timeout=parley_server.STOP_TIMEOUT_S)

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
    """``parley run project_dir`` on 127.0.0.1, ready; stopped (SIGTERM, then SIGKILL) at
    the end unless the test killed it. The arguments are ``running_parley``'s; ``home`` is
    required, since a test that kills the server restarts one on the same data."""
    with contextlib.ExitStack() as stack:
        home.mkdir(parents=True, exist_ok=True)
        port = port or parley_server.free_port()
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
            [str(parley_server.PARLEY), "run", str(project_dir), "--port", str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
            cwd=home,
        )
        stack.callback(parley_server._stop, process)
        base_url = f"http://127.0.0.1:{port}"
        parley_server._wait_ready(process, base_url, log_path)
        yield ParleyProcess(process=process, base_url=base_url, token=token, log=log_path)
