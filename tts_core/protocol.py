"""The wire format between hooks/CLI and the daemon. Standard library only: the hook imports this.

Frames are JSON Lines: one UTF-8 JSON object per line, at most :data:`MAX_FRAME` bytes, each
carrying ``"v"`` (the protocol version) and ``"type"``. Every request gets exactly one reply; a
malformed or unknown request gets an :class:`Error` reply, never silence. Unknown fields are
ignored so that a newer client can talk to an older daemon.

This is the only module that knows the frame layout.
"""

from __future__ import annotations

import json

from tts_core.errors import ProtocolError

# The hook imports this module on every Claude Code event, so it avoids dataclasses and typing
# (measured: +14 ms and +5 ms of start-up on a 2-core machine, against ~9 ms for the bare
# interpreter). Messages are small classes with __slots__; Message supplies eq/repr/to_dict.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

VERSION = 1
MAX_FRAME = 16 * 1024 * 1024
"""Largest frame in bytes, newline included. Claude Code payloads can carry a whole answer."""

_NUMBER = (int, float)


class Message:
    """Base of every frame. Subclasses set TYPE, FIELDS (name -> accepted types), REQUIRED."""

    TYPE: ClassVar[str] = ""
    FIELDS: ClassVar[dict[str, tuple[type, ...]]] = {}
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {"v": VERSION, "type": self.TYPE, **{f: getattr(self, f) for f in self.FIELDS}}

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and all(
            getattr(self, f) == getattr(other, f) for f in self.FIELDS
        )

    __hash__ = None  # type: ignore[assignment]  # mutable fields (dicts)

    def __repr__(self) -> str:
        args = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.FIELDS)
        return f"{type(self).__name__}({args})"


# ---- requests -------------------------------------------------------------------------------


class HookEvent(Message):
    """A Claude Code hook event, forwarded unparsed by the hook.

    Attributes:
        raw: the hook's stdin exactly as Claude Code wrote it (normally one JSON object).
        env: the ``CLAUDE_*`` variables of the hook process that matter to speech.
        sent_at: Unix time when the hook started, for latency accounting and staleness.
        truncated: True if stdin was larger than a frame and was cut.
    """

    TYPE = "hook"
    FIELDS = {"raw": (str,), "env": (dict,), "sent_at": _NUMBER, "truncated": (bool,)}
    REQUIRED = ("raw",)
    __slots__ = ("env", "raw", "sent_at", "truncated")

    def __init__(
        self,
        raw: str,
        env: dict[str, str] | None = None,
        sent_at: float = 0.0,
        truncated: bool = False,
    ) -> None:
        self.raw = raw
        self.env = env if env is not None else {}
        self.sent_at = sent_at
        self.truncated = truncated


class Say(Message):
    """Speak ``text`` now (``claude-tts say``).

    Attributes:
        text: the text to speak, markdown allowed.
        lang: language of the speech; None means the configured one.
        engine: engine (or chain) to speak with; None means the configured one.
        wait: reply only once the speech has ended: ``Ok`` if it was heard, else an ``Error``
            saying why not (``not_spoken``); False replies as soon as it is queued.
    """

    TYPE = "say"
    FIELDS = {
        "text": (str,), "lang": (str, type(None)), "engine": (str, type(None)), "wait": (bool,),
    }  # fmt: skip
    REQUIRED = ("text",)
    __slots__ = ("engine", "lang", "text", "wait")

    def __init__(
        self, text: str, lang: str | None = None, engine: str | None = None, wait: bool = False
    ) -> None:
        self.text = text
        self.lang = lang
        self.engine = engine
        self.wait = wait


class Shutup(Message):
    """Stop the current speech and drop the queue.

    Attributes:
        session_id: only this Claude Code session's speech; None means all.
    """

    TYPE = "shutup"
    FIELDS = {"session_id": (str, type(None))}
    __slots__ = ("session_id",)

    def __init__(self, session_id: str | None = None) -> None:
        self.session_id = session_id


class StatusRequest(Message):
    """Ask for the daemon's state."""

    TYPE = "status"
    __slots__ = ()


class Ping(Message):
    """Is the daemon alive and answering?"""

    TYPE = "ping"
    __slots__ = ()


class Shutdown(Message):
    """Stop the daemon gracefully (as SIGTERM does)."""

    TYPE = "shutdown"
    __slots__ = ()


class HistoryRequest(Message):
    """Ask for the last utterances.

    Attributes:
        limit: how many, newest last.
    """

    TYPE = "history"
    FIELDS = {"limit": (int,)}
    __slots__ = ("limit",)

    def __init__(self, limit: int = 20) -> None:
        self.limit = limit


class Replay(Message):
    """Say the last utterance again."""

    TYPE = "replay"
    __slots__ = ()


# ---- replies --------------------------------------------------------------------------------


class Ok(Message):
    """The request was accepted.

    Attributes:
        detail: a short note for a person (e.g. ``queued``).
    """

    TYPE = "ok"
    FIELDS = {"detail": (str,)}
    __slots__ = ("detail",)

    def __init__(self, detail: str = "") -> None:
        self.detail = detail


class StatusReply(Message):
    """Answer to :class:`StatusRequest`.

    Attributes:
        status: pid, uptime_s, queue_length, audio_device, last_error, counters, ...
    """

    TYPE = "status_reply"
    FIELDS = {"status": (dict,)}
    __slots__ = ("status",)

    def __init__(self, status: dict[str, Any] | None = None) -> None:
        self.status = status if status is not None else {}


class HistoryReply(Message):
    """Answer to :class:`HistoryRequest`.

    Attributes:
        entries: one object per utterance: time, session, project, kind, lang, source,
            spoken, outcome, reason, timings.
    """

    TYPE = "history_reply"
    FIELDS = {"entries": (list,)}
    __slots__ = ("entries",)

    def __init__(self, entries: list[dict[str, Any]] | None = None) -> None:
        self.entries = entries if entries is not None else []


class Error(Message):
    """The request was refused or failed.

    Attributes:
        code: ``bad_json``, ``bad_frame``, ``unknown_type``, ``bad_version``, ``bad_field``,
            ``too_large``, ``forbidden``, ``internal``.
        message: one line for a person.
    """

    TYPE = "error"
    FIELDS = {"code": (str,), "message": (str,)}
    REQUIRED = ("code", "message")
    __slots__ = ("code", "message")

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


MESSAGES: dict[str, type[Message]] = {
    cls.TYPE: cls
    for cls in (
        HookEvent,
        Say,
        Shutup,
        StatusRequest,
        Ping,
        Shutdown,
        HistoryRequest,
        Replay,
        Ok,
        StatusReply,
        HistoryReply,
        Error,
    )
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
    for name in cls.REQUIRED:
        if name not in data:
            raise ProtocolError("bad_field", f"{kind}: missing field {name!r}")
    for name, accepted in cls.FIELDS.items():
        if name not in data:
            continue
        value = data[name]
        ok = isinstance(value, accepted) and not (isinstance(value, bool) and bool not in accepted)
        if ok and name == "env":
            ok = all(isinstance(v, str) for v in value.values())
        if not ok:
            expected = (
                "an object of strings"
                if name == "env"
                else " or ".join("null" if t is type(None) else t.__name__ for t in accepted)
            )
            raise ProtocolError(
                "bad_field", f"{kind}: field {name!r} must be {expected}, got {value!r:.60}"
            )
        kwargs[name] = value
    return cls(**kwargs)
