"""What to do for a Claude Code hook event: pure logic, unit-tested on real payloads.

:func:`route` turns one event into one :data:`Decision`. It does no I/O: a Stop becomes a
:class:`SpeakTurn`, which the daemon completes by reading the transcript (see :mod:`turns`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tts_core.claude_code.asks import ask_sentence
from tts_core.claude_code.turns import TurnKey, TurnTracker
from tts_core.config.schema import HOOK_EVENTS, Config
from tts_core.speech.policy import Priority


@dataclass(frozen=True)
class Speak:
    """Speak ``text`` (markdown allowed) for ``session_id``."""

    text: str
    session_id: str
    priority: Priority
    kind: str
    """What it is, for logs and history: ``turn``, ``notification``, ``error``, ``say``, ..."""
    note: str = ""
    """Why the text may not be all there was to say (a transcript not read whole)."""


@dataclass(frozen=True)
class SpeakTurn:
    """Speak what Claude said in a turn that just ended (needs the transcript)."""

    key: TurnKey
    transcript_path: str | None
    last_message: str


@dataclass(frozen=True)
class SpeakStream:
    """Streaming mode: speak what became complete in a block Claude is writing."""

    key: TurnKey
    message_id: str


@dataclass(frozen=True)
class Cancel:
    """The user acted: stop this session's speech now and drop its queue."""

    session_id: str


@dataclass(frozen=True)
class Drop:
    """Nothing to say for this event."""

    reason: str


Decision = Speak | SpeakTurn | SpeakStream | Cancel | Drop


class PayloadError(ValueError):
    """The hook's stdin is not a Claude Code event."""


def parse_payload(raw: str) -> dict[str, Any]:
    """Parse a hook's stdin. Raises PayloadError with a one-line reason."""
    if not raw.strip():
        raise PayloadError("empty hook payload")
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise PayloadError(f"hook payload is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PayloadError(f"hook payload must be a JSON object, got {type(payload).__name__}")
    name = payload.get("hook_event_name")
    if not isinstance(name, str) or not name:
        raise PayloadError("hook payload has no hook_event_name")
    return payload


def _str(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""


def route(
    payload: dict[str, Any], env: dict[str, str], config: Config, tracker: TurnTracker
) -> Decision:
    """Decide what one parsed hook event means for speech (updating ``tracker``)."""
    name = payload["hook_event_name"]
    session = _str(payload, "session_id")
    if name == "UserPromptSubmit":
        tracker.forget_session(session)
        return Cancel(session)
    if not config.enabled:
        return Drop("disabled")
    if env.get("CLAUDE_CODE_SESSION_ATTENDED") == "0" and not config.speak.headless:
        return Drop("headless")
    if name in HOOK_EVENTS and name not in config.speak.events:
        return Drop("event_disabled")
    key = (session, _str(payload, "prompt_id"))
    last = _str(payload, "last_assistant_message")
    if name == "MessageDisplay":
        index = payload.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            raise PayloadError("MessageDisplay without an integer index")
        message_id = _str(payload, "message_id")
        final = payload.get("final") is True
        tracker.add_delta(key, message_id, index, _str(payload, "delta"), final)
        if config.speak.mode == "stream":
            return SpeakStream(key, message_id)
        return Drop("buffered")
    if name == "Stop":
        return SpeakTurn(key, _str(payload, "transcript_path") or None, last)
    if name == "Notification":
        kind = _str(payload, "notification_type")
        message = _str(payload, "message")
        if kind in config.speak.notification_types and message.strip():
            # A permission prompt blocks Claude until the user acts: never cut, first in line.
            # Other notifications (idle prompts...) are cues, worth saying only into silence.
            urgent = kind == "permission_prompt"
            priority = Priority.IMPORTANT if urgent else Priority.NOTIFICATION
            return Speak(message, session, priority, "notification")
        return Drop("notification_type")
    if name == "PermissionRequest":
        # Claude waits for the user: said at once, never cut, first in line.
        text = ask_sentence(_str(payload, "tool_name"), payload.get("tool_input"))
        return Speak(text, session, Priority.IMPORTANT, "permission")
    if name == "StopFailure":
        return Speak(
            failure_sentence(_str(payload, "error"), last), session, Priority.MESSAGE, "error"
        )
    if name == "SubagentStop":
        if config.speak.subagents and last.strip():
            return Speak(last, session, Priority.MESSAGE, "subagent")
        return Drop("subagent")
    return Drop("event_not_spoken")


_API_ERROR = re.compile(r"API Error:?\s*(\d{3})?", re.IGNORECASE)


def failure_sentence(error: str, last_message: str) -> str:
    """A short spoken line for a turn that ended in an error (StopFailure)."""
    if error and error != "unknown":
        return f"Claude stopped with an error: {error.replace('_', ' ')}."
    match = _API_ERROR.match(last_message.strip())
    if match:
        code = f" {match.group(1)}" if match.group(1) else ""
        return f"Claude stopped with an API error{code}."
    return "Claude stopped with an error."
