"""The wire format between hooks/CLI and the daemon. Standard library only: the hook imports this.

Frames are JSON Lines: one UTF-8 JSON object per line, at most :data:`MAX_FRAME` bytes, each
carrying ``"v"`` (the protocol version) and ``"type"``. Every request gets exactly one reply; a
malformed or unknown request gets an :class:`Error` reply, never silence. Unknown fields are
ignored so that a newer client can talk to an older daemon.

This is the only module that knows the frame layout.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, ClassVar

from tts_core.errors import ProtocolError

VERSION = 1
MAX_FRAME = 16 * 1024 * 1024
"""Largest frame in bytes, newline included. Claude Code payloads can carry a whole answer."""


@dataclass(frozen=True)
class Message:
    """Base of every frame. Subclasses set ``TYPE`` and declare their fields."""

    TYPE: ClassVar[str] = ""
    # Checked at decode time; keyed by the annotation text of each field.
    _CHECKS: ClassVar[dict[str, tuple[type, ...]]] = {
        "str": (str,),
        "str | None": (str, type(None)),
        "bool": (bool,),
        "float": (int, float),
        "dict[str, str]": (dict,),
        "dict[str, Any]": (dict,),
    }

    def to_dict(self) -> dict[str, Any]:
        return {"v": VERSION, "type": self.TYPE, **asdict(self)}


# ---- requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HookEvent(Message):
    """A Claude Code hook event, forwarded unparsed by the hook."""

    TYPE: ClassVar[str] = "hook"
    raw: str
    """The hook's stdin exactly as Claude Code wrote it (normally one JSON object)."""
    env: dict[str, str] = field(default_factory=dict)
    """The ``CLAUDE_*`` variables of the hook process that matter to speech."""
    sent_at: float = 0.0
    """Unix time when the hook started, for latency accounting and staleness."""
    truncated: bool = False
    """True if stdin was larger than a frame and was cut."""


@dataclass(frozen=True)
class Say(Message):
    """Speak ``text`` now (``claude-tts say``)."""

    TYPE: ClassVar[str] = "say"
    text: str
    """The text to speak, markdown allowed."""
    lang: str | None = None
    """Language of ``text``; None means the configured one."""


@dataclass(frozen=True)
class Shutup(Message):
    """Stop the current speech and drop the queue."""

    TYPE: ClassVar[str] = "shutup"
    session_id: str | None = None
    """Only this Claude Code session's speech; None means all."""


@dataclass(frozen=True)
class StatusRequest(Message):
    """Ask for the daemon's state."""

    TYPE: ClassVar[str] = "status"


@dataclass(frozen=True)
class Ping(Message):
    """Is the daemon alive and answering?"""

    TYPE: ClassVar[str] = "ping"


@dataclass(frozen=True)
class Shutdown(Message):
    """Stop the daemon gracefully (as SIGTERM does)."""

    TYPE: ClassVar[str] = "shutdown"


# ---- replies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ok(Message):
    """The request was accepted."""

    TYPE: ClassVar[str] = "ok"
    detail: str = ""
    """A short human-readable note (e.g. ``queued``)."""


@dataclass(frozen=True)
class StatusReply(Message):
    """Answer to :class:`StatusRequest`."""

    TYPE: ClassVar[str] = "status_reply"
    status: dict[str, Any] = field(default_factory=dict)
    """pid, uptime_s, queue_length, audio_device, last_error, counters, ..."""


@dataclass(frozen=True)
class Error(Message):
    """The request was refused or failed."""

    TYPE: ClassVar[str] = "error"
    code: str
    """Machine-readable: ``bad_json``, ``bad_frame``, ``unknown_type``, ``bad_version``,
    ``bad_field``, ``too_large``, ``internal``."""
    message: str
    """One line for a person."""


MESSAGES: dict[str, type[Message]] = {
    cls.TYPE: cls
    for cls in (HookEvent, Say, Shutup, StatusRequest, Ping, Shutdown, Ok, StatusReply, Error)
}


def encode(message: Message) -> bytes:
    """Serialize one message as a frame (compact JSON, newline-terminated)."""
    data = json.dumps(message.to_dict(), ensure_ascii=False, separators=(",", ":"))
    frame = data.encode("utf-8", "surrogatepass") + b"\n"
    if len(frame) > MAX_FRAME:
        raise ProtocolError("too_large", f"frame of {len(frame)} bytes exceeds {MAX_FRAME}")
    return frame


def decode(frame: bytes) -> Message:
    """Parse one frame (with or without its newline). Raises :class:`ProtocolError`."""
    if len(frame) > MAX_FRAME:
        raise ProtocolError("too_large", f"frame of {len(frame)} bytes exceeds {MAX_FRAME}")
    try:
        data = json.loads(frame)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError("bad_json", f"frame is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_frame", f"frame must be a JSON object, got {type(data).__name__}")
    version = data.get("v")
    if version != VERSION:
        raise ProtocolError(
            "bad_version", f"unsupported protocol version {version!r}; expected {VERSION}"
        )
    kind = data.get("type")
    cls = MESSAGES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        known = ", ".join(sorted(MESSAGES))
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}; known: {known}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            if f.default is MISSING and f.default_factory is MISSING:
                raise ProtocolError("bad_field", f"{kind}: missing field {f.name!r}")
            continue
        value = data[f.name]
        expected = Message._CHECKS.get(str(f.type))
        bool_as_number = isinstance(value, bool) and expected == (int, float)
        bad_mapping = (
            str(f.type) == "dict[str, str]"
            and isinstance(value, dict)
            and not all(isinstance(v, str) for v in value.values())
        )
        if expected is not None and (
            not isinstance(value, expected) or bool_as_number or bad_mapping
        ):
            raise ProtocolError(
                "bad_field", f"{kind}: field {f.name!r} must be {f.type}, got {value!r:.60}"
            )
        kwargs[f.name] = value
    return cls(**kwargs)
