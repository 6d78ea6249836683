"""Where claude-tts keeps its files. Standard library only: the hook imports this.

One variable, ``CLAUDE_TTS_HOME``, moves every directory under one folder (tests use it; so can
users). Without it the platform's conventions apply: XDG on Linux, ``~/Library`` on macOS.
We do not use platformdirs here because this module must stay importable with ``python -S``.
"""

from __future__ import annotations

import os
import sys

from tts_core.errors import PathError

TYPE_CHECKING = False  # not typing's: importing typing costs the hook ~5 ms
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

APP = "claude-tts"
CONFIG_FILE = "config.yaml"
"""The user's config file, in :attr:`Paths.config`."""
HOME_ENV = "CLAUDE_TTS_HOME"
# sockaddr_un.sun_path is 108 bytes on Linux and 104 on macOS, NUL included.
MAX_SOCKET_PATH = 103 if sys.platform == "darwin" else 107


class Paths:
    """Every location the package uses. Build it with :func:`resolve`.

    Attributes:
        runtime: socket, pid and lock files; private (0700), cleared at logout where the OS
            does so.
        state: spooled events and other state that must survive a restart.
        log: daemon and hook log files.
        cache: downloaded models and audio caches.
        config: the user's configuration directory.
        data: what ``install.sh`` installs (the venv, the hook script).
    """

    # A plain class, not a dataclass: the hook imports this module (dataclasses costs ~14 ms).
    __slots__ = ("cache", "config", "data", "log", "runtime", "state")

    def __init__(
        self, runtime: Path, state: Path, log: Path, cache: Path, config: Path, data: Path
    ) -> None:
        self.runtime = runtime
        self.state = state
        self.log = log
        self.cache = cache
        self.config = config
        self.data = data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Paths) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "Paths(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__) + ")"

    @property
    def socket(self) -> Path:
        return self.runtime / "daemon.sock"

    @property
    def pidfile(self) -> Path:
        return self.runtime / "daemon.pid"

    @property
    def lockfile(self) -> Path:
        return self.runtime / "daemon.lock"

    @property
    def spawn_stamp(self) -> Path:
        return self.runtime / "spawn.stamp"

    @property
    def spool(self) -> Path:
        return self.state / "spool"

    @property
    def trusted_projects(self) -> Path:
        """The project files the user trusted (``claude-tts trust``), with their hashes."""
        return self.state / "trusted-projects.json"

    @property
    def daemon_log(self) -> Path:
        return self.log / "daemon.log"

    @property
    def hook_log(self) -> Path:
        return self.log / "hook.log"

    @property
    def venv(self) -> Path:
        """The virtual environment ``install.sh`` makes (the hook looks for it here too)."""
        return self.data / "venv"


def _dirs(env: Mapping[str, str]) -> tuple[str, str, str, str, str, str]:
    """(runtime, state, log, cache, config, data) as strings, computed with os.path only."""
    join = os.path.join

    def xdg(name: str, *default: str) -> str:
        value = env.get(name, "")
        # The XDG spec says relative paths are invalid and must be ignored.
        return value if os.path.isabs(value) else join(home, *default)

    override = env.get(HOME_ENV, "")
    if override:
        root = os.path.abspath(os.path.expanduser(override))
        state = join(root, "state")
        return (
            join(root, "run"),
            state,
            join(state, "log"),
            join(root, "cache"),
            join(root, "config"),
            join(root, "data"),
        )
    home = env.get("HOME") or os.path.expanduser("~")
    config = join(xdg("XDG_CONFIG_HOME", ".config"), APP)
    if sys.platform == "darwin":
        lib = join(home, "Library")
        cache = join(lib, "Caches", APP)
        return (
            join(cache, "run"),
            join(lib, "Application Support", APP),
            join(lib, "Logs", APP),
            cache,
            config,
            join(lib, "Application Support", APP),
        )
    cache = join(xdg("XDG_CACHE_HOME", ".cache"), APP)
    state = join(xdg("XDG_STATE_HOME", ".local", "state"), APP)
    runtime_base = env.get("XDG_RUNTIME_DIR", "")
    runtime = join(runtime_base, APP) if os.path.isabs(runtime_base) else join(cache, "run")
    data = join(xdg("XDG_DATA_HOME", ".local", "share"), APP)
    return runtime, state, join(state, "log"), cache, config, data


def socket_path(environ: Mapping[str, str] | None = None) -> str:
    """The daemon's socket, without importing pathlib (the hook's fast path)."""
    return os.path.join(_dirs(os.environ if environ is None else environ)[0], "daemon.sock")


def resolve(environ: Mapping[str, str] | None = None) -> Paths:
    """Return the directories for this user and platform (nothing is created)."""
    from pathlib import Path  # ~9 ms of start-up that the hook's fast path never pays

    return Paths(*(Path(d) for d in _dirs(os.environ if environ is None else environ)))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700, owned by us. Raises PathError."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = path.stat()
        if st.st_uid != os.getuid():
            raise PathError(f"{path} belongs to uid {st.st_uid}, not to you (uid {os.getuid()})")
        if st.st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError as exc:
        raise PathError(f"cannot create directory {path}: {exc.strerror or exc}") from exc
    return path


def append_private(path: Path | str, text: str) -> None:
    """Append ``text`` to the file ``path``, created 0600: never through a symlink, only to a
    regular file of ours. Raises OSError."""
    import stat

    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            raise OSError(f"{path} is not a file of ours")
        os.write(fd, text.encode("utf-8", "replace"))
    finally:
        os.close(fd)


def check_socket_path(path: Path | str) -> None:
    """Raise PathError if ``path`` is too long to bind a Unix socket to."""
    size = len(os.fsencode(str(path)))
    if size > MAX_SOCKET_PATH:
        raise PathError(
            f"socket path is {size} bytes, over the limit of {MAX_SOCKET_PATH}: {path} "
            f"(set {HOME_ENV} or XDG_RUNTIME_DIR to a shorter directory)"
        )


def check_runtime(paths: Paths) -> None:
    """Raise PathError, one line naming the path and the fix, if the daemon could not run
    here: its socket path too long, or its runtime folder not one it can make and write."""
    check_socket_path(paths.socket)
    fix = f"make it a folder you can write, or set XDG_RUNTIME_DIR or {HOME_ENV} to one that is"
    try:
        ensure_private_dir(paths.runtime)
    except PathError as exc:
        raise PathError(f"{exc} (the daemon's runtime folder: {fix})") from None
    if not os.access(paths.runtime, os.W_OK | os.X_OK):
        raise PathError(f"cannot write to {paths.runtime} (the daemon's runtime folder: {fix})")


def shell_assignments(environ: Mapping[str, str] | None = None) -> str:
    """``name='dir'`` lines for every directory, for ``install.sh`` to ``eval`` (so that the
    script never repeats where things live)."""
    import shlex

    p = resolve(environ)
    names = ("runtime", "state", "log", "cache", "config", "data")
    return "".join(f"{n}_dir={shlex.quote(str(getattr(p, n)))}\n" for n in names)


if __name__ == "__main__":
    sys.stdout.write(shell_assignments())
