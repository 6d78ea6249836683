"""The wire format: every message round-trips; every malformed frame gets a precise error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tts_core import protocol
from tts_core.errors import ProtocolError
from tts_core.protocol import (
    Error,
    HistoryReply,
    HistoryRequest,
    HookEvent,
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
    decode,
    encode,
    hook_frame,
)

ALL = [
    HookEvent(raw='{"hook_event_name": "Stop"}', env={"CLAUDE_PID": "1"}, sent_at=1.5),
    HookEvent(raw="", truncated=True),
    Say(text="こんにちは。 **bold**", lang="ja"),
    Say(text="hi"),
    Shutup(session_id="abc"),
    Shutup(),
    StatusRequest(),
    Ping(),
    Shutdown(),
    Ok("queued"),
    StatusReply({"pid": 3, "counters": {"received": 1}}),
    Error("bad_json", "frame is not valid JSON"),
    HistoryRequest(5),
    Replay(),
    Pause(),
    Resume(),
    Toggle(),
    HistoryReply([{"kind": "turn", "timings": {"filter": 0.4}}]),
]


@pytest.mark.parametrize("message", ALL, ids=lambda m: type(m).__name__)
def test_round_trip(message: protocol.Message) -> None:
    frame = encode(message)
    assert frame.endswith(b"\n") and frame.count(b"\n") == 1
    assert decode(frame) == message


def test_every_message_type_is_registered_once() -> None:
    assert {type(m) for m in ALL} == set(protocol.MESSAGES.values())


def test_frame_carries_version_and_type() -> None:
    assert encode(Ping()) == b'{"v":1,"type":"ping"}\n'


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    assert decode(b'{"v":1,"type":"say","text":"hi","future":true}') == Say("hi")


@pytest.mark.parametrize(
    ("frame", "code", "message"),
    [
        (
            b"not json",
            "bad_json",
            "frame is not valid JSON: Expecting value: line 1 column 1 (char 0)",
        ),
        (b"\xff\xfe", "bad_json", None),
        (b"[1, 2]", "bad_frame", "frame must be a JSON object, got list"),
        (b'{"type":"ping"}', "bad_version", "unsupported protocol version None; expected 1"),
        (b'{"v":2,"type":"ping"}', "bad_version", "unsupported protocol version 2; expected 1"),
        (
            b'{"v":1,"type":"dance"}',
            "unknown_type",
            "unknown message type 'dance'; known: error, history, history_reply, hook, ok, pause, "
            "ping, replay, resume, say, shutdown, shutup, status, status_reply, toggle",
        ),
        (b'{"v":1,"type":"say"}', "bad_field", "say: missing field 'text'"),
        (b'{"v":1,"type":"say","text":5}', "bad_field", "say: field 'text' must be str, got 5"),
        (
            b'{"v":1,"type":"hook","raw":"x","sent_at":true}',
            "bad_field",
            "hook: field 'sent_at' must be int or float, got True",
        ),
        (
            b'{"v":1,"type":"hook","raw":"x","env":[]}',
            "bad_field",
            "hook: field 'env' must be an object of strings, got []",
        ),
    ],
)
def test_malformed_frames(frame: bytes, code: str, message: str | None) -> None:
    with pytest.raises(ProtocolError) as info:
        decode(frame)
    assert info.value.code == code
    if message is not None:
        assert str(info.value) == message


def test_oversized_frames_are_refused_both_ways() -> None:
    big = "x" * protocol.MAX_FRAME
    with pytest.raises(ProtocolError) as info:
        encode(Say(big))
    assert info.value.code == "too_large"
    with pytest.raises(ProtocolError) as info:
        decode(b" " * (protocol.MAX_FRAME + 1))
    assert info.value.code == "too_large"


def test_env_values_must_be_strings() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(b'{"v":1,"type":"hook","raw":"x","env":{"A":1}}')
    assert str(info.value) == "hook: field 'env' must be an object of strings, got {'A': 1}"


@settings(max_examples=300, deadline=None)
@given(
    raw=st.binary(max_size=2000),
    env=st.dictionaries(
        st.text(max_size=20),
        st.text(st.characters(codec=None), max_size=40) | st.just("bytes \udcff\udc80 undecodable"),
        max_size=4,
    ),
    event_id=st.text(max_size=20),
    sent_at=st.floats(min_value=0, max_value=4e9),
)
def test_the_hooks_hand_written_header_always_parses(
    raw: bytes, env: dict[str, str], event_id: str, sent_at: float
) -> None:
    """The hook builds its header without json; whatever the environment holds (quotes,
    backslashes, control characters, any script), the daemon reads back the same event."""
    frame = hook_frame(raw, env, sent_at, event_id)
    event = decode(frame)
    assert isinstance(event, HookEvent)
    assert (event.env, event.id, event.sent_at) == (env, event_id, sent_at)
    assert event.raw == raw.decode("utf-8", "replace")


@given(st.text(max_size=400))
def test_clip_keeps_short_strings_and_bounds_long_ones_distinctly(text: str) -> None:
    clipped = protocol.clip(text)
    assert len(clipped) <= protocol.FIELD_MAX
    if len(text) <= protocol.FIELD_MAX:
        assert clipped == text
    else:
        assert clipped.startswith(text[:40]) and f"[{len(text)} chars #" in clipped
        assert protocol.clip(text + "x") != clipped  # two long ids stay two
