"""Worker processes that end with the app that started them.

The app renders reports and makes photo copies in pools of worker processes (forkserver). A
pool worker waits for work on a pipe whose writing end it holds itself, so it never notices
that the app is gone when the app dies without shutting its pools down (SIGKILL, the OOM
killer, a SIGTERM before the app set its handlers): it lives on, a few hundred MB with
WeasyPrint or Pillow loaded, and keeps the forkserver alive with it, restart after restart.

:func:`follow_app`, called in a worker's initializer with the app's pid, ends the worker when
that process ends. Kept free of heavy imports: both pools' workers import it.
"""

from __future__ import annotations

import os
import select
import threading
import time

POLL_SECONDS = 1.0
"""Where the kernel cannot watch a process for us, how often to look for the app."""


def follow_app(app_pid: int) -> None:
    """End this process as soon as the process ``app_pid`` has ended."""
    try:
        handle: int | None = os.pidfd_open(app_pid)
    except ProcessLookupError:
        os._exit(0)  # the app died before this worker started
    except (AttributeError, OSError):
        handle = None  # no pidfd here (not Linux, or an old kernel): poll instead
    thread = threading.Thread(target=_watch, args=(app_pid, handle), name="follow-app", daemon=True)
    thread.start()


def _watch(app_pid: int, handle: int | None) -> None:
    if handle is not None:
        # A pidfd becomes readable when its process ends; no pid reuse can fool it.
        select.select([handle], [], [])
    else:
        while _alive(app_pid):
            time.sleep(POLL_SECONDS)
    # Work in hand is the dead app's: nobody is left to take its result.
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # there, though not ours to signal
    return True
