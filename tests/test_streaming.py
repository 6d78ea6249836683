"""Streaming while Claude writes, and several sessions sharing one voice: the real daemon,
real audio into the null sink, the real interactive hook sequence at its original timing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tts_core import client
from tts_core.protocol import HistoryReply, HistoryRequest, HookEvent
from tts_core.text.speakable import sentences

from .conftest import FIXTURES, DaemonProc, Pulse, Recorder, start_daemon, stop_daemon

TUI = FIXTURES / "claude-code" / "tui_session_hook_sequence.jsonl"
ATTENDED = {"CLAUDE_CODE_SESSION_ATTENDED": "1"}


def configure(home: Path, text: str) -> None:
    path = home / "config" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def send(d: DaemonProc, payload: dict[str, Any], env: dict[str, str] | None = None) -> None:
    event = HookEvent(raw=json.dumps(payload), env={**ATTENDED, **(env or {})}, sent_at=time.time())
    client.request(event, paths=d.paths)


def history(d: DaemonProc) -> list[dict[str, Any]]:
    reply = client.request(HistoryRequest(100), paths=d.paths)
    assert isinstance(reply, HistoryReply)
    return reply.entries


def test_streaming_speaks_before_stop_and_nothing_twice(
    pulse: Pulse, recorder: Recorder, isolated_home: Path
) -> None:
    configure(isolated_home, "speak: {mode: stream}\nvoice: {engine: espeak}\n")
    events = [json.loads(line) for line in TUI.read_text().splitlines()]
    second_prompt = [i for i, e in enumerate(events) if e["event"] == "UserPromptSubmit"][1]
    first_turn = events[:second_prompt]  # its final delta arrives after its Stop
    d = start_daemon(pulse.env)
    try:
        t0, start = first_turn[0]["t"], time.monotonic()
        stop_sent = 0.0
        for e in first_turn:
            time.sleep(max(0.0, (e["t"] - t0) - (time.monotonic() - start)))
            if e["event"] == "Stop":
                stop_sent = time.time()
            send(d, e["payload"])
        d.wait_for(lambda s: s["counters"]["in_progress"] == 0 and not s["speaking"], timeout=60)
        entries = history(d)
    finally:
        stop_daemon(d)
    streamed = [e for e in entries if e["kind"] == "stream"]
    assert streamed, entries
    first_audio_at = streamed[0]["queued_at"] + streamed[0]["timings"]["first_audio"] / 1000
    assert first_audio_at < stop_sent  # speech began while Claude was still writing
    answer = next(e for e in first_turn if e["event"] == "Stop")["payload"][
        "last_assistant_message"
    ]
    spoken = [s for e in entries if e["outcome"] == "spoken" for s in e["spoken"]]
    assert spoken == sentences(answer)  # all of it, in order, nothing twice


def test_sessions_take_turns_with_a_cue_and_a_prompt_stops_only_its_own(
    pulse: Pulse, recorder: Recorder, isolated_home: Path
) -> None:
    configure(isolated_home, "voice: {engine: espeak}\nsessions: {speaker_cue: name}\n")

    def notify(session: str, project: str, message: str) -> None:
        send(d, {"hook_event_name": "Notification", "session_id": session, "cwd": project,
                 "notification_type": "permission_prompt", "message": message},
             {"CLAUDE_PROJECT_DIR": project})  # fmt: skip

    d = start_daemon(pulse.env)
    try:
        notify("a", "/work/alpha", "Claude needs your permission to run the tests.")
        d.wait_for(lambda s: s["speaking"], timeout=20)
        notify("b", "/work/beta", "Claude needs your permission to edit a file.")
        notify("a", "/work/alpha", "Claude needs your permission again.")
        send(d, {"hook_event_name": "UserPromptSubmit", "session_id": "a", "prompt": "stop"})
        d.wait_for(lambda s: s["counters"]["in_progress"] == 0 and not s["speaking"], timeout=60)
        entries = history(d)
    finally:
        stop_daemon(d)
    outcome = [(e["session_id"], e["outcome"], e["reason"]) for e in entries]
    assert sorted(outcome) == [
        ("a", "dropped", "user_prompt"), ("a", "dropped", "user_prompt"), ("b", "spoken", ""),
    ]  # fmt: skip
    (beta,) = [e for e in entries if e["session_id"] == "b"]
    assert beta["spoken"][0] == "beta:"  # the speaker changed: its project is named first


TWO = FIXTURES / "claude-code" / "tui_reply_text_thinking_text"


def test_a_reply_of_two_blocks_is_heard_once_in_the_daemon_in_both_modes(
    pulse: Pulse, recorder: Recorder, isolated_home: Path, tmp_path: Path
) -> None:
    """The real capture (text, thinking, text: one display message for the reply, its blocks
    glued; Stop with only the last block), with the display before Stop and, as seen, after
    it; through the real daemon with real audio, in turn and stream modes."""
    transcript = tmp_path / "transcript.jsonl"
    transcript.write_bytes((TWO / "transcript.jsonl").read_bytes())
    events = [json.loads(x) for x in (TWO / "hook_sequence.jsonl").read_text().splitlines()]
    for e in events:
        e["payload"]["transcript_path"] = str(transcript)
    expected = ["First text block of the reply.", "Second text block of the same reply."]
    for mode in ("turn", "stream"):
        for order in (events, [events[1], events[0]]):  # display before Stop; after it
            configure(isolated_home, f"speak: {{mode: {mode}}}\nvoice: {{engine: espeak}}\n")
            d = start_daemon(pulse.env)
            try:
                for e in order:
                    send(d, e["payload"], e.get("env"))
                    time.sleep(0.02)
                d.wait_for(lambda s: s["counters"]["in_progress"] == 0 and not s["speaking"],
                           timeout=60)  # fmt: skip
                spoken = [s for e in history(d) if e["outcome"] == "spoken" for s in e["spoken"]]
            finally:
                stop_daemon(d)
            assert spoken == expected, (mode, order[0]["event"], spoken)
            (isolated_home / "state" / "journal.jsonl").unlink(missing_ok=True)
