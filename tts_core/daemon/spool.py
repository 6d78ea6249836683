"""Events the hook wrote to disk while no daemon was running, read back oldest first.

An entry that cannot be an event (not a regular file, a symlink, too large, a torn or foreign
frame) is logged once, counted (:func:`status`) and moved aside into ``rejected/`` (0700), so
that it is never read again and never holds up the good events behind it. Runs on the event
loop: every read is non-blocking (a FIFO planted here must not freeze the daemon) and bounded.
Must not import the pipeline or its adapters.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from tts_core import paths as _paths
from tts_core.errors import PathError
from tts_core.protocol import MAX_FRAME, HookEvent, decode

log = logging.getLogger(__name__)
_warned: dict[Path, str] = {}
MAX_AGE_S = 120.0
"""Older spooled events are dropped as stale: news from before the daemon could start."""
REJECTED = "rejected"
"""The folder, inside the spool, where entries that cannot be read are set aside."""
_STUCK_MAX = 1000


class _Stats:
    """What :func:`drain` set aside, for ``status`` (changed on the event loop only)."""

    rejected = 0
    last: str | None = None
    stuck: set[str] = set()  # noqa: RUF012 (one per process, on purpose)
    """Entries that could not even be moved aside: skipped, so logged only once."""


class _Unreadable(Exception):
    """This spool entry cannot be an event; the message says why."""


def status() -> dict[str, object]:
    """Spool entries set aside since start-up, and the latest reason."""
    return {"rejected": _Stats.rejected, "last_rejected": _Stats.last}


def _read(path: Path) -> bytes:
    """The bytes of a spool file. Raises _Unreadable (not a file of ours, too large),
    FileNotFoundError (gone meanwhile) or OSError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise _Unreadable(exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise _Unreadable("a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise _Unreadable("not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FRAME:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        raise _Unreadable(f"larger than a frame ({MAX_FRAME} bytes)")
    except OSError as exc:
        raise _Unreadable(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


def _set_aside(directory: Path, name: str, why: str) -> None:
    """Move ``name`` into ``rejected/``, count it and say so once."""
    _Stats.rejected += 1
    _Stats.last = f"{name}: {why}"
    try:
        aside = _paths.ensure_private_dir(directory / REJECTED)
        target = aside / name
        if os.path.lexists(target):
            target = aside / f"{name}.{time.time_ns()}"
        os.rename(directory / name, target)
    except (OSError, PathError) as exc:
        if len(_Stats.stuck) < _STUCK_MAX:
            _Stats.stuck.add(name)
        log.warning("spool: %s cannot be read (%s) nor moved aside (%s): skipped", name, why, exc)
        return
    log.warning("spool: %s cannot be read (%s): moved to %s", name, why, target)


def drain(
    directory: Path,
    accept: Callable[[HookEvent], object],
    reject: Callable[[str, str], None],
) -> int:
    """Hand each spooled event to ``accept`` (or ``reject(outcome, reason)``); delete the files.
    Entries that cannot be events are moved aside (see the module's docstring); those that
    were files are booked as failed through ``reject``.

    Returns the number of entries looked at.
    """
    try:
        names = sorted(
            n
            for n in os.listdir(directory)
            if not n.startswith(".") and n != REJECTED and n not in _Stats.stuck
        )
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
            data = _read(path)
        except FileNotFoundError:
            continue
        except _Unreadable as exc:
            was_file = _is_regular(path)  # a file meant as an event (too large): booked
            _set_aside(directory, name, str(exc))
            if was_file:
                reject("failed", f"unreadable spool file {name}: {exc}")
            continue
        try:
            message = decode(data)
        except Exception as exc:
            _set_aside(directory, name, str(exc))
            reject("failed", f"unreadable spool file {name}: {exc}")
            continue
        if not isinstance(message, HookEvent):
            why = f"holds a {message.TYPE!r}, not a hook event"
            _set_aside(directory, name, why)
            reject("failed", f"spool file {name} {why}")
            continue
        try:
            path.unlink()
        except OSError as exc:
            if not isinstance(exc, FileNotFoundError):
                _set_aside(directory, name, f"cannot be removed: {exc.strerror or exc}")
            continue  # never taken while it stays: it would be taken again at every poll
        age = time.time() - message.sent_at
        if message.sent_at and age > MAX_AGE_S:
            log.info("spooled event %s is %.0f s old: dropped", name, age)
            reject("dropped", "stale")
            continue
        log.info("spooled event %s", name)
        accept(message)
    return len(names)


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
