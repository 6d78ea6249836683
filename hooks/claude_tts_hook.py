"""Claude Code hook for claude-tts: one script for every event.

Run as ``python -S -I claude_tts_hook.py``. It forwards stdin (the event) and the relevant
``CLAUDE_*`` variables to the claude-tts daemon and exits 0 with nothing on stdout, whatever
happens: a speech hook must never slow or break Claude Code. One deadline covers reading
stdin, connecting, sending and the daemon's answer: the hook is done about 0.2 s after it
started at the latest. An event the daemon did not take in that time (absent, hung, flooded)
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
STDIN_S = 0.1
"""Longest wait for stdin's end (Claude Code writes the event at once and closes it)."""
DELIVERY_S = 0.15
"""From the start, the end of connecting, sending and the answer: spooling and starting the
daemon, when needed, take a few milliseconds more (250 ms from process start at the most)."""
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
        if root and os.path.isfile(os.path.join(root, "tts_core", "protocol.py")):
            sys.path.insert(0, root)
            return
    raise ImportError(f"no tts_core package in any of: {', '.join(roots)}")


def _read_stdin(limit: int, deadline: float) -> tuple[bytes, bool]:
    """Read stdin to EOF or ``deadline``, keeping at most ``limit`` bytes (and whether there
    was more)."""
    import select

    fd = sys.stdin.fileno()
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            break  # stdin held open: send what came
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size - len(chunk) < limit:
            chunks.append(chunk[: limit - (size - len(chunk))])
    return b"".join(chunks), size > limit


def _log(message: str) -> None:
    """One line in the hook log; without the package, in ERROR_LOG next to this file (and, if
    that folder is read-only, in the temporary directory), where ``claude-tts doctor`` looks."""
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} pid={os.getpid()} {message}\n"
    try:
        from tts_core import paths

        p = paths.resolve()
        paths.ensure_private_dir(p.log)
        targets = [str(p.hook_log)]
    except Exception:
        here = os.path.dirname(os.path.realpath(__file__))
        fallback = os.path.join("/tmp", f"claude-tts-{os.getuid()}-{ERROR_LOG}")
        targets = [os.path.join(here, ERROR_LOG), fallback]
    for target in targets:
        try:
            with open(target, "a", encoding="utf-8") as fh:
                fh.write(line)
            return
        except OSError:
            continue  # nowhere left to report; never disturb Claude Code


def main() -> None:
    _add_package_to_path()
    from tts_core import client
    from tts_core.errors import PathError
    from tts_core.protocol import MAX_RAW, hook_frame

    raw, truncated = _read_stdin(MAX_RAW, STARTED_MONO + STDIN_S)
    env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    frame = hook_frame(raw, env, STARTED, os.urandom(8).hex(), truncated)
    found = client.deliver(frame, STARTED_MONO + DELIVERY_S)
    if found == client.ACCEPTED:
        return
    try:
        if client.spool(frame) is None:
            _log("spool is full; event dropped")
    except (OSError, PathError) as exc:  # a full disk: the daemon must still be started
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        _log(f"cannot spool the event ({why}); event dropped")
    if found == client.ABSENT and os.environ.get("CLAUDE_TTS_AUTOSPAWN", "1") != "0":
        client.spawn_daemon()


if __name__ == "__main__":
    try:
        main()
    except BaseException as exc:
        _log(f"hook error: {type(exc).__name__}: {exc}")
    os._exit(0)  # skip interpreter teardown: nothing is left to flush
