"""What to say for each real Claude Code event (pure routing, table-driven)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tts_core.claude_code.events import (
    Cancel,
    Decision,
    Drop,
    PayloadError,
    Speak,
    SpeakStream,
    SpeakTurn,
    failure_sentence,
    parse_payload,
    route,
)
from tts_core.claude_code.turns import TurnTracker
from tts_core.config.schema import Config, SpeakOptions
from tts_core.speech.policy import Priority

from .conftest import PAYLOADS, load_payload

ATTENDED = {"CLAUDE_CODE_SESSION_ATTENDED": "1"}


def decide(name: str, env: dict[str, str] | None = None, config: Config | None = None) -> Decision:
    payload, captured_env = load_payload(name)
    return route(payload, captured_env if env is None else env, config or Config(), TurnTracker())


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("InstructionsLoaded.json", Drop("event_not_spoken")),
        ("Notification_idle_prompt.json", Drop("notification_type")),
        ("PostCompact.json", Drop("event_not_spoken")),
        ("PostToolBatch.json", Drop("event_not_spoken")),
        ("PostToolUse.json", Drop("event_not_spoken")),
        ("PostToolUseFailure.json", Drop("event_not_spoken")),
        ("PreCompact.json", Drop("event_not_spoken")),
        ("PreToolUse.json", Drop("event_not_spoken")),
        ("SessionEnd_other.json", Drop("event_not_spoken")),
        ("SessionEnd_prompt_input_exit.json", Drop("event_not_spoken")),
        ("SessionStart_compact.json", Drop("event_not_spoken")),
        ("SessionStart_resume.json", Drop("event_not_spoken")),
        ("SessionStart_startup.json", Drop("event_not_spoken")),
        ("SubagentStart.json", Drop("event_not_spoken")),
        ("SubagentStop.json", Drop("subagent")),
        ("UserPromptExpansion.json", Drop("event_not_spoken")),
    ],
)
def test_events_that_say_nothing(payload: str, expected: Decision) -> None:
    assert decide(payload, ATTENDED) == expected


def test_a_display_streams_by_default_and_is_buffered_in_turn_mode() -> None:
    payload, _ = load_payload("MessageDisplay.json")
    key = (payload["session_id"], payload["prompt_id"])
    assert decide("MessageDisplay.json", ATTENDED) == SpeakStream(key, payload["message_id"])
    turn = Config(speak=SpeakOptions(mode="turn"))
    assert decide("MessageDisplay.json", ATTENDED, turn) == Drop("buffered")


def test_every_captured_payload_is_covered() -> None:
    names = {p.name for p in PAYLOADS.glob("*.json")}
    spoken = {
        "MessageDisplay.json",
        "Stop.json",
        "Stop_stop_hook_active.json",
        "StopFailure.json",
        "PermissionRequest.json",
        "Notification_permission_prompt.json",
        "UserPromptSubmit.json",
    }
    for name in names - spoken:
        assert isinstance(decide(name, ATTENDED), Drop), name
    assert spoken <= names


def test_stop_asks_for_the_whole_turn() -> None:
    payload, _ = load_payload("Stop.json")
    decision = decide("Stop.json", ATTENDED)
    assert decision == SpeakTurn(
        (payload["session_id"], payload["prompt_id"]),
        payload["transcript_path"],
        payload["last_assistant_message"],
    )


def test_headless_runs_are_silent_by_default() -> None:
    # The captured Stop came from `claude -p`: CLAUDE_CODE_SESSION_ATTENDED=0.
    assert decide("Stop.json") == Drop("headless")
    loud = Config(speak=SpeakOptions(headless=True))
    assert isinstance(decide("Stop.json", config=loud), SpeakTurn)


def test_user_prompt_cancels_that_session_even_when_headless_or_disabled() -> None:
    payload, _ = load_payload("UserPromptSubmit.json")
    expected = Cancel(payload["session_id"])
    assert decide("UserPromptSubmit.json") == expected
    assert decide("UserPromptSubmit.json", ATTENDED, Config(enabled=False)) == expected


def test_permission_prompt_is_important() -> None:
    payload, _ = load_payload("Notification_permission_prompt.json")
    assert decide("Notification_permission_prompt.json") == Speak(
        "Claude needs your permission", payload["session_id"], Priority.IMPORTANT, "notification"
    )


def test_an_idle_prompt_the_user_turned_on_is_a_cue_not_an_interruption() -> None:
    payload, _ = load_payload("Notification_idle_prompt.json")
    config = Config(speak=SpeakOptions(notification_types=("permission_prompt", "idle_prompt")))
    assert decide("Notification_idle_prompt.json", ATTENDED, config) == Speak(
        payload["message"], payload["session_id"], Priority.NOTIFICATION, "notification"
    )


def test_stop_failure_is_a_short_spoken_error() -> None:
    decision = decide("StopFailure.json", ATTENDED)
    assert isinstance(decision, Speak)
    assert decision.text == "Claude stopped with an API error 400."
    assert decision.kind == "error"


@pytest.mark.parametrize(
    ("error", "last", "sentence"),
    [
        ("rate_limit", "", "Claude stopped with an error: rate limit."),
        ("unknown", "API Error: 529 overloaded", "Claude stopped with an API error 529."),
        ("", "API Error", "Claude stopped with an API error."),
        ("unknown", "something else", "Claude stopped with an error."),
    ],
)
def test_failure_sentences(error: str, last: str, sentence: str) -> None:
    assert failure_sentence(error, last) == sentence


def test_subagents_are_opt_in() -> None:
    decision = decide("SubagentStop.json", ATTENDED, Config(speak=SpeakOptions(subagents=True)))
    assert isinstance(decision, Speak) and decision.kind == "subagent"


def test_disabled_says_nothing() -> None:
    assert decide("Stop.json", ATTENDED, Config(enabled=False)) == Drop("disabled")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty hook payload"),
        ("garbage", "hook payload is not JSON: Expecting value: line 1 column 1 (char 0)"),
        ("[]", "hook payload must be a JSON object, got list"),
        ('{"session_id": "x"}', "hook payload has no hook_event_name"),
    ],
)
def test_bad_payloads(raw: str, message: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_payload(raw)
    assert str(info.value) == message


def test_message_display_needs_an_index() -> None:
    payload: dict[str, Any] = dict(load_payload("MessageDisplay.json")[0], index="0")
    with pytest.raises(PayloadError, match="MessageDisplay without an integer index"):
        route(payload, ATTENDED, Config(), TurnTracker())


def test_message_display_is_buffered_for_the_turn() -> None:
    payload, _ = load_payload("MessageDisplay.json")
    tracker = TurnTracker()
    route(payload, ATTENDED, replace(Config()), tracker)
    (block,) = tracker.display_blocks((payload["session_id"], payload["prompt_id"]))
    assert block.complete and block.text == payload["delta"]


def test_events_left_out_of_the_setting_say_nothing() -> None:
    config = Config(speak=SpeakOptions(events=("Stop",)))
    assert decide("Notification_permission_prompt.json", ATTENDED, config) == Drop("event_disabled")
    assert isinstance(decide("Stop.json", ATTENDED, config), SpeakTurn)


def test_streaming_mode_speaks_message_display_as_it_comes() -> None:
    payload, _ = load_payload("MessageDisplay.json")
    stream = Config(speak=SpeakOptions(mode="stream"))
    decision = route(payload, ATTENDED, stream, TurnTracker())
    assert decision == SpeakStream(
        (payload["session_id"], payload["prompt_id"]), payload["message_id"]
    )
