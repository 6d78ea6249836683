"""Control while you work, against the real daemon and the PulseAudio null sink: a permission
ask heard at once even while an answer plays, pause and resume, quiet during a call, and the
catch-up line. The recording of the sink proves what was heard and when."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tts_core import client
from tts_core.protocol import HistoryReply, HistoryRequest, Ok, Pause, Resume, Say

from .conftest import (
    DaemonProc,
    Pulse,
    Recorder,
    load_payload,
    run_hook,
    start_daemon,
    stop_daemon,
)

ANSWER = " ".join(f"This is sentence number {n} of the answer." for n in range(1, 5))
FRAME = 320  # 20 ms at the recorder's 16 kHz


def espeak_daemon(home: Path, pulse: Pulse, extra: str = "") -> DaemonProc:
    config = home / "config" / "config.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("voice: {engine: espeak}\n" + extra)
    return start_daemon(pulse.env)


@pytest.fixture
def speaker(pulse: Pulse, isolated_home: Path) -> Iterator[DaemonProc]:
    d = espeak_daemon(isolated_home, pulse)
    yield d
    stop_daemon(d)


def frames_now(rec: Recorder) -> int:
    """How many frames the recorder has written so far (where "now" is in the recording)."""
    head = rec.path.read_bytes()[:4096]  # the header still says 0 frames: count the bytes
    fmt = head.index(b"fmt ")
    width = int(struct.unpack_from("<H", head, fmt + 22)[0]) // 8
    return int(os.path.getsize(rec.path) - head.index(b"data") - 8) // width


def loud(samples: np.ndarray[Any, np.dtype[np.float32]]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    n = len(samples) // FRAME
    rms = np.sqrt(np.mean(samples[: n * FRAME].reshape(n, FRAME) ** 2, axis=1))
    voiced: np.ndarray[Any, np.dtype[np.bool_]] = rms > 0.01
    return voiced


def history(d: DaemonProc) -> list[dict[str, Any]]:
    reply = client.request(HistoryRequest(20), paths=d.paths)
    assert isinstance(reply, HistoryReply)
    return reply.entries


def idle(d: DaemonProc, count: int, timeout: float = 60) -> dict[str, Any]:
    return d.wait_for(
        lambda s: s["counters"]["received"] == count and s["counters"]["in_progress"] == 0,
        timeout=timeout,
    )


def test_pause_silences_at_once_and_resume_says_every_sentence_once(
    speaker: DaemonProc, recorder: Recorder
) -> None:
    client.request(Say(ANSWER), paths=speaker.paths)
    speaker.wait_for(lambda s: s["speaking"], timeout=10)
    time.sleep(1.3)  # inside the first sentence
    at_pause = frames_now(recorder)
    assert client.request(Pause(), paths=speaker.paths) == Ok("paused")
    time.sleep(1.5)
    st = speaker.status()
    assert st["speaking"] and st["paused_since"] and set(st["holding"]) == {"pause"}
    assert client.request(Pause(), paths=speaker.paths) == Ok("already paused")
    at_resume = frames_now(recorder)
    assert client.request(Resume(), paths=speaker.paths) == Ok("resumed")
    st = idle(speaker, 1)
    voiced = loud(recorder.stop())
    assert st["counters"]["spoken"] == 1 and st["holding"] == {} and st["paused_since"] is None
    (entry,) = history(speaker)
    assert entry["outcome"] == "spoken"
    assert (
        entry["heard"]
        == entry["spoken"]
        == [f"This is sentence number {n} of the answer." for n in range(1, 5)]
    )
    # Silent from within 100 ms of the pause until the resume; sound again right after it.
    p, r = at_pause // FRAME, at_resume // FRAME
    assert voiced[p - 10 : p].any(), "it was speaking when paused"
    assert not voiced[p + 5 : r].any(), "silent while paused"
    assert voiced[r : r + 15].any(), "speaking again within 300 ms of the resume"


def test_a_permission_ask_is_heard_at_once_while_an_answer_plays(
    speaker: DaemonProc, recorder: Recorder
) -> None:
    client.request(Say(ANSWER), paths=speaker.paths)
    speaker.wait_for(lambda s: s["speaking"], timeout=10)
    time.sleep(1.0)
    ask, env = load_payload("PermissionRequest.json")
    ask = {**ask, "tool_input": {"command": "npm test"}}
    env = {**env, "CLAUDE_CODE_SESSION_ATTENDED": "1"}
    result = run_hook(json.dumps(ask).encode(), env)
    assert (result.returncode, result.stdout) == (0, b"")
    idle(speaker, 2)
    prompt, _ = load_payload("Notification_permission_prompt.json")
    prompt = {**prompt, "session_id": ask["session_id"]}
    run_hook(json.dumps(prompt).encode(), env)
    st = idle(speaker, 3)
    recorder.stop()
    assert st["dropped_by_reason"] == {"asked_already": 1}
    entries = {e["kind"]: e for e in history(speaker)}
    assert set(entries) == {"say", "permission"}
    said = entries["permission"]
    assert said["heard"] == ["Claude asks to run Bash: npm test"]
    # From the hook's start to the ask's first sample on the sink.
    assert said["timings"]["hook"] + said["timings"]["first_audio"] < 500, said["timings"]
    # The answer was interrupted, not cut: every sentence heard once, after the ask.
    answer = entries["say"]
    assert answer["outcome"] == "spoken" and answer["heard"] == answer["spoken"]
    assert len(answer["heard"]) == 4


def test_pause_resume_and_toggle_from_the_command_line(daemon: DaemonProc) -> None:
    from .conftest import run_cli

    assert run_cli("toggle").stdout == "claude-tts: paused\n"
    shown = run_cli("status").stdout
    assert "  holding: paused since " in shown, shown
    assert run_cli("pause").stdout == "claude-tts: already paused\n"
    assert run_cli("toggle").stdout == "claude-tts: resumed\n"
    assert run_cli("resume").stdout == "claude-tts: not paused\n"
    assert "holding" not in run_cli("status").stdout


@pytest.fixture
def microphone(pulse: Pulse) -> Iterator[dict[str, str]]:
    """A source that is not a monitor (``mic``) in the private sound server. Made before
    the recorder starts: PulseAudio moves the streams of the default source to a new
    microphone, the recorder of the speaker's monitor included."""
    env = {**os.environ, **pulse.env}
    loaded = subprocess.run(
        ["pactl", "load-module", "module-null-source", "source_name=mic"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    subprocess.run(["pactl", "set-default-source", "speaker.monitor"], env=env, check=True)
    yield env
    subprocess.run(["pactl", "unload-module", loaded.stdout.strip()], env=env, check=False)


def test_speech_holds_while_a_microphone_records_and_goes_on_after(
    speaker: DaemonProc, microphone: dict[str, str], recorder: Recorder
) -> None:
    # Our own recorder of the speaker's monitor is running: that is not a call.
    st = speaker.wait_for(lambda s: s["microphone"]["check"] == "pactl")
    assert st["microphone"]["recording"] == [] and st["holding"] == {}
    call = subprocess.Popen(
        ["parecord", "--device=mic", "--file-format=wav", str(recorder.path.with_name("c.wav"))],
        env=microphone, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        st = speaker.wait_for(lambda s: "mic" in s["holding"], timeout=5)
        assert st["holding"]["mic"]["why"] == "a microphone is in use (parecord)"
        client.request(Say("The call is over now."), paths=speaker.paths)
        time.sleep(1.5)
        held = frames_now(recorder)
        st = speaker.status()
        assert st["counters"]["spoken"] == 0 and st["counters"]["in_progress"] == 1
    finally:
        call.terminate()
        call.wait(timeout=10)
    st = idle(speaker, 1)
    voiced = loud(recorder.stop())
    assert st["counters"]["spoken"] == 1 and st["holding"] == {}
    assert not voiced[: held // FRAME].any(), "nothing was said during the call"
    assert voiced[held // FRAME :].sum() * 0.02 > 0.8, "said in full after it"
    (entry,) = history(speaker)
    assert entry["heard"] == ["The call is over now."]


def test_the_mic_check_reads_pactl_listings() -> None:
    from tts_core.audio.mic import microphones, recorders

    sources = (
        "Source #0\n\tName: speaker.monitor\n\tMonitor of Sink: speaker\n"
        "Source #3\n\tName: alsa_input.usb\n\tMonitor of Sink: n/a\n"
        "Source #7\n\tName: odd\n\tMonitor of Sink: n/a\n\tProperties:\n"
        '\t\tdevice.class = "monitor"\n'
    )
    outputs = (
        'Source Output #1\n\tSource: 0\n\tCorked: no\n\tProperties:\n\t\tapplication.name = "rec"\n'
        'Source Output #2\n\tSource: 3\n\tCorked: no\n\t\tapplication.name = "Zoom"\n'
        'Source Output #4\n\tSource: 3\n\tCorked: yes\n\t\tapplication.name = "Muted"\n'
        "Source Output #5\n\tSource: 3\n\tCorked: no\n"
    )
    assert microphones(sources) == {"3"}
    assert recorders(outputs, {"3"}) == ["Zoom", "stream 5"]


def test_coming_back_says_once_what_each_session_lost(
    pulse: Pulse, isolated_home: Path, recorder: Recorder
) -> None:
    d = espeak_daemon(
        isolated_home, pulse, "sessions: {stale_after_s: 1, stale_while_held: true}\n"
    )
    try:
        assert client.request(Pause(), paths=d.paths) == Ok("paused")
        failure, env = load_payload("StopFailure.json")
        web = {**env, "CLAUDE_CODE_SESSION_ATTENDED": "1", "CLAUDE_PROJECT_DIR": "/src/web"}
        for _ in range(2):
            run_hook(json.dumps({**failure, "session_id": "web-1"}).encode(), web)
        ask, _ = load_payload("PermissionRequest.json")
        api = {**web, "CLAUDE_PROJECT_DIR": "/src/api-server"}
        run_hook(json.dumps({**ask, "session_id": "api-1"}).encode(), api)
        d.wait_for(lambda s: s["queue_length"] == 3)
        time.sleep(1.2)  # all three are stale by now: nobody listened
        assert client.request(Resume(), paths=d.paths) == Ok("resumed")
        st = idle(d, 4)
        assert st["dropped_by_reason"] == {"stale": 3}
        # Back again: nothing more was lost, so nothing more is said.
        client.request(Pause(), paths=d.paths)
        client.request(Resume(), paths=d.paths)
        prompt, _ = load_payload("UserPromptSubmit.json")
        run_hook(json.dumps({**prompt, "session_id": "web-1"}).encode(), web)
        st = idle(d, 5)
        voiced = loud(recorder.stop())
        lines = [e for e in history(d) if e["kind"] == "catch_up"]
    finally:
        stop_daemon(d)
    assert [(e["heard"], e["priority"]) for e in lines] == [
        (["api-server: asked for permission.", "web: two answers skipped."], "notification")
    ]
    assert voiced.sum() * 0.02 > 1.5  # the line was heard on the sink


def test_many_pauses_at_any_moment_lose_no_sentence(
    speaker: DaemonProc, recorder: Recorder
) -> None:
    client.request(Say(ANSWER), paths=speaker.paths)
    speaker.wait_for(lambda s: s["speaking"], timeout=10)
    for delay in (0.35, 0.8, 0.5, 1.1, 0.65, 0.9):  # within clips, at their ends, in the pad
        time.sleep(delay)
        client.request(Pause(), paths=speaker.paths)
        time.sleep(0.2)
        client.request(Resume(), paths=speaker.paths)
    idle(speaker, 1)
    recorder.stop()
    (entry,) = history(speaker)
    assert entry["outcome"] == "spoken" and len(entry["heard"]) == 4
