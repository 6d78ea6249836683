"""Claude Code hook for claude-tts: one script for every event.

Run as ``python -S -I claude_tts_hook.py``. It forwards stdin (the event) and the relevant
``CLAUDE_*`` variables to the claude-tts daemon and exits 0 with nothing on stdout, whatever
happens: a speech hook must never slow or break Claude Code. Reading stdin has its own
budget, counted from the first read (a busy machine can spend any fixed budget on start-up
alone), and what is already waiting on stdin is always read whole; one deadline then covers
connecting, sending and the daemon's answer. A read cut short is flagged ``partial`` and
logged. An event the daemon did not take in that time (absent, hung, flooded)
is spooled for it, with an id so that the daemon takes it only once; when no daemon is there,
it is started, fully detached. Problems go to the hook log.

Standard library only, and only the light layer of tts_core (errors, paths, protocol, client).
"""

from __future__ import annotations

import os
import sys
import time

STARTED = time.time()
STARTED_MONO = time.monotonic()
STDIN_FIRST_S = 1.0
"""Longest wait for the first byte of stdin, counted from the first read (not from process
start: on a busy machine the imports alone can take longer than any budget). Claude Code always
writes the event, so a silent stdin means a slow writer, not an empty event."""
STDIN_S = 0.1
"""Longest wait for stdin's end after the last byte came (Claude Code writes the event at once
and closes it; a stdin held open costs this much). Bytes already waiting are always read."""
STDIN_MAX_S = 1.0
"""No more waiting for stdin after this, from the first read (a writer that drips, a big
event written through a full pipe on a busy machine)."""
PIPE_BUF_FULL = 65536
"""A read this large emptied a full pipe (Linux's and macOS's default capacity)."""
DELIVERY_S = 0.15
"""From the start, the end of connecting, sending and the answer: spooling and starting the
daemon, when needed, take a few milliseconds more."""
DELIVERY_MIN_S = 0.05
"""At least this long for the daemon after stdin was read, when reading ran past DELIVERY_S
(a busy machine): the socket is worth trying before the spool. The hook's whole time is thus
bounded: start-up, at most STDIN_MAX_S of waiting for stdin, then at most DELIVERY_MIN_S."""
FORWARDED_ENV = (
    "CLAUDE_CODE_SESSION_ATTENDED",
    "CLAUDE_PROJECT_DIR",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SESSION_ID",
    "CLAUDE_PID",
)


PACKAGE_ROOT_FILE = "package-root"
"""Written next to the installed hook by install.sh: the folder that holds ``tts_core``."""
ERROR_LOG = "hook-error.log"
"""Where the hook reports, next to itself, when it cannot even import the package."""


def _package_roots(here: str) -> list[str]:
    """Where ``tts_core`` may be, best first: a source checkout or plugin root (the hook's
    parent folder); the folder install.sh recorded; the site-packages of the venv whose
    interpreter runs us. Under ``-S`` sys.prefix is the base interpreter's and Debian's default
    sysconfig scheme (posix_local) names a folder that does not exist, so the venv is found
    from sys.executable and its site-packages through the ``venv`` scheme (3.11+)."""
    roots = [os.path.dirname(here)]
    try:
        with open(os.path.join(here, PACKAGE_ROOT_FILE), encoding="utf-8") as fh:
            roots.append(fh.read().strip())
    except OSError:
        pass
    venv = os.path.dirname(os.path.dirname(sys.executable))
    if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
        import sysconfig

        where = {"base": venv, "platbase": venv}
        for scheme in ("venv", "posix_prefix"):
            try:  # noqa: SIM105 (contextlib would cost the hook an import)
                roots.append(sysconfig.get_path("purelib", scheme, vars=where))
            except KeyError:
                pass
    return roots


def _add_package_to_path() -> None:
    """Make ``tts_core`` importable under ``-S -I`` (no site-packages, no PYTHONPATH).

    Raises ImportError naming every place looked in."""
    here = os.path.dirname(os.path.realpath(__file__))
    roots = _package_roots(here)
    for root in roots:
        if root and os.path.isfile(os.path.join(root, "tts_core", "protocol", "frames.py")):
            sys.path.insert(0, root)
            return
    raise ImportError(f"no tts_core package in any of: {', '.join(roots)}")


def _read_stdin(limit: int) -> tuple[bytes, bool, bool]:
    """Read stdin to EOF, keeping at most ``limit`` bytes: (data, more than ``limit`` came,
    cut short: stdin was still open when the waiting ended). Waiting is bounded (see
    STDIN_FIRST_S, STDIN_S, STDIN_MAX_S, all counted from this call); bytes already waiting
    are read whatever the time, so a payload written before we got here arrives whole."""
    import select

    fd = sys.stdin.fileno()
    chunks: list[bytes] = []
    size = 0
    now = time.monotonic()
    end = now + STDIN_MAX_S
    quiet = now + STDIN_FIRST_S  # no byte by then: give up waiting
    while True:
        wait = max(0.0, min(quiet, end) - time.monotonic())
        if not select.select([fd], [], [], wait)[0]:
            return b"".join(chunks), False, True  # stdin held open: send what came
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), False, False
        if size + len(chunk) > limit:
            chunks.append(chunk[: limit - size])
            return b"".join(chunks), True, False
        size += len(chunk)
        chunks.append(chunk)
        # A chunk that filled the pipe: the writer is likely blocked on it, waiting for a
        # busy machine to run it again (a big event), not done: keep waiting, up to the cap.
        quiet = time.monotonic() + (STDIN_MAX_S if len(chunk) >= PIPE_BUF_FULL else STDIN_S)


def _append(path: str, line: str) -> None:
    """Add ``line`` to the log file ``path``: never through a symlink, only to a regular file
    of ours, created 0600. Raises OSError otherwise (the caller tries the next place)."""
    import stat

    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            raise OSError(f"{path} is not a file of ours")
        os.write(fd, line.encode("utf-8", "replace"))
    finally:
        os.close(fd)


def _log(message: str) -> None:
    """One line in the hook log; without the package, in ERROR_LOG next to this file (and, if
    that cannot be written, in the temporary directory), where ``claude-tts doctor`` looks."""
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} pid={os.getpid()} {message}\n"
    try:
        from tts_core import paths

        p = paths.resolve()
        paths.ensure_private_dir(p.log)
        targets = [str(p.hook_log)]
    except Exception:
        here = os.path.dirname(os.path.realpath(__file__))
        tmp = os.environ.get("TMPDIR") or "/tmp"
        fallback = os.path.join(tmp, f"claude-tts-{os.getuid()}-{ERROR_LOG}")
        targets = [os.path.join(here, ERROR_LOG), fallback]
    for target in targets:
        try:
            _append(target, line)
            return
        except OSError:
            continue  # nowhere left to report; never disturb Claude Code


def main() -> None:
    _add_package_to_path()
    from tts_core import client
    from tts_core.errors import PathError
    from tts_core.protocol import MAX_RAW, hook_frame

    raw, truncated, cut = _read_stdin(MAX_RAW)
    if cut:
        _log(f"stdin still open when the wait for it ended: sent the {len(raw)} bytes read so far")
    env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    frame = hook_frame(raw, env, STARTED, os.urandom(8).hex(), truncated, partial=cut)
    deadline = max(STARTED_MONO + DELIVERY_S, time.monotonic() + DELIVERY_MIN_S)
    found = client.deliver(frame, deadline)
    if found == client.ACCEPTED:
        return
    courier = False  # nowhere on disk for it: a courier carries it to the daemon
    try:
        if client.spool(frame) is None:
            _log("spool is full; event dropped")
    except (OSError, PathError) as exc:  # a full disk: the daemon must still be started
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        _log(f"cannot spool the event ({why}); a courier takes it to the daemon")
        courier = True
    if found == client.ABSENT and os.environ.get("CLAUDE_TTS_AUTOSPAWN", "1") != "0":
        try:
            client.spawn_daemon()
        except PathError as exc:  # it could not start either: say why, start nothing
            _log(f"cannot start the daemon: {exc}")
            return
    if courier:
        client.carry(frame)


if __name__ == "__main__":
    try:
        main()
    except BaseException as exc:
        _log(f"hook error: {type(exc).__name__}: {exc}")
    os._exit(0)  # skip interpreter teardown: nothing is left to flush
