"""Running the daemon as a process: one per user (a lock), logging, signals, the event loop.

The only module that owns the process: it takes the lock, installs the signal handlers and runs
the event loop around :class:`~tts_core.daemon.service.Daemon` (imported after the cheap
checks, and never the other way round).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import logging.handlers
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tts_core import paths as _paths
from tts_core.errors import ClaudeTTSError, DaemonAlreadyRunning

if TYPE_CHECKING:
    from tts_core.daemon.service import Daemon

log = logging.getLogger(__name__)


def _inherited_lock(paths: _paths.Paths) -> int | None:
    """The lock the spawning hook took for us (``client.LOCK_FD_ENV``), if it is the lock file
    and still ours; never handed on to our own children."""
    from tts_core.client import LOCK_FD_ENV

    value = os.environ.pop(LOCK_FD_ENV, "")
    if not value.isdigit():
        return None
    fd = int(value)
    try:
        held, there = os.fstat(fd), os.stat(paths.lockfile)
        if (held.st_dev, held.st_ino) != (there.st_dev, there.st_ino):
            return None  # not the lock file: not ours to use or close
        os.set_inheritable(fd, False)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours already: this only checks it
    except OSError:
        return None
    return fd


def acquire_lock(paths: _paths.Paths) -> int:
    """Take the per-user daemon lock (held until the process exits). Raises if taken."""
    _paths.ensure_private_dir(paths.runtime)
    inherited = _inherited_lock(paths)
    if inherited is not None:
        return inherited
    fd = os.open(paths.lockfile, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        pid = ""
        with contextlib.suppress(OSError):
            pid = paths.pidfile.read_text().strip()
        raise DaemonAlreadyRunning(
            f"claude-tts daemon is already running{f' (pid {pid})' if pid else ''}"
        ) from None
    return fd


def environment_names() -> list[str]:
    """The names (never the values) of the variables this daemon runs with, for the log and
    ``status``: a hook-spawned daemon has only the allow-listed ones (``client.ENV_ALLOWED``)."""
    return sorted(os.environ)


def setup_logging(paths: _paths.Paths, to_stderr: bool = False) -> None:
    _paths.ensure_private_dir(paths.log)
    handler: logging.Handler = logging.handlers.RotatingFileHandler(
        paths.daemon_log, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(fmt)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    if to_stderr:
        stream = logging.StreamHandler()
        stream.setFormatter(fmt)
        root.addHandler(stream)


def install_signals(
    loop: asyncio.AbstractEventLoop, stop: Callable[[], None], socket_path: Path
) -> None:
    """First SIGTERM/SIGINT/SIGHUP: graceful stop. A second one: exit at once."""
    count = 0

    def on_signal() -> None:
        nonlocal count
        count += 1
        if count > 1:
            log.warning("second signal: exiting now")
            with contextlib.suppress(OSError):
                socket_path.unlink()
            os._exit(1)
        log.info("signal received: shutting down")
        stop()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, on_signal)


async def _confirm_started(paths: _paths.Paths) -> None:
    """Once we listen (the daemon writes its pid file then), clear the hooks' count of failed
    starts: the next daemon that dies, however young, is started again at the next event."""
    mine = f"{os.getpid()}"
    for _ in range(1200):  # a minute at most
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if paths.pidfile.read_text().strip() == mine:
                with contextlib.suppress(FileNotFoundError):
                    paths.spawn_stamp.unlink()
                return
        await asyncio.sleep(0.05)


async def _main(paths: _paths.Paths, factory: Callable[[_paths.Paths], Daemon]) -> None:
    daemon = factory(paths)
    install_signals(asyncio.get_running_loop(), daemon.request_stop, paths.socket)
    confirm = asyncio.get_running_loop().create_task(_confirm_started(paths))
    try:
        await daemon.run()
    finally:
        confirm.cancel()


def serve(paths: _paths.Paths, *, verbose: bool = False) -> None:
    """Run the daemon in the foreground until SIGTERM or a shutdown request."""
    from tts_core.daemon.service import Daemon  # the heavy part, after the cheap checks

    setup_logging(paths, to_stderr=verbose)  # first: why it could not start goes there too
    try:
        _paths.check_runtime(paths)
        lock = acquire_lock(paths)
    except ClaudeTTSError as exc:
        log.error("the daemon cannot start: %s", exc)
        raise
    try:
        log.info("environment: %s", " ".join(environment_names()))
        asyncio.run(_main(paths, Daemon))
    except Exception as exc:
        log.exception("the daemon stopped on an error: %s", exc)
        raise
    finally:
        os.close(lock)
