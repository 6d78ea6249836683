"""One process-wide lock for pyopenjtalk, which is not re-entrant: the Open JTalk engine and the
Kokoro voice (whose readings come from pyopenjtalk) both call it from worker threads, so a lock
per engine would not keep them apart. A threading lock, taken inside the worker thread, because
the callers are threads, not coroutines. Imports nothing of ours and no third-party module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

JTALK_LOCK = threading.Lock()
"""Held around every call into pyopenjtalk in this process."""


def locked(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` with :data:`JTALK_LOCK` held (call it from a worker thread)."""
    with JTALK_LOCK:
        return fn(*args, **kwargs)
