"""Permission asks: said the moment Claude asks (PermissionRequest), and the permission prompt
Notification for the same ask adds nothing (real payloads, pure routing)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tts_core.claude_code.asks import ASK_WINDOW_S, Asks, ask_sentence
from tts_core.claude_code.conversation import Conversation
from tts_core.claude_code.events import Drop, Speak
from tts_core.config.schema import Config, SpeakOptions
from tts_core.speech.policy import Priority
from tts_core.text.speakable import sentences

from .conftest import load_payload

ATTENDED = {"CLAUDE_CODE_SESSION_ATTENDED": "1"}
SESSION = "ecd5e648-ef9e-4140-a94c-80a81d266fe8"


def ask(tool: str = "Bash", command: str = "npm test", session: str = SESSION) -> dict[str, Any]:
    payload, _ = load_payload("PermissionRequest.json")
    return {**payload, "session_id": session, "tool_name": tool,
            "tool_input": {"command": command, "description": "Run the tests"}}  # fmt: skip


def prompt(session: str = SESSION, message: str = "Claude needs your permission") -> dict[str, Any]:
    payload, _ = load_payload("Notification_permission_prompt.json")
    return {**payload, "session_id": session, "message": message}


def test_a_permission_request_is_said_at_once_at_the_important_priority() -> None:
    payload, _ = load_payload("PermissionRequest.json")
    decision = Conversation().decide(payload, ATTENDED, Config())
    assert decision == Speak(
        "Claude asks to run Bash: `touch created_by_tool.txt`", SESSION, Priority.IMPORTANT,
        "permission",
    )  # fmt: skip
    assert sentences(decision.text) == ["Claude asks to run Bash: touch created by tool.txt"]


def test_the_ask_is_cut_short_and_its_secrets_hidden_before_the_cut() -> None:
    key = "sk-ant-api03-" + "Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3kL5mN7pQ9rS1tU3v"
    text = ask_sentence("Bash", {"command": f"curl -H 'x-api-key: {key}' https://api.example.com"})
    spoken = " ".join(sentences(text))
    assert key[:12] not in text and "AbdE" not in spoken and "secret" in spoken.lower()
    long = ask_sentence("Bash", {"command": "echo " + "word " * 200})
    assert long.endswith(" ...`") and len(long) < 140
    assert ask_sentence("Edit", {"file_path": "/src/app.py", "old_string": "x"}) == (
        "Claude asks to use Edit: `/src/app.py`"
    )
    assert ask_sentence("We`ird tool\n", None) == "Claude asks to use Weirdtool."


def test_the_notification_for_the_same_ask_adds_nothing() -> None:
    talk = Conversation()
    assert isinstance(talk.decide(ask(), ATTENDED, Config()), Speak)
    assert talk.decide(prompt(), ATTENDED, Config()) == Drop("asked_already")
    # One ask absorbs one prompt: the next one (a second ask we never heard) is said.
    again = talk.decide(prompt(), ATTENDED, Config())
    assert isinstance(again, Speak) and again.priority == Priority.IMPORTANT


def test_a_prompt_of_another_session_or_tool_or_after_the_user_acted_is_said() -> None:
    talk = Conversation()
    talk.decide(ask(tool="Bash"), ATTENDED, Config())
    assert isinstance(talk.decide(prompt(session="other"), ATTENDED, Config()), Speak)
    named = prompt(message="Claude needs your permission to use Write")
    assert isinstance(talk.decide(named, ATTENDED, Config()), Speak)
    same = prompt(message="Claude needs your permission to use Bash")
    assert talk.decide(same, ATTENDED, Config()) == Drop("asked_already")
    talk.decide(ask(), ATTENDED, Config())
    submit, _ = load_payload("UserPromptSubmit.json")
    talk.decide({**submit, "session_id": SESSION}, ATTENDED, Config())
    assert isinstance(talk.decide(prompt(), ATTENDED, Config()), Speak)


def test_an_ask_older_than_the_window_absorbs_nothing() -> None:
    now = [0.0]
    asks = Asks(clock=lambda: now[0])
    asks.asked("s", "Bash")
    now[0] = ASK_WINDOW_S + 1
    assert not asks.repeats("s", "Claude needs your permission")


def test_with_permission_requests_switched_off_the_notification_still_speaks() -> None:
    config = replace(Config(), speak=SpeakOptions(events=("Stop", "Notification")))
    talk = Conversation()
    assert talk.decide(ask(), ATTENDED, config) == Drop("event_disabled")
    assert isinstance(talk.decide(prompt(), ATTENDED, config), Speak)


def test_a_tool_name_is_matched_as_it_is_said() -> None:
    """An ask for a tool whose name holds characters a name is not made of is matched by its
    Notification all the same (it was said, and remembered, cleaned the same way)."""
    asks = Asks(clock=lambda: 0.0)
    asks.asked("s", "mcp__files/read")
    assert asks.repeats("s", "Claude needs your permission to use mcp__filesread")
