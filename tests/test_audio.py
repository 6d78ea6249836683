"""Real playback: the daemon plays into a PulseAudio null sink whose monitor we record."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tts_core import client
from tts_core.audio.pcm import from_wav_bytes
from tts_core.protocol import Ok, Say, Shutup

from .conftest import (
    FIXTURES,
    PAYLOADS,
    DaemonProc,
    Pulse,
    Recorder,
    last_voiced_at,
    run_hook,
    start_daemon,
    stop_daemon,
    subprocess_env,
    voiced_seconds,
)

SENTENCES = "The build finished. All forty tests passed, and the linter found nothing to fix."
LONG = " ".join(f"This is sentence number {i} of a long answer." for i in range(14))


def rendered_voiced_seconds(text: str, tmp: Path) -> float:
    """Voiced length of the same text rendered to a file by `claude-tts say --output`."""
    out = tmp / "expected.wav"
    subprocess.run(
        [sys.executable, "-m", "tts_core", "say", "--output", str(out), text],
        env=subprocess_env(),
        check=True,
        capture_output=True,
    )
    audio = from_wav_bytes(out.read_bytes())
    return voiced_seconds(audio.samples, audio.rate)


def wait_idle(d: DaemonProc, count: int, timeout: float = 60) -> dict[str, Any]:
    return d.wait_for(
        lambda s: s["counters"]["received"] == count and s["counters"]["in_progress"] == 0,
        timeout=timeout,
    )


def test_say_is_heard_in_full(audio_daemon: DaemonProc, recorder: Recorder, tmp_path: Path) -> None:
    expected = rendered_voiced_seconds(SENTENCES, tmp_path)
    assert expected > 2.0
    client.request(Say(SENTENCES), paths=audio_daemon.paths)
    st = wait_idle(audio_daemon, 1)
    heard = voiced_seconds(recorder.stop())
    assert st["counters"] == {
        "received": 1,
        "spoken": 1,
        "dropped": 0,
        "failed": 0,
        "in_progress": 0,
    }
    assert st["audio_device"]
    assert abs(heard - expected) < 0.3, (heard, expected)


def test_a_stop_event_speaks_the_whole_turn(
    audio_daemon: DaemonProc, recorder: Recorder, tmp_path: Path
) -> None:
    data = json.loads((PAYLOADS / "Stop.json").read_text())
    transcript = tmp_path / "session.jsonl"
    source = FIXTURES / "claude-code" / "transcript_headless_4turns.jsonl"
    transcript.write_bytes(source.read_bytes())
    payload = {**data["payload"], "transcript_path": str(transcript)}
    env = {**data["env"], "CLAUDE_CODE_SESSION_ATTENDED": "1"}
    result = run_hook(json.dumps(payload).encode(), env)
    assert (result.returncode, result.stdout) == (0, b"")
    st = wait_idle(audio_daemon, 1)
    heard = voiced_seconds(recorder.stop())
    assert st["counters"]["spoken"] == 1, st
    expected = rendered_voiced_seconds(payload["last_assistant_message"], tmp_path)
    assert abs(heard - expected) < 0.4, (heard, expected)
    # The same Stop again (a retried hook) is not spoken twice.
    run_hook(json.dumps(payload).encode(), env)
    st = wait_idle(audio_daemon, 2)
    assert st["dropped_by_reason"] == {"already_spoken": 1}


def test_shutup_cuts_speech_short(audio_daemon: DaemonProc, recorder: Recorder) -> None:
    # espeak-ng named: its first audio is at once, so 1.5 s in is well into the speech (the
    # neural voices' stop is measured in test_neural_voices).
    client.request(Say(LONG, engine="espeak"), paths=audio_daemon.paths)
    audio_daemon.wait_for(lambda s: s["speaking"], timeout=10)
    time.sleep(1.5)
    t_shutup = time.monotonic()
    client.request(Shutup(), paths=audio_daemon.paths)
    st = wait_idle(audio_daemon, 1)
    stopped_after = time.monotonic() - t_shutup
    samples = recorder.stop()
    heard = voiced_seconds(samples)
    assert st["dropped_by_reason"] == {"shutup": 1}
    assert stopped_after < 0.5
    # About 1.5 s was played (plus start-up); the whole text is over 25 s.
    assert 0.8 < heard < 3.0, heard
    # Nothing was heard after the cut: the recording's last voice is near the shutup time.
    assert last_voiced_at(samples) < (t_shutup - recorder.started) + 0.5 + 0.3


def test_gtts_through_the_daemon_is_heard_and_shutup_silences_it(
    pulse: Pulse, recorder: Recorder, isolated_home: Path
) -> None:
    import asyncio

    from tts_core.config.schema import VoiceOptions
    from tts_core.engines.base import render
    from tts_core.engines.gtts import GttsEngine
    from tts_core.languages.catalog import lookup

    from .gtts_server import FakeGoogle

    google = FakeGoogle()
    config = isolated_home / "config" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(f"voice: {{engine: gtts, gtts_endpoint: '{google.endpoint}'}}\n")
    d = start_daemon(pulse.env)
    try:
        client.request(Say(SENTENCES), paths=d.paths)
        st = wait_idle(d, 1)
        assert st["engines"]["used"] == {"gtts": 2}, st["engines"]  # per sentence
        assert len(google.seen) == 2  # one request per sentence
        client.request(Say(LONG), paths=d.paths)
        d.wait_for(lambda s: s["speaking"], timeout=20)
        time.sleep(1.0)
        t_shutup = time.monotonic()
        client.request(Shutup(), paths=d.paths)
        wait_idle(d, 2)
        samples = recorder.stop()
        engine = GttsEngine(VoiceOptions(gtts_endpoint=google.endpoint))
        expected = 0.0
        for sentence in ("The build finished.", SENTENCES.split(". ", 1)[1]):
            audio = asyncio.run(render(engine, sentence, lookup("en")))
            expected += voiced_seconds(audio.samples, audio.rate)
    finally:
        stop_daemon(d)
        google.close()
    heard = voiced_seconds(samples)
    # The first say in full, then about a second of the long one; nothing after the cut.
    assert expected + 0.5 < heard < expected + 2.5, (heard, expected)
    assert last_voiced_at(samples) < (t_shutup - recorder.started) + 0.5


def test_a_lost_audio_device_is_recovered_without_a_restart() -> None:
    from .audio_sink import kill, launch, start_pulse, stop_pulse

    server = start_pulse()
    d = start_daemon(server.env)
    try:
        client.request(Say("First."), paths=d.paths)
        assert wait_idle(d, 1)["counters"]["spoken"] == 1
        kill(server)  # the sound server goes away
        client.request(Say("Nobody hears this."), paths=d.paths)
        st = wait_idle(d, 2)
        assert st["counters"]["failed"] == 1
        assert st["last_error"].startswith(("audio device failed", "no audio output device"))
        launch(server)  # and comes back, on the same socket
        client.request(Say("Back again."), paths=d.paths)
        st = wait_idle(d, 3)
        assert st["counters"]["spoken"] == 2 and st["pid"] == d.proc.pid
    finally:
        stop_daemon(d)
        stop_pulse(server)


def test_history_timings_and_replay(audio_daemon: DaemonProc, recorder: Recorder) -> None:
    from tts_core.protocol import HistoryReply, HistoryRequest, Replay

    client.request(Say("The build finished. All tests passed."), paths=audio_daemon.paths)
    wait_idle(audio_daemon, 1)
    assert client.request(Replay(), paths=audio_daemon.paths) == Ok("queued")
    st = wait_idle(audio_daemon, 2)
    reply = client.request(HistoryRequest(10), paths=audio_daemon.paths)
    assert isinstance(reply, HistoryReply)
    first, again = reply.entries
    assert (first["kind"], again["kind"]) == ("say", "replay")
    assert first["spoken"] == again["spoken"] == ["The build finished.", "All tests passed."]
    assert first["heard"] == first["spoken"]  # played to the end
    assert first["outcome"] == again["outcome"] == "spoken"
    assert set(first["timings"]) == {"filter", "synthesize", "first_audio"}
    assert st["timings"]["first_audio"]["n"] == 2
    assert st["timings"]["first_audio"]["p50"] > 0


def test_say_waits_until_it_was_heard(audio_daemon: DaemonProc, recorder: Recorder) -> None:
    from .conftest import run_cli

    result = run_cli("say", "--engine", "espeak", "The build finished.")
    assert (result.returncode, result.stderr) == (0, "")
    # By the time the command returned, the sentence had been played in full.
    assert audio_daemon.status()["counters"]["spoken"] == 1
    assert voiced_seconds(recorder.stop()) > 0.5


def test_history_tells_what_was_heard_from_what_was_sent_after_a_cut(
    audio_daemon: DaemonProc, recorder: Recorder
) -> None:
    from tts_core.protocol import HistoryReply, HistoryRequest, Shutup

    from .conftest import run_cli

    text = " ".join(f"This is sentence number {n} of a long answer." for n in range(12))
    client.request(Say(text, engine="espeak"), paths=audio_daemon.paths)
    audio_daemon.wait_for(lambda s: s["speaking"])
    time.sleep(1.2)
    client.request(Shutup(), paths=audio_daemon.paths)
    audio_daemon.wait_for(lambda s: not s["speaking"] and s["counters"]["in_progress"] == 0)
    reply = client.request(HistoryRequest(1), paths=audio_daemon.paths)
    assert isinstance(reply, HistoryReply)
    (entry,) = reply.entries
    assert entry["outcome"] == "dropped" and entry["reason"] == "shutup"
    assert len(entry["heard"]) < len(entry["spoken"]) <= 12  # synthesized ahead, not heard
    assert entry["heard"] == entry["spoken"][: len(entry["heard"])]
    replay = run_cli("replay")
    assert replay.stdout == (
        f"claude-tts: queued; last time {len(entry['heard'])} of {len(entry['spoken'])} "
        "sentences were heard (shutup)\n"
    )
