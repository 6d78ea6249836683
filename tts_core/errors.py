"""Exceptions shared by every layer. Standard library only: the hook imports this."""

from __future__ import annotations


class ClaudeTTSError(Exception):
    """An expected failure: the CLI prints its message on one line and exits 1."""


class ProtocolError(ClaudeTTSError):
    """A frame on the socket is malformed, too large, of an unknown type or version."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class DaemonNotRunning(ClaudeTTSError):
    """Nothing listens on the daemon's socket."""


class DaemonTimeout(ClaudeTTSError):
    """The daemon accepted the connection but did not answer in time."""


class DaemonAlreadyRunning(ClaudeTTSError):
    """A second daemon was asked to start for the same user."""


class PathError(ClaudeTTSError):
    """A directory or socket path cannot be used (too long, wrong owner, not creatable)."""


class EngineError(ClaudeTTSError):
    """A speech engine is missing or failed to synthesize."""

    def __init__(self, message: str, remaining: str | None = None) -> None:
        super().__init__(message)
        self.remaining = remaining
        """Text not yet spoken when a multi-part engine failed mid-sentence (for the fallback)."""


class AudioUnavailable(ClaudeTTSError):
    """PortAudio or an output device is missing; speech cannot be played."""


class ConfigError(ClaudeTTSError):
    """A config file is unreadable or invalid. ``str()`` is the whole report, shaped like
    pre-commit's: the file, each key on the path, then what was expected and what was found."""

    def __init__(self, file: object, problems: list[tuple[tuple[str, ...], str]]) -> None:
        self.file = str(file)
        self.problems = problems
        blocks = []
        for path, message in problems:
            lines = [f"==> File {file}", *(f"==> At key: {key}" for key in path)]
            blocks.append("\n".join([*lines, f"=====> {message}"]))
        super().__init__("\n\n".join(blocks))
