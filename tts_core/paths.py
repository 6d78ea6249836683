"""Where claude-tts keeps its files. Standard library only: the hook imports this.

One variable, ``CLAUDE_TTS_HOME``, moves every directory under one folder (tests use it; so can
users). Without it the platform's conventions apply: XDG on Linux, ``~/Library`` on macOS.
We do not use platformdirs here because this module must stay importable with ``python -S``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tts_core.errors import PathError

APP = "claude-tts"
HOME_ENV = "CLAUDE_TTS_HOME"
# sockaddr_un.sun_path is 108 bytes on Linux and 104 on macOS, NUL included.
MAX_SOCKET_PATH = 103 if sys.platform == "darwin" else 107


@dataclass(frozen=True)
class Paths:
    """Every location the package uses. Build it with :func:`resolve`."""

    runtime: Path
    """Socket, pid and lock files: private (0700), gone at logout where the OS cleans it."""
    state: Path
    """Spooled events and other state that must survive a restart."""
    log: Path
    """Daemon and hook log files."""
    cache: Path
    """Downloaded models and audio caches."""
    config: Path
    """The user's configuration directory."""

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
    def daemon_log(self) -> Path:
        return self.log / "daemon.log"

    @property
    def hook_log(self) -> Path:
        return self.log / "hook.log"


def _env_dir(name: str, default: Path) -> Path:
    value = os.environ.get(name, "")
    # The XDG spec says relative paths are invalid and must be ignored.
    return Path(value) if value and os.path.isabs(value) else default


def resolve(environ: dict[str, str] | None = None) -> Paths:
    """Return the directories for this user and platform (nothing is created)."""
    env = os.environ if environ is None else environ
    home_override = env.get(HOME_ENV, "")
    if home_override:
        root = Path(home_override).expanduser().absolute()
        return Paths(
            runtime=root / "run",
            state=root / "state",
            log=root / "state" / "log",
            cache=root / "cache",
            config=root / "config",
        )
    home = Path.home()
    if sys.platform == "darwin":
        caches = home / "Library" / "Caches" / APP
        return Paths(
            runtime=caches / "run",
            state=home / "Library" / "Application Support" / APP,
            log=home / "Library" / "Logs" / APP,
            cache=caches,
            config=_env_dir("XDG_CONFIG_HOME", home / ".config") / APP,
        )
    cache = _env_dir("XDG_CACHE_HOME", home / ".cache") / APP
    state = _env_dir("XDG_STATE_HOME", home / ".local" / "state") / APP
    runtime_base = env.get("XDG_RUNTIME_DIR", "")
    runtime = Path(runtime_base) / APP if os.path.isabs(runtime_base) else cache / "run"
    return Paths(
        runtime=runtime,
        state=state,
        log=state / "log",
        cache=cache,
        config=_env_dir("XDG_CONFIG_HOME", home / ".config") / APP,
    )


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


def check_socket_path(path: Path) -> None:
    """Raise PathError if ``path`` is too long to bind a Unix socket to."""
    size = len(os.fsencode(str(path)))
    if size > MAX_SOCKET_PATH:
        raise PathError(
            f"socket path is {size} bytes, over the limit of {MAX_SOCKET_PATH}: {path} "
            f"(set {HOME_ENV} or XDG_RUNTIME_DIR to a shorter directory)"
        )
