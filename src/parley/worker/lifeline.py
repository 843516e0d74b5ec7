"""Tying a process's life to its parent's: a training process must not outlive the worker
that beats for it, or a job whose worker died would go on training with nobody watching.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_WATCH_INTERVAL_S = 0.5


def die_with_parent(parent: int) -> None:
    """End this process at once (no clean-up) when ``parent``, the process that started
    it, ends.

    On Linux the kernel does it (``prctl(PR_SET_PDEATHSIG)``), even when the parent is
    killed with ``kill -9``; elsewhere a thread notices the parent is gone within half a
    second.
    """
    if not (sys.platform.startswith("linux") and _kernel_kills_us()):
        threading.Thread(target=_watch, args=(parent,), name="lifeline", daemon=True).start()
    # The parent may have died before the kernel was told to follow it.
    if os.getppid() != parent:
        os._exit(1)


def _kernel_kills_us() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        done = bool(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        done = False
    if not done:
        logger.debug("prctl(PR_SET_PDEATHSIG) is not available; watching the parent instead")
    return done


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(_WATCH_INTERVAL_S)
    os._exit(1)
