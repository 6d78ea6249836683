"""Talking to the daemon: request/reply, spooling, and starting it. Standard library only.

The hook and the CLI use this; neither imports the daemon. Every call has a deadline, so a hung
daemon can delay a hook by at most that long.
"""

from __future__ import annotations

import os
import sys
import time

from tts_core import paths as _paths
from tts_core.errors import DaemonNotRunning, DaemonTimeout, PathError, ProtocolError
from tts_core.protocol import MAX_FRAME, Message, Ping, accepted, decode, encode

TYPE_CHECKING = False  # not typing's: the hook must not pay for importing typing
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

ACCEPTED, ABSENT, BUSY = "accepted", "absent", "busy"
"""What :func:`deliver` found: the daemon took the event; no daemon listens; a daemon is
there but did not take it in time (hung, flooded, refused)."""

MAX_SPOOLED = 500
"""The hook stops spooling past this many files (a daemon that never starts must not fill the
disk); the daemon drains the spool as soon as it runs."""
SPAWN_BACKOFF_S = 60.0
"""The longest wait between two starts of a daemon that keeps failing to come up (the wait
doubles with each failed start after the first, up to this)."""
ENV_ALLOWED = (
    # who and where: home, login, programs (espeak-ng, say), locale, time, temporary files
    "HOME", "USER", "LOGNAME", "SHELL", "PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR",
    # the desktop session and its audio server (PulseAudio, PipeWire's Pulse and JACK sides)
    "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS",
    "PULSE_SERVER", "PULSE_RUNTIME_PATH", "PULSE_COOKIE", "PULSE_SINK",
    # where the user keeps models, and whether the model hub may be asked at all
    "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
    # the network as the user's own shell reaches it (Claude Code, and so the hook, inherit
    # it): proxies, and the CA bundles a TLS-inspecting proxy needs
    "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
    "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
)  # fmt: skip
"""The variables a spawned daemon keeps (with :data:`ENV_ALLOWED_PREFIXES`); everything else
of the spawning hook's environment is left behind: the daemon outlives that session and serves
every project. Deliberately absent: ``LD_*`` and ``PYTHON*`` (code into our process; the daemon
also runs ``-I``), ``ALSA_CONFIG_PATH`` and ``ESPEAK_DATA_PATH`` (files that load code or voice
data), ``HF_ENDPOINT`` and ``HF_TOKEN`` (where models come from; a secret)."""
ENV_ALLOWED_PREFIXES = ("LC_", "XDG_", "PIPEWIRE_", "CLAUDE_TTS_")
LOCK_FD_ENV = "CLAUDE_TTS_LOCK_FD"
"""Names the inherited descriptor on which the spawning hook took the daemon's lock for it."""


def request(
    message: Message, *, timeout: float = 2.0, paths: _paths.Paths | None = None
) -> Message:
    """Send one message and return the daemon's reply.

    Raises:
        PathError: the socket path is too long to connect to.
        DaemonNotRunning: no socket, or nobody listening on it.
        DaemonTimeout: the daemon did not answer within ``timeout`` seconds.
        ProtocolError: the reply is malformed.
    """
    import socket

    address = str(paths.socket) if paths is not None else _paths.socket_path()
    _paths.check_socket_path(address)  # else connect() fails with no path and no fix
    deadline = time.monotonic() + timeout
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as exc:
            raise DaemonNotRunning(f"the daemon is not running (no answer on {address})") from exc
        except (TimeoutError, BlockingIOError) as exc:  # BlockingIOError: its backlog is full
            raise DaemonTimeout(f"the daemon did not accept a connection in {timeout:g} s") from exc
        try:
            sock.sendall(encode(message))
            reply = _read_line(sock, deadline)
        except TimeoutError as exc:
            raise DaemonTimeout(f"the daemon did not answer in {timeout:g} s") from exc
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise DaemonNotRunning(f"the daemon closed the connection: {exc}") from exc
    finally:
        sock.close()
    return decode(reply)


def _read_line(sock: Any, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        if not chunk:
            raise ProtocolError("bad_frame", "the daemon closed the connection without a reply")
        chunks.append(chunk)
        size += len(chunk)
        if b"\n" in chunk:
            return b"".join(chunks).split(b"\n", 1)[0]
        if size > MAX_FRAME:
            raise ProtocolError("too_large", "reply exceeds the maximum frame size")


def is_running(paths: _paths.Paths | None = None, timeout: float = 1.0) -> bool:
    """True if a daemon answers a ping."""
    try:
        request(Ping(), timeout=timeout, paths=paths)
    except (DaemonNotRunning, DaemonTimeout, ProtocolError, PathError):
        return False
    return True


def deliver(frame: bytes, deadline: float, address: str | None = None) -> str:
    """Hand a hook frame to the daemon before ``deadline`` (``time.monotonic()``): connect,
    send, wait for its answer, all within the one deadline. Returns :data:`ACCEPTED`,
    :data:`ABSENT` or :data:`BUSY`; never raises. Built on ``_socket`` and ``select``: the
    ``socket`` module would cost the hook ``enum`` and ``selectors`` at every event."""
    import _socket
    import select

    path = address or _paths.socket_path()
    if len(os.fsencode(path)) > _paths.MAX_SOCKET_PATH:
        return ABSENT  # no daemon can listen there: spawn_daemon says why
    try:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    except OSError:
        return BUSY  # out of file descriptors: spool it
    try:
        sock.setblocking(False)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError):
            return ABSENT
        except (BlockingIOError, InterruptedError):
            return BUSY  # a Unix socket's backlog is full: the daemon is not accepting
        view = memoryview(frame)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [sock], [], remaining)[1]:
                return BUSY
            view = view[sock.send(view) :]
        reply = b""
        while b"\n" not in reply:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([sock], [], [], remaining)[0]:
                return BUSY
            chunk = sock.recv(4096)
            if not chunk:
                return BUSY  # closed without an answer: it may or may not have it
            reply += chunk
        return ACCEPTED if accepted(reply) else BUSY
    except OSError:
        return BUSY
    finally:
        sock.close()


def spool(frame: bytes, paths: _paths.Paths | None = None) -> Path | None:
    """Write a hook frame to the spool directory for the daemon to drain; None if the spool is
    full. Raises OSError (a full disk): the temporary file is removed first.

    The file appears atomically (written under a temporary name, then renamed), named so that
    sorting the names gives arrival order. Temporary files never count toward the limit.
    """
    p = paths or _paths.resolve()
    spool_dir = _paths.ensure_private_dir(p.spool)
    if sum(1 for n in os.listdir(spool_dir) if not n.startswith(".")) >= MAX_SPOOLED:
        return None
    # Unpredictable names, created exclusively and never through a symlink: the folder is
    # private, but nothing planted in it can redirect the write.
    name = f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(4).hex()}.json"
    tmp = spool_dir / f".{name}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, 0o600)
    try:
        try:
            view = memoryview(frame)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        final = spool_dir / name
        os.replace(tmp, final)
    except OSError:
        try:  # noqa: SIM105 (contextlib would cost the hook an import)
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return final


def package_root() -> str:
    """The directory that holds the ``tts_core`` package (for starting the daemon)."""
    return os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def daemon_python(paths: _paths.Paths | None = None) -> str:
    """The interpreter to run the daemon with: the venv install.sh made when there is one (it
    has every dependency, whatever Python runs the hook: the plugin's hooks run the system
    python3), else this one."""
    p = paths or _paths.resolve()
    venv_python = os.path.join(str(p.venv), "bin", "python")
    return venv_python if os.path.exists(venv_python) else sys.executable


def daemon_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The spawned daemon's environment: the allow-listed part of ``environ``."""
    source = os.environ if environ is None else environ
    return {
        k: v for k, v in source.items() if k in ENV_ALLOWED or k.startswith(ENV_ALLOWED_PREFIXES)
    }


BOOTSTRAP = (
    "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
    "runpy.run_module('tts_core', run_name='__main__', alter_sys=True)"
)
"""Runs the CLI under ``python -I`` (no PYTHONPATH, no user site) from this very package,
a checkout's included: its folder goes first on sys.path, the interpreter's own site-packages
(the venv's dependencies) stay."""


def spawn_backoff(failures: int) -> float:
    """Seconds to wait before another start after ``failures`` starts in a row that never
    came up: none after the first (it may have been killed young), then 1, 2, 4 ... s."""
    return 0.0 if failures < 2 else min(SPAWN_BACKOFF_S, 2.0 ** (failures - 2))


def spawn_failures(p: _paths.Paths) -> tuple[int, float]:
    """(starts in a row not yet confirmed by a daemon that came up, seconds since the last),
    from the spawn stamp; (0, inf) without one. The daemon removes the stamp once it listens."""
    try:
        fd = os.open(p.spawn_stamp, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return 0, float("inf")
    try:
        data, mtime = os.read(fd, 32), os.fstat(fd).st_mtime
    except OSError:
        return 0, float("inf")
    finally:
        os.close(fd)
    try:
        count = int(data.strip() or b"1")
    except ValueError:
        count = 1
    return count, time.time() - mtime


def _record_spawn(p: _paths.Paths, failures: int) -> None:
    """Count one more start not yet confirmed (a full disk: left as it was)."""
    try:
        fd = os.open(p.spawn_stamp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    except OSError:
        return
    try:
        os.write(fd, f"{failures}\n".encode())
    except OSError:
        pass
    finally:
        os.close(fd)


def spawn_daemon(paths: _paths.Paths | None = None, *, force: bool = False) -> bool:
    """Start ``claude-tts serve`` fully detached; False if one runs or is starting already,
    or (unless ``force``) while earlier starts keep failing (:func:`spawn_backoff`).

    Decided from the daemon's lock, not from the clock: the lock is taken here and handed to
    the new daemon (an inherited descriptor), so from this moment to the daemon's exit every
    other hook sees it taken; a daemon that dies, however young, frees it for the next event.

    Detached means a new session with stdio on /dev/null: Claude Code waits for any child that
    still holds the hook's stdout or stderr (about 0.5 s per hook). Clean means isolated
    (``python -I``) with only the variables of :data:`ENV_ALLOWED`.

    Raises:
        PathError: the socket path is too long, or the runtime folder cannot be made or
            written (the daemon could not start either: the caller says so, in one line that
            names the path and the fix, instead of starting one at every event).
    """
    import fcntl
    import subprocess  # only on this rare path: it costs ~10 ms to import

    p = paths or _paths.resolve()
    _paths.check_runtime(p)
    try:
        lock = os.open(p.lockfile, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise PathError(
            f"cannot open the daemon's lock {p.lockfile}: {exc.strerror or exc} (make "
            f"{p.runtime} a folder you can write, or set XDG_RUNTIME_DIR or "
            f"{_paths.HOME_ENV} to one that is)"
        ) from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a daemon holds it: running, or starting up
        failures, since = spawn_failures(p)
        if not force and since < spawn_backoff(failures):
            return False
        _record_spawn(p, failures + 1)
        env = daemon_env()
        env[LOCK_FD_ENV] = str(lock)
        subprocess.Popen(
            [daemon_python(p), "-I", "-c", BOOTSTRAP, package_root(), "serve"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            pass_fds=(lock,),
            cwd="/",
            env=env,
        )
        return True
    finally:
        os.close(lock)  # the daemon's copy keeps the lock


COURIER_S = 30.0
"""How long a courier keeps trying to hand its event to the daemon."""
COURIER = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from tts_core.client import courier_main; courier_main()"
)


def carry(frame: bytes, paths: _paths.Paths | None = None) -> None:
    """Hand ``frame`` to a detached courier process that delivers it as soon as a daemon
    listens (within :data:`COURIER_S`): for an event the hook could neither deliver nor spool
    (a full disk, the daemon down or still starting). The hook returns at once. The frame
    travels in memory (a memfd where there is one, else a pipe), never through the disk."""
    import subprocess

    p = paths or _paths.resolve()
    if hasattr(os, "memfd_create"):
        source = os.memfd_create("claude-tts-event", os.MFD_CLOEXEC)
        view = memoryview(frame)
        while view:
            view = view[os.write(source, view) :]
        os.lseek(source, 0, os.SEEK_SET)
        stdin, rest = source, b""
    else:
        read_end, source = os.pipe()
        stdin, rest = read_end, frame
    env = daemon_env()
    try:
        subprocess.Popen(
            [sys.executable, "-I", "-c", COURIER, package_root(), str(p.socket), str(p.hook_log)],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            cwd="/",
            env=env,
        )
        if rest:
            os.close(stdin)
            stdin = -1
            with open(source, "wb", closefd=False) as pipe:
                pipe.write(rest)
    finally:
        if stdin != -1 and stdin != source:
            os.close(stdin)
        os.close(source)


def courier_main() -> None:
    """The courier (see :func:`carry`): argv is the package root, the socket and the hook log;
    the frame is on stdin."""
    socket_path, hook_log = sys.argv[2], sys.argv[3]
    frame = sys.stdin.buffer.read(MAX_FRAME + 1)
    end = time.monotonic() + COURIER_S
    while time.monotonic() < end:
        if deliver(frame, time.monotonic() + 1.0, socket_path) == ACCEPTED:
            return
        time.sleep(0.1)
    line = f"no daemon took the event in {COURIER_S:g} s; event dropped"
    try:  # noqa: SIM105
        _paths.append_private(
            hook_log, f"{time.strftime('%Y-%m-%dT%H:%M:%S')} pid={os.getpid()} {line}\n"
        )
    except OSError:
        pass


def wait_until_running(paths: _paths.Paths | None = None, timeout: float = 10.0) -> bool:
    """Poll until the daemon answers or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_running(paths, timeout=0.5):
            return True
        time.sleep(0.05)
    return False
