"""The wire format between hooks/CLI and the daemon, versioned, in one package: the typed
messages (:mod:`.messages`) and how they travel as frames (:mod:`.frames`). Standard library
only: the hook imports it on every Claude Code event."""

from tts_core.protocol.frames import accepted, body_size, clip, decode, encode, hook_frame
from tts_core.protocol.messages import (
    FIELD_MAX,
    MAX_FRAME,
    MAX_RAW,
    MESSAGES,
    VERSION,
    Error,
    HistoryReply,
    HistoryRequest,
    HookEvent,
    Message,
    Ok,
    Pause,
    Ping,
    Replay,
    Resume,
    Say,
    Shutdown,
    Shutup,
    StatusReply,
    StatusRequest,
    Toggle,
)

__all__ = [
    "FIELD_MAX", "MAX_FRAME", "MAX_RAW", "MESSAGES", "VERSION", "Error", "HistoryReply",
    "HistoryRequest", "HookEvent", "Message", "Ok", "Pause", "Ping", "Replay", "Resume", "Say",
    "Shutdown", "Shutup", "StatusReply", "StatusRequest", "Toggle", "accepted", "body_size",
    "clip", "decode", "encode", "hook_frame",
]  # fmt: skip
