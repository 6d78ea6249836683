"""A daemon that survives hostile input and broken surroundings, with its books exact.

Against the real daemon: payloads fuzzed by hypothesis (any JSON shape in every field, NUL
bytes and lone surrogates in every string, deep nesting, huge values), a config watched without
being touched, a 50 MB and a binary config, FIFO and /dev/zero transcripts, a flood of idle
connections. After each, every event is in the books (``received = spoken + dropped + failed``,
none left in progress) and the daemon still answers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tts_core import client
from tts_core.audio.cache import AudioCache
from tts_core.audio.pcm import Audio
from tts_core.daemon.server import FIRST_FRAME_S
from tts_core.protocol import HookEvent, StatusReply, StatusRequest, hook_frame

from .conftest import PAYLOADS, DaemonProc, start_daemon, stop_daemon

NO_AUDIO = {"PULSE_SERVER": "unix:/nonexistent"}
ATTENDED = {"CLAUDE_CODE_SESSION_ATTENDED": "1"}
EVENTS = ["Stop", "MessageDisplay", "Notification", "StopFailure", "UserPromptSubmit",
          "SubagentStop", "SessionStart", ""]  # fmt: skip
FIELDS = ["session_id", "prompt_id", "transcript_path", "cwd", "last_assistant_message",
          "message_id", "index", "final", "delta", "notification_type", "message", "error",
          "stop_hook_active"]  # fmt: skip


@pytest.fixture(scope="module")
def hostile_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProc]:
    home = tmp_path_factory.mktemp("hostile")
    old = os.environ.get("CLAUDE_TTS_HOME")
    os.environ["CLAUDE_TTS_HOME"] = str(home)
    d = start_daemon(NO_AUDIO)
    yield d
    stop_daemon(d)
    if old is not None:
        os.environ["CLAUDE_TTS_HOME"] = old


def balanced(d: DaemonProc, timeout: float = 30.0) -> dict[str, Any]:
    status = d.wait_for(lambda s: s["counters"]["in_progress"] == 0, timeout=timeout)
    c = status["counters"]
    assert c["spoken"] + c["dropped"] + c["failed"] == c["received"], status
    return status


nasty_text = st.text(
    st.characters(codec=None, exclude_categories=())
    | st.sampled_from(["\x00", "\ud800", "\udfff"]),
    max_size=40,
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(nasty_text, inner, max_size=3),
    max_leaves=12,
)
payloads = st.fixed_dictionaries(
    {"hook_event_name": st.sampled_from(EVENTS) | json_value},
    optional={name: json_value for name in FIELDS},
)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(payloads, min_size=1, max_size=6))
def test_fuzzed_payloads_all_end_in_the_books(
    hostile_daemon: DaemonProc, batch: list[dict[str, Any]]
) -> None:
    before = hostile_daemon.status()["counters"]["received"]
    for payload in batch:
        raw = json.dumps(payload)  # lone surrogates and NULs escaped, as Claude Code would
        reply = client.request(HookEvent(raw, env=ATTENDED), paths=hostile_daemon.paths)
        assert reply.TYPE == "ok"
    status = hostile_daemon.wait_for(
        lambda s: s["counters"]["received"] == before + len(batch), timeout=30
    )
    balanced(hostile_daemon)
    assert status["pid"] == hostile_daemon.proc.pid


def test_deep_nesting_and_huge_values_end_in_the_books(hostile_daemon: DaemonProc) -> None:
    before = hostile_daemon.status()["counters"]
    nasty = [
        "[" * 100_000 + "]" * 100_000,  # RecursionError in json.loads
        json.dumps({"hook_event_name": "Stop", "session_id": "s", "cwd": "/tmp/a\x00b"}),
        json.dumps({"hook_event_name": "Stop", "session_id": "s", "cwd": "/tmp/\ud800"}),
        json.dumps({"hook_event_name": "Stop", "session_id": "s", "transcript_path": 12}),
        json.dumps({"hook_event_name": "Stop", "session_id": "s", "prompt_id": ["x"]}),
        json.dumps({"hook_event_name": "MessageDisplay", "index": 10**400, "delta": "x"}),
        json.dumps({"hook_event_name": "Stop", "last_assistant_message": "word " * 2_000_000}),
    ]
    for n, raw in enumerate(nasty):  # as the hook sends them: a header, then the bytes
        frame = hook_frame(raw.encode(), ATTENDED, time.time(), f"nasty-{n}")
        found = client.deliver(frame, time.monotonic() + 10, str(hostile_daemon.paths.socket))
        assert found == client.ACCEPTED
    status = hostile_daemon.wait_for(
        lambda s: s["counters"]["received"] == before["received"] + len(nasty)
    )
    balanced(hostile_daemon, timeout=60)
    assert status["pid"] == hostile_daemon.proc.pid


def test_untrusted_transcript_paths_never_block_speech_or_shutdown(
    isolated_home: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "transcript.fifo"
    os.mkfifo(fifo)
    d = start_daemon(NO_AUDIO)
    try:
        stop = json.loads((PAYLOADS / "Stop.json").read_text())["payload"]
        for n, path in enumerate([str(fifo)] * 8 + ["/dev/zero", str(tmp_path)]):
            payload = {**stop, "prompt_id": f"p{n}", "transcript_path": path,
                       "last_assistant_message": f"Answer {n}."}  # fmt: skip
            client.request(HookEvent(json.dumps(payload), env=ATTENDED), paths=d.paths)
        t0 = time.monotonic()
        d.wait_for(lambda s: s["counters"]["received"] == 10, timeout=20)
        status = balanced(d)
        assert time.monotonic() - t0 < 10
        # Each went on with Stop's own text (and failed only for want of an audio device).
        assert status["counters"]["failed"] == 10, status
    finally:
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        d.proc.wait(timeout=10)
        assert time.monotonic() - t0 < 5  # no read held the shutdown up
        stop_daemon(d)


def test_a_still_config_is_read_once_and_never_again(isolated_home: Path) -> None:
    config = isolated_home / "config" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("language: en\n")
    d = start_daemon(NO_AUDIO)
    try:
        first = d.status()["config"]["reads"]
        time.sleep(3)  # watched, untouched: our own reads must not look like changes
        assert d.status()["config"]["reads"] == first
        config.write_text("language: fr\n")
        changed = d.wait_for(lambda s: s["language"] == "fr")
        time.sleep(2)
        after = d.status()["config"]["reads"]
        assert after - changed["config"]["reads"] == 0 and after <= first + 3
    finally:
        stop_daemon(d)


@pytest.mark.parametrize("kind", ["huge", "binary"])
def test_a_bad_config_file_is_refused_with_a_clear_error(isolated_home: Path, kind: str) -> None:
    config = isolated_home / "config" / "config.yaml"
    config.parent.mkdir(parents=True)
    if kind == "binary":  # already there at start-up: the daemon starts on the defaults
        config.write_bytes(b"\xff\xfe\x00\x01binary")
    d = start_daemon(NO_AUDIO)
    try:
        if kind == "huge":
            config.write_text("language: fr\n" + "# padding\n" * 5_000_000)  # 50 MB
        status = d.wait_for(lambda s: s["config"]["error"] is not None)
        expected = {
            "huge": "Expected a file of at most 1048576 bytes but got: 50000013 bytes",
            "binary": "Expected UTF-8 text but got: a byte that is not (invalid start byte at 0)",
        }[kind]
        assert status["config"]["error"] == f"==> File {config}\n=====> {expected}"
        assert status["language"] == "en"  # the defaults, or the last good settings
        t0 = time.monotonic()
        reply = client.request(StatusRequest(), paths=d.paths, timeout=2)
        assert isinstance(reply, StatusReply) and time.monotonic() - t0 < 1.0
    finally:
        stop_daemon(d)


def test_a_flood_of_idle_connections_is_shed(daemon: DaemonProc) -> None:
    idle = []
    for _ in range(150):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(daemon.paths.socket))
        idle.append(s)
    try:
        t0 = time.monotonic()
        deadline = t0 + FIRST_FRAME_S + 10
        while True:  # status answers again once the idle ones are closed (first-frame limit)
            try:
                reply = client.request(StatusRequest(), paths=daemon.paths, timeout=1)
                if isinstance(reply, StatusReply):
                    break
            except Exception:
                pass
            assert time.monotonic() < deadline, "status never answered again"
            time.sleep(0.2)
        worst = time.monotonic() - t0
        print(f"status answered {worst:.2f} s into a flood of 150 idle connections")
        assert worst < FIRST_FRAME_S + 3
        closed = 0
        for s in idle:
            s.settimeout(0.5)
            try:
                data = s.recv(4096)
            except (TimeoutError, OSError):
                continue
            # Closed for sending nothing, or answered 'busy' (then closed).
            closed += data == b"" or data.startswith(b'{"v":1,"type":"error","code":"busy"')
        assert closed == len(idle)
    finally:
        for s in idle:
            s.close()
    assert daemon.proc.poll() is None


def test_a_cache_that_cannot_be_written_is_reported_and_skipped(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path / "cache", 10_000_000)
    (tmp_path / "cache").rmdir()  # what a full or vanished disk looks like to put()
    (tmp_path / "cache").write_text("not a directory")
    import numpy as np

    cache.put("k", Audio(np.zeros(100, dtype=np.float32), 16000))  # no exception
    stats = cache.stats()
    assert isinstance(stats["write_error"], str)
    assert stats["write_error"].startswith("the audio cache cannot be written (")
    assert not list(tmp_path.glob("**/*.tmp"))


def test_the_daemon_stays_small_under_a_16_by_100_load(daemon: DaemonProc) -> None:
    import threading

    stop = json.loads((PAYLOADS / "Stop.json").read_text())["payload"]

    def send(worker: int) -> None:
        for n in range(100):
            payload = {
                **stop,
                "session_id": f"s{worker}",
                "prompt_id": f"p{n}",
                "transcript_path": "",
                "last_assistant_message": f"Answer {n}. " * 5,
            }
            client.request(HookEvent(json.dumps(payload), env=ATTENDED), paths=daemon.paths,
                           timeout=10)  # fmt: skip

    threads = [threading.Thread(target=send, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    balanced(daemon, timeout=120)
    rss_kb = int(subprocess.run(["ps", "-o", "rss=", str(daemon.proc.pid)], capture_output=True,
                                text=True).stdout)  # fmt: skip
    print(f"daemon RSS after 16 x 100 events: {rss_kb / 1024:.0f} MB")
    assert rss_kb < 300 * 1024
    st = daemon.status()
    assert st["counters"]["received"] == 1600
    # Bounded: what could not wait was dropped as queue_full, never left in memory.
    assert st["queue_length"] <= 64


def test_transcripts_are_read_again_after_a_shutdown(tmp_path: Path) -> None:
    import asyncio

    from tts_core.claude_code import transcript

    path = tmp_path / "t.jsonl"
    line = {"type": "user", "promptId": "p", "message": {"role": "user", "content": "hi"}}
    answer = {"type": "assistant", "message": {"content": [{"type": "text", "text": "Done."}]}}
    path.write_text(json.dumps(line) + "\n" + json.dumps(answer) + "\n")

    async def read() -> list[str] | transcript.Cut | None:
        return await transcript.read_turn(path, "p", "Done.", wait_s=0)

    assert asyncio.run(read()) == ["Done."]
    transcript.shutdown()  # as the daemon does when it stops
    assert asyncio.run(read()) == ["Done."]
    assert asyncio.run(transcript.read_turn(Path("/dev/zero"), "p", "", wait_s=1)) is None
