"""The messages of the wire format: one typed class per kind, each with its fields and the
types they accept (:data:`MESSAGES`). Standard library only: the hook imports this.

How they travel (frames, the hook's header line) is :mod:`tts_core.protocol.frames`.
"""

from __future__ import annotations

# The hook imports this module on every Claude Code event, so it avoids dataclasses and typing
# (measured: +14 ms and +5 ms of start-up on a 2-core machine, against ~9 ms for the bare
# interpreter). Messages are small classes with __slots__; Message supplies eq/repr/to_dict.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

VERSION = 1
MAX_FRAME = 16 * 1024 * 1024
"""Largest frame in bytes, newline included. Claude Code payloads can carry a whole answer."""
MAX_RAW = MAX_FRAME - 64 * 1024
"""Most bytes of a hook's stdin sent; beyond them it is cut and flagged ``truncated``."""
_OK = b'{"v":1,"type":"ok"'
FIELD_MAX = 128
"""Longest payload string (session id, prompt id, event name...) the daemon keeps or echoes;
:func:`clip` shortens longer ones."""
"""How every Ok reply begins (compact JSON, keys in order): the hook checks just that."""

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
        truncated: True if stdin was larger than :data:`MAX_RAW` and was cut.
        partial: True if the hook stopped waiting for stdin while it was still open: ``raw``
            is what came by then (sent only when true; older hooks never send it).
        id: the hook's name for this event (random): the daemon takes each id once, so a hook
            may spool an event it is not sure was delivered.
    """

    TYPE = "hook"
    FIELDS = {
        "raw": (str,), "env": (dict,), "sent_at": _NUMBER, "truncated": (bool,), "id": (str,),
        "partial": (bool,),
    }  # fmt: skip
    REQUIRED = ("raw",)
    __slots__ = ("env", "id", "partial", "raw", "sent_at", "truncated")

    def __init__(
        self,
        raw: str,
        env: dict[str, str] | None = None,
        sent_at: float = 0.0,
        truncated: bool = False,
        id: str = "",
        partial: bool = False,
    ) -> None:
        self.raw = raw
        self.env = env if env is not None else {}
        self.sent_at = sent_at
        self.truncated = truncated
        self.id = id
        self.partial = partial


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


class Pause(Message):
    """Hold speech: the clip playing stops where it is; nothing is dropped."""

    TYPE = "pause"
    __slots__ = ()


class Resume(Message):
    """Go on from where :class:`Pause` held speech."""

    TYPE = "resume"
    __slots__ = ()


class Toggle(Message):
    """:class:`Pause` when speech is not paused, else :class:`Resume` (for a key binding)."""

    TYPE = "toggle"
    __slots__ = ()


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
        Pause,
        Resume,
        Toggle,
        Ok,
        StatusReply,
        HistoryReply,
        Error,
    )
}
