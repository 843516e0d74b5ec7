"""A real Rasa SDK action server (the ``rasa-sdk`` package from PyPI) for integration tests.

``rasa-sdk`` pins its own versions of pydantic, ruamel.yaml, Sanic and friends, which need not
agree with Parley's, so it lives in a virtual environment of its own, ``<clone>/.venv-rasa-sdk``,
made on first use by :func:`ensure_rasa_sdk_venv` (about 15 s with PyPI reachable; instant once
its stamp file names the current :data:`RASA_SDK_REQUIREMENT`).

The actions the servers run are the modules in ``tests/action_server/`` (one per shared bot, plus
``diagnostics``). They import ``rasa_sdk``, so they are only ever imported inside that venv:
pytest never collects them (their names do not start with ``test_``).

Typical use in a test module::

    @pytest.fixture(scope="module")
    def action_servers() -> Iterator[ActionServerPool]:
        with action_server_pool() as pool:  # skips (or fails under CI=true) without the venv
            yield pool

    def test_something(action_servers: ActionServerPool) -> None:
        url = action_servers.url("formbot")  # http://127.0.0.1:<port>/webhook

or, for one server with a lifetime of its own::

    with running_action_server("formbot") as url:
        ...

Each server gets a fresh temporary directory as ``TMPDIR`` (removed when it stops) and, unless
the caller overrides it, ``PARLEY_SHARED_BOTS_DIR`` pointing at ``<clone>/../shared/bench/bots``
so that actions can read their data files (insurance-demo's ``mock_data.json``, the knowledge
base of knowledgebasebot) where they lie, without copies in this repository.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.services import unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
ACTIONS_DIR = REPO_ROOT / "tests" / "action_server"
SHARED_BOTS_DIR = REPO_ROOT.parent / "shared" / "bench" / "bots"

RASA_SDK_REQUIREMENT = "rasa-sdk>=3.21,<3.22"
"""What the action-server venv installs. 3.11 is the oldest rasa-sdk that installs on Python 3.11
(3.0–3.10 declare ``<3.11``); 3.21 is the newest line and its whole dependency tree comes as
wheels. The webhook protocol is the one Rasa 3.x speaks (see ``diagnostics.py``)."""

VENV_DIR = REPO_ROOT / ".venv-rasa-sdk"
_VENV_LOCK = REPO_ROOT / ".venv-rasa-sdk.lock"
_VENV_STAMP = VENV_DIR / ".parley-requirement"
_PIP_TIMEOUT_S = 900.0
_PIP_OPTIONS = ("-q", "--retries", "2", "--timeout", "30")  # fail soon without a network

STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
SHARED_BOTS_ENV = "PARLEY_SHARED_BOTS_DIR"

_failures: list[RasaSdkUnavailableError] = []  # a failed setup, not retried in this process
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


class RasaSdkUnavailableError(RuntimeError):
    """The action-server venv could not be created (typically: no network to reach PyPI)."""


class ActionServerStartError(RuntimeError):
    """The action server died or did not answer ``GET /health`` in time; carries its log."""


def _venv_python() -> Path:
    return VENV_DIR / "bin" / "python"


def _venv_is_ready() -> bool:
    try:
        stamp = _VENV_STAMP.read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return stamp == RASA_SDK_REQUIREMENT and _venv_python().is_file()


def _run(cmd: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def ensure_rasa_sdk_venv() -> Path:
    """The Python executable of ``.venv-rasa-sdk``, creating or updating the venv when needed.

    Idempotent and cheap once done: the venv's stamp file holds the requirement it was made for,
    and a matching stamp means nothing runs. Concurrent callers (several pytest processes) are
    serialised by an exclusive ``fcntl`` lock on ``.venv-rasa-sdk.lock``.

    Raises:
        RasaSdkUnavailableError: the venv could not be made or ``pip install`` failed (the
            message carries the tail of pip's output).
    """
    if _venv_is_ready():
        return _venv_python()
    if _failures:  # do not retry (and wait for pip again) in every test of this run
        raise _failures[0]
    try:
        return _make_venv()
    except (OSError, subprocess.SubprocessError) as exc:
        failure = RasaSdkUnavailableError(f"could not set up {VENV_DIR}: {exc}")
        _failures.append(failure)
        raise failure from exc
    except RasaSdkUnavailableError as exc:
        _failures.append(exc)
        raise


def _make_venv() -> Path:
    with open(_VENV_LOCK, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            if _venv_is_ready():  # another process finished it while we waited
                return _venv_python()
            _VENV_STAMP.unlink(missing_ok=True)
            python = _venv_python()
            if not python.is_file() or _run([str(python), "-c", ""], timeout=60).returncode:
                made = _run([sys.executable, "-m", "venv", "--clear", str(VENV_DIR)], timeout=300)
                if made.returncode != 0:
                    raise RasaSdkUnavailableError(
                        f"could not create {VENV_DIR}: {_tail(made.stdout + made.stderr)}"
                    )
            installed = _run(
                [str(python), "-m", "pip", "install", *_PIP_OPTIONS, RASA_SDK_REQUIREMENT],
                timeout=_PIP_TIMEOUT_S,
            )
            if installed.returncode != 0:
                raise RasaSdkUnavailableError(
                    f"pip install {RASA_SDK_REQUIREMENT!r} into {VENV_DIR} failed "
                    f"(exit {installed.returncode}; is PyPI reachable?): "
                    f"{_tail(installed.stdout + installed.stderr)}"
                )
            checked = _run([str(python), "-c", "import rasa_sdk"], timeout=120)
            if checked.returncode != 0:
                raise RasaSdkUnavailableError(
                    f"rasa_sdk does not import in {VENV_DIR}: {_tail(checked.stderr)}"
                )
            _VENV_STAMP.write_text(RASA_SDK_REQUIREMENT + "\n", encoding="utf-8")
            return python
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def require_rasa_sdk_venv() -> Path:
    """:func:`ensure_rasa_sdk_venv` for tests: skips the test when the venv cannot be made, or
    fails it under ``CI=true`` (CI reaches PyPI, so there it is a real failure)."""
    try:
        return ensure_rasa_sdk_venv()
    except RasaSdkUnavailableError as exc:
        unavailable(f"the rasa-sdk action server is unavailable: {exc}")


def _tail(text: str, lines: int = 30) -> str:
    kept = [line for line in text.strip().splitlines() if not line.startswith("WARNING: Location")]
    return "\n".join(kept[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _module_exists(module: str) -> bool:
    return (ACTIONS_DIR / f"{module}.py").is_file() or (ACTIONS_DIR / module).is_dir()


@dataclass
class ActionServer:
    """A running ``python -m rasa_sdk`` process (see :func:`start_action_server`)."""

    module: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    started_in_s: float = 0.0
    _stopped: bool = field(default=False, repr=False)
    _final_log: str | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        """What Parley's ``action_endpoint.url`` is set to."""
        return f"{self.base_url}/webhook"

    def log(self) -> str:
        """Everything the server printed so far (stdout and stderr together); after it stopped,
        everything it printed."""
        if self._final_log is not None:
            return self._final_log
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def get_json(self, path: str) -> Any:
        """``GET <base_url><path>`` decoded as JSON (for ``/health`` and ``/actions``)."""
        with _LOCAL.open(f"{self.base_url}{path}", timeout=10) as reply:
            return json.loads(reply.read().decode("utf-8"))

    def action_names(self) -> list[str]:
        """The actions the server registered (its ``GET /actions``), sorted."""
        return sorted(item["name"] for item in self.get_json("/actions"))

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL for its process group) and reaps it."""
        if self._stopped:
            return
        self._stopped = True
        proc = self.process
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _kill_group(proc.pid)
                proc.wait(timeout=STOP_TIMEOUT_S)
        # Sanic runs the app in worker processes of the same (new) session; reap stragglers.
        _kill_group(proc.pid)
        self._final_log = self.log()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _health_ok(port: int) -> bool:
    try:
        with _LOCAL.open(f"http://127.0.0.1:{port}/health", timeout=1) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


@contextlib.contextmanager
def start_action_server(
    module: str,
    *,
    env: Mapping[str, str] | None = None,
    python: Path | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> Iterator[ActionServer]:
    """Runs ``python -m rasa_sdk --actions <module> --port <free port>`` for the module
    ``tests/action_server/<module>.py`` (or package), yields it once ``GET /health`` answers 200,
    and stops it on exit.

    Args:
        module: a module (or package) name in ``tests/action_server``.
        env: extra environment variables for the server (they win over the defaults).
        python: the interpreter to run it with; :func:`ensure_rasa_sdk_venv` by default.
        startup_timeout: seconds to wait for ``/health``.

    Raises:
        ActionServerStartError: the server exited or did not get healthy; the message holds
            its log.
    """
    if not _module_exists(module):
        raise ValueError(f"no actions module {module!r} in {ACTIONS_DIR}")
    interpreter = python or ensure_rasa_sdk_venv()
    with tempfile.TemporaryDirectory(prefix=f"parley-actions-{module}-") as scratch:
        child_env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"}
        }
        child_env.update(
            {
                "PYTHONPATH": str(ACTIONS_DIR),
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
                "SANIC_HOST": "127.0.0.1",  # the SDK listens on 0.0.0.0 otherwise
                "TMPDIR": scratch,
                SHARED_BOTS_ENV: str(SHARED_BOTS_DIR),
            }
        )
        child_env.update(env or {})
        server = _launch(module, interpreter, child_env, Path(scratch), startup_timeout)
        try:
            yield server
        finally:
            server.stop()


def _launch(
    module: str, python: Path, env: dict[str, str], scratch: Path, startup_timeout: float
) -> ActionServer:
    last_error = ""
    for attempt in range(3):  # a free port can be taken between probing and binding it
        port = _free_port()
        log_path = scratch / f"server-{attempt}.log"
        began = time.monotonic()
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                [str(python), "-m", "rasa_sdk", "--actions", module, "--port", str(port)],
                cwd=ACTIONS_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = ActionServer(module=module, port=port, process=process, log_path=log_path)
        deadline = began + startup_timeout
        while True:
            if _health_ok(port) and process.poll() is None:
                server.started_in_s = time.monotonic() - began
                return server
            if process.poll() is not None:
                server.stop()
                last_error = (
                    f"the action server for {module!r} exited with code {process.returncode} "
                    f"before answering /health; its log:\n{_tail(server.log(), 60)}"
                )
                break
            if time.monotonic() > deadline:
                server.stop()
                raise ActionServerStartError(
                    f"the action server for {module!r} did not answer GET /health on port "
                    f"{port} within {startup_timeout:.0f} s; its log:\n{_tail(server.log(), 60)}"
                )
            time.sleep(0.1)
        if "address already in use" not in server.log().lower():
            break
    raise ActionServerStartError(last_error)


@contextlib.contextmanager
def running_action_server(module: str, *, env: dict[str, str] | None = None) -> Iterator[str]:
    """Runs the action server for ``tests/action_server/<module>.py`` and yields its webhook
    URL, ``http://127.0.0.1:<port>/webhook``. Use :func:`start_action_server` to also reach the
    server's log."""
    with start_action_server(module, env=env) as server:
        yield server.webhook_url


class ActionServerPool:
    """Starts each module's server on first use and keeps it for the pool's lifetime."""

    def __init__(self, *, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(env or {})
        self._stack = contextlib.ExitStack()
        self._servers: dict[str, ActionServer] = {}

    def server(self, module: str) -> ActionServer:
        if module not in self._servers:
            self._servers[module] = self._stack.enter_context(
                start_action_server(module, env=self._env)
            )
        return self._servers[module]

    def url(self, module: str) -> str:
        """The webhook URL of ``module``'s server."""
        return self.server(module).webhook_url

    def close(self) -> None:
        self._servers.clear()
        self._stack.close()


@contextlib.contextmanager
def action_server_pool(*, env: Mapping[str, str] | None = None) -> Iterator[ActionServerPool]:
    """An :class:`ActionServerPool` for a fixture; skips (or fails under ``CI=true``) when the
    rasa-sdk venv cannot be made."""
    require_rasa_sdk_venv()
    pool = ActionServerPool(env=env)
    try:
        yield pool
    finally:
        pool.close()


def documented_json(module: str, label: str) -> Any:
    """The JSON block that follows the line ``<label>:`` in the docstring of
    ``tests/action_server/<module>.py``, read without importing the module (it needs rasa_sdk).

    ``diagnostics.py`` documents what ``action_emit_all_events`` returns this way, e.g.
    ``documented_json("diagnostics", "action_emit_all_events events")``.
    """
    source = (ACTIONS_DIR / f"{module}.py").read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source)) or ""
    marker = f"{label}:"
    lines = docstring.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == marker:
            block: list[str] = []
            for following in lines[index + 1 :]:
                if not following.strip() and block:
                    break
                block.append(following)
            return json.loads("\n".join(block))
    raise KeyError(f"no {marker!r} block in the docstring of {module}.py")
