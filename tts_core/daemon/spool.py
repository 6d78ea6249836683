"""Events the hook wrote to disk while no daemon was running, read back oldest first."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from tts_core.protocol import HookEvent, decode

log = logging.getLogger(__name__)
_warned: dict[Path, str] = {}
MAX_AGE_S = 120.0
"""Older spooled events are dropped as stale: news from before the daemon could start."""


def drain(
    directory: Path,
    accept: Callable[[HookEvent], object],
    reject: Callable[[str, str], None],
) -> int:
    """Hand each spooled event to ``accept`` (or ``reject(outcome, reason)``); delete the files.

    Returns the number of files read.
    """
    try:
        names = sorted(n for n in os.listdir(directory) if not n.startswith("."))
    except FileNotFoundError:
        return 0
    except OSError as exc:  # not a folder, unreadable: try again later, never end the loop
        why = f"cannot read the spool {directory}: {exc.strerror or exc}"
        if why != _warned.get(directory):  # polled twice a second: say it once
            log.warning("%s", why)
            _warned[directory] = why
        return 0
    _warned.pop(directory, None)
    for name in names:
        path = directory / name
        try:
            data = path.read_bytes()
            path.unlink()
        except OSError:
            continue
        try:
            message = decode(data)
        except Exception as exc:
            reject("failed", f"unreadable spool file {name}: {exc}")
            continue
        if not isinstance(message, HookEvent):
            reject("failed", f"spool file {name} holds a {message.TYPE!r}, not a hook event")
            continue
        age = time.time() - message.sent_at
        if message.sent_at and age > MAX_AGE_S:
            log.info("spooled event %s is %.0f s old: dropped", name, age)
            reject("dropped", "stale")
            continue
        log.info("spooled event %s", name)
        accept(message)
    return len(names)
