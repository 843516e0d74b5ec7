"""The ``rasa-webchat`` widget from npm, for the browser tests, and the browser to run it.

The widget is never committed (DESIGN.md §7): :func:`webchat_bundle` installs the pinned
:data:`WEBCHAT_VERSION` with npm into ``<clone>/.cache/webchat/`` on first use (about 20 s
with the registry reachable; instant afterwards) and answers the path of its UMD bundle,
``lib/index.js``, which defines ``window.WebChat`` with React and socket.io-client inside.
The exact version is pinned in the generated ``package.json``; npm checks the tarball against
the registry's integrity hash and records it in ``package-lock.json`` beside it.

Without npm, without the registry, or without Debian's Chromium the tests that need them are
skipped with the reason shown; under ``CI=true`` they fail instead, so that CI cannot pass by
skipping (as ``tests/conftest.py`` does for ``../shared``).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import http.server
import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.services import unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache" / "webchat"

WEBCHAT_VERSION = "1.0.1"
"""rasa-webchat 1.0.x speaks socket.io 3 (python-socketio 5 serves 3.x and 4.x clients); the
0.x widgets use socket.io 2, which python-socketio 5 refuses."""

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium: the browser tests never download one."""

_NPM_TIMEOUT_S = 600.0
_NPM_OPTIONS = ("--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
_BUNDLE = Path("node_modules") / "rasa-webchat" / "lib" / "index.js"
_failures: list[str] = []  # a failed install, not retried in this process


def chromium() -> Path:
    """Debian's Chromium, for ``playwright``'s ``executable_path``."""
    if not CHROMIUM.is_file():
        unavailable(
            f"Chromium is not installed at {CHROMIUM}; install it with apt-get install chromium"
        )
    return CHROMIUM


def webchat_bundle(cache_dir: Path = CACHE_DIR) -> Path:
    """The widget's bundle (``…/rasa-webchat/lib/index.js``), installed on first use."""
    bundle = cache_dir / _BUNDLE
    if _installed_version(cache_dir) == WEBCHAT_VERSION and bundle.is_file():
        return bundle
    if _failures:
        unavailable(_failures[0])
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is not on PATH; install Node.js 18+ to run the rasa-webchat tests")
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    # One installer at a time (parallel test processes); the others find it done.
    with open(cache_dir.parent / ".webchat.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version(cache_dir) == WEBCHAT_VERSION and bundle.is_file():
            return bundle
        try:
            _install(npm, cache_dir)
        except (OSError, subprocess.SubprocessError) as error:
            _failures.append(f"could not install rasa-webchat {WEBCHAT_VERSION} with npm: {error}")
            unavailable(_failures[0])
    if not bundle.is_file():
        pytest.fail(f"rasa-webchat {WEBCHAT_VERSION} installed without its bundle {bundle}")
    return bundle


def _installed_version(cache_dir: Path) -> str | None:
    manifest = cache_dir / "node_modules" / "rasa-webchat" / "package.json"
    try:
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None


def _install(npm: str, cache_dir: Path) -> None:
    """npm-installs the widget into a fresh folder beside ``cache_dir``, then swaps it in,
    so that an interrupted install never leaves a half-filled cache behind."""
    staging = Path(tempfile.mkdtemp(prefix="webchat-", dir=cache_dir.parent))
    try:
        package = {
            "name": "parley-webchat-tests",
            "private": True,
            "description": "rasa-webchat for Parley's browser tests (tests/support/webchat.py)",
            "dependencies": {"rasa-webchat": WEBCHAT_VERSION},
        }
        (staging / "package.json").write_text(json.dumps(package, indent=2) + "\n")
        completed = subprocess.run(
            [npm, "install", *_NPM_OPTIONS],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=_NPM_TIMEOUT_S,
            check=False,
        )
        if completed.returncode != 0:
            problem = completed.stderr.strip()[-2000:]
            raise subprocess.SubprocessError(
                f"npm install exited with {completed.returncode}: {problem}"
            )
        if cache_dir.exists():
            shutil.rmtree(cache_dir)
        staging.rename(cache_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Parley webchat test</title></head>
<body>
<script src="webchat.js"></script>
<script>
  WebChat.default({config}, null);
</script>
</body>
</html>
"""


@contextlib.contextmanager
def serving_page(bundle: Path, widget: dict[str, Any]) -> Iterator[str]:
    """An HTTP server on a free port serving a page that mounts the widget with the props
    ``widget`` (``socketUrl``…), and the widget's bundle; yields the page's URL."""
    with tempfile.TemporaryDirectory(prefix="webchat-page-") as folder:
        root = Path(folder)
        (root / "index.html").write_text(
            PAGE.replace("{config}", json.dumps(widget)), encoding="utf-8"
        )
        shutil.copyfile(bundle, root / "webchat.js")
        handler = functools.partial(_QuietHandler, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the test's output is the browser's and the server's."""
