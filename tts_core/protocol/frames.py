"""Frames of the wire format: how messages travel between hooks/CLI and the daemon.
Standard library only: the hook imports this.

Frames are JSON Lines: one UTF-8 JSON object per line, at most :data:`MAX_FRAME` bytes, each
carrying ``"v"`` (the protocol version) and ``"type"``. A hook event is sent as a small header
line with ``"size"``, then that many bytes of the hook's stdin as it came (no JSON string inside
JSON: a quote-heavy payload does not grow, and the hook never imports ``json``);
:func:`hook_frame` builds it, :func:`body_size` tells a reader how much follows. Every request
gets exactly one reply; a malformed or unknown request gets an ``Error`` reply, never silence.
Unknown fields are ignored so that a newer client can talk to an older daemon.

This is the only module that knows the frame layout.
"""

from __future__ import annotations

from tts_core.errors import ProtocolError
from tts_core.protocol.messages import (
    _OK,
    FIELD_MAX,
    MAX_FRAME,
    MAX_RAW,
    MESSAGES,
    VERSION,
    HookEvent,
    Message,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def encode(message: Message) -> bytes:
    """Serialize one message as a frame (compact JSON, newline-terminated)."""
    import json  # not at the top: the hook's fast path never encodes a message

    data = json.dumps(message.to_dict(), ensure_ascii=False, separators=(",", ":"))
    frame = data.encode("utf-8", "surrogatepass") + b"\n"
    if len(frame) > MAX_FRAME:
        raise ProtocolError("too_large", f"frame of {len(frame)} bytes exceeds {MAX_FRAME}")
    return frame


def clip(text: str, limit: int = FIELD_MAX) -> str:
    """``text`` if it has at most ``limit`` characters; else its start, then a marker with its
    length and a hash of the whole, ``limit`` characters in all (distinct values stay distinct:
    a clipped session id still names one session)."""
    if len(text) <= limit:
        return text
    import hashlib  # not at the top: the hook never clips

    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    marker = f"...[{len(text)} chars #{digest}]"
    return text[: max(0, limit - len(marker))] + marker


def _json_string(text: str) -> str:
    """``text`` as a JSON string literal, without the json module (the hook's start-up)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    if any(ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF for ch in out):
        # Control characters, and lone surrogates (an environment's undecodable bytes), as
        # \u escapes: the header stays valid UTF-8 and reads back the same string.
        out = "".join(
            f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF else ch
            for ch in out
        )
    return f'"{out}"'


def hook_frame(
    raw: bytes,
    env: dict[str, str],
    sent_at: float,
    event_id: str,
    truncated: bool = False,
    *,
    partial: bool = False,
) -> bytes:
    """A hook event as sent: a header line, then ``raw`` byte for byte (at most
    :data:`MAX_RAW`; longer stdin is cut and flagged). ``partial`` is written only when true,
    so every other frame reads the same to a daemon that predates it."""
    if len(raw) > MAX_RAW:
        raw, truncated = raw[:MAX_RAW], True
    fields = ",".join(f"{_json_string(k)}:{_json_string(v)}" for k, v in env.items())
    flag = '"partial":true,' if partial else ""
    header = (
        f'{{"v":{VERSION},"type":"hook","id":{_json_string(event_id)},"env":{{{fields}}},'
        f'"sent_at":{sent_at!r},"truncated":{"true" if truncated else "false"},'
        f'{flag}"size":{len(raw)}}}\n'
    )
    return header.encode("utf-8", "surrogateescape") + raw


def accepted(reply: bytes) -> bool:
    """True if ``reply`` (a frame from the daemon) is an Ok."""
    return reply.startswith(_OK)


def body_size(header: bytes) -> int:
    """How many bytes follow this header line (0 for a frame that is all on its line).
    Raises :class:`ProtocolError` for a size that is not a count within the limit."""
    if b'"size":' not in header:
        return 0
    size = _header(header).get("size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_RAW:
        raise ProtocolError("bad_field", f"hook: size must be 0 to {MAX_RAW}, got {size!r}")
    return size


def _header(line: bytes) -> dict[str, Any]:
    import json

    try:
        data = json.loads(line)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError("bad_json", f"frame is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_frame", f"frame must be a JSON object, got {type(data).__name__}")
    return data


def decode(frame: bytes) -> Message:
    """Parse one frame (with or without its newline; a hook event's header with its body).
    Raises :class:`ProtocolError`."""
    if len(frame) > MAX_FRAME:
        raise ProtocolError("too_large", f"frame of {len(frame)} bytes exceeds {MAX_FRAME}")
    line, _, body = frame.partition(b"\n")
    data = _header(line)
    if isinstance(data.get("size"), int) and data.get("type") == HookEvent.TYPE:
        size = body_size(line)
        if len(body) < size:
            raise ProtocolError("bad_frame", f"hook: {size} bytes announced, {len(body)} came")
        data["raw"] = body[:size].decode("utf-8", "replace")
        del data["size"]
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
