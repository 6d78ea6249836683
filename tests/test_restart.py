"""Nothing lost across a restart or a torn file: the real daemon as a subprocess.

A journal torn by a full disk, speech cut by SIGTERM or SIGKILL, a transcript rewritten while it
is read, hook payloads with huge fields, an idle sound server: in each case the test counts what
was heard (``history``) or booked against what was sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tts_core import client
from tts_core import paths as _paths
from tts_core.audio.player import STALL_S, Player
from tts_core.daemon.server import Server
from tts_core.errors import AudioUnavailable
from tts_core.protocol import (
    FIELD_MAX,
    MAX_FRAME,
    Error,
    HistoryReply,
    HistoryRequest,
    Message,
    Ok,
    Ping,
    Say,
    StatusReply,
    StatusRequest,
    decode,
    encode,
    hook_frame,
)

from .audio_sink import start_pulse, stop_pulse
from .conftest import (
    DaemonClient,
    Pulse,
    Recorder,
    run_cli,
    start_daemon,
    stop_daemon,
    voiced_seconds,
)
from .test_faults import settled, stop_payload, timed_hook

NO_AUDIO = {"PULSE_SERVER": "unix:/nonexistent"}


def history(d: DaemonClient, limit: int = 100) -> list[dict[str, Any]]:
    reply = client.request(HistoryRequest(limit), paths=d.paths)
    assert isinstance(reply, HistoryReply), reply
    return reply.entries


def journal_frame(n: int, text: str) -> bytes:
    """Event ``n`` as the daemon's journal holds it (a frame, then a newline)."""
    return hook_frame(stop_payload(n, text), {}, time.time(), f"event-{n}") + b"\n"


# ---- a torn journal --------------------------------------------------------------------------


def test_a_torn_journal_frame_costs_only_itself(isolated_home: Path) -> None:
    p = _paths.resolve()
    p.state.mkdir(parents=True, mode=0o700)
    torn = journal_frame(0, "Cut short by a full disk.")
    torn = torn[: len(torn) // 2]  # the disk filled up mid-frame; later writes went through
    garbage = b"\x00\x00 not a record \xff\n"
    (p.state / "journal.jsonl").write_bytes(
        torn + journal_frame(1, "First good answer.") + garbage
        + journal_frame(2, "Second good answer.") + b'{"done": "event-9"}\n'
    )  # fmt: skip
    d = start_daemon(NO_AUDIO)
    try:
        st = settled(d, 2)  # both good events, replayed (their speech fails: no audio here)
        sources = sorted(str(e["source"]) for e in history(d))
    finally:
        stop_daemon(d)
    assert sources == ["First good answer.", "Second good answer."]
    assert st["journal"]["rejected"] == 2
    rejected = p.state / "journal.rejected"
    assert st["journal"]["rejected_file"] == str(rejected)
    assert stat.S_IMODE(rejected.stat().st_mode) == 0o600
    assert rejected.read_bytes() == torn + b"\n" + garbage + b"\n"
    log = p.daemon_log.read_text()
    assert log.count("journal: ") >= 2 and "unreadable bytes skipped" in log


# ---- bounded fields --------------------------------------------------------------------------


def test_huge_session_ids_leave_status_and_history_answering() -> None:
    d = start_daemon(NO_AUDIO)
    try:
        for n in range(16):
            payload = json.loads(stop_payload(n))
            payload["session_id"] = f"{n:02d}" + "s" * (1024 * 1024)
            timed_hook(json.dumps(payload).encode())
        st = settled(d, 16, timeout=60)
        entries = history(d)
    finally:
        stop_daemon(d)
    assert len(entries) == 16
    sessions = {str(e["session_id"]) for e in entries}
    assert len(sessions) == 16  # clipped, and still one per session
    assert all(len(s) <= FIELD_MAX and "chars #" in s for s in sessions)
    assert all(len(e["session_id"]) <= FIELD_MAX for e in st["recent_events"])


def test_a_reply_over_the_frame_limit_becomes_an_error_reply() -> None:
    async def huge(message: Message) -> Message:
        if isinstance(message, StatusRequest):
            return StatusReply({"blob": "x" * MAX_FRAME})
        return Ok("pong")

    async def main(path: Path) -> list[Message]:
        server = Server(path, huge)
        await server.start()
        try:
            reader, writer = await asyncio.open_unix_connection(str(path), limit=MAX_FRAME)
            replies = []
            for request in (StatusRequest(), Ping()):
                writer.write(encode(request))
                replies.append(decode(await reader.readline()))
            writer.close()
            return replies
        finally:
            await server.close()

    folder = Path(tempfile.mkdtemp(prefix="ctt-srv-", dir="/tmp"))
    try:
        replies = asyncio.run(main(folder / "run" / "s.sock"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert isinstance(replies[0], Error) and replies[0].code == "too_large"
    assert replies[0].message.startswith("the status_reply reply was not sent: frame of ")
    assert replies[1] == Ok("pong")  # the connection lives on


# ---- speech across a restart -----------------------------------------------------------------

ESPEAK = "voice: {engine: espeak}\nlanguage: en\n"
WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
ANSWER = [f"This is sentence {w} of the first answer." for w in WORDS]
NEXT = [f"The second answer says {w}." for w in WORDS[:3]]


def progress(journal: Path) -> dict[str, int]:
    """Sentences heard per utterance text, as the journal says (0 if none)."""
    texts: dict[str, str] = {}
    heard: dict[str, int] = {}
    for line in journal.read_bytes().splitlines():
        if line.startswith(b'{"said":'):
            record = json.loads(line)
            texts[record["said"]] = record["text"]
        elif line.startswith(b'{"heard":'):
            record = json.loads(line)
            heard[record["heard"]] = max(heard.get(record["heard"], 0), record["n"])
    return {text: heard.get(event_id, 0) for event_id, text in texts.items()}


def speak_two_answers_and_stop(how: str, pulse: Pulse, home: Path) -> tuple[int, str]:
    """Start a daemon, send two answers, stop it ``how`` once two sentences were heard.
    Returns how many sentences of the first answer the journal says were heard, and what
    ``claude-tts stop`` printed (if it was used)."""
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.yaml").write_text(ESPEAK)
    journal = home / "state" / "journal.jsonl"
    d = start_daemon(pulse.env)
    timed_hook(stop_payload(1, " ".join(ANSWER)))
    timed_hook(stop_payload(2, " ".join(NEXT)))
    deadline = time.monotonic() + 30
    while progress(journal).get(" ".join(ANSWER), 0) < 2:
        assert time.monotonic() < deadline, "two sentences were never heard"
        time.sleep(0.02)
    printed = ""
    if how == "stop":
        printed = run_cli("stop").stdout
    else:
        os.kill(d.proc.pid, signal.SIGKILL if how == "kill" else signal.SIGTERM)
    assert d.proc.wait(timeout=15) in (0, -signal.SIGKILL)
    stop_daemon(d)
    return progress(journal)[" ".join(ANSWER)], printed


@pytest.mark.parametrize("how", ["term", "stop", "kill"])
def test_speech_resumes_after_a_restart_at_the_first_sentence_not_heard(
    how: str, pulse: Pulse, recorder: Recorder, isolated_home: Path
) -> None:
    heard_before, printed = speak_two_answers_and_stop(how, pulse, isolated_home)
    assert 2 <= heard_before < len(ANSWER)
    if how == "stop":
        left = len(ANSWER) - heard_before + len(NEXT)
        assert printed == (
            f"claude-tts daemon stopped; 2 answers ({left} sentences) left unspoken, "
            "resumed at the next start\n"
        )
    again = start_daemon(pulse.env)
    try:
        st = settled(again, 2, timeout=60)
        entries = {str(e["source"]): e for e in history(again)}
    finally:
        stop_daemon(again)
    assert st["counters"]["spoken"] == 2
    first, second = entries[" ".join(ANSWER)], entries[" ".join(NEXT)]
    # Each sentence heard exactly once across both daemons, in order.
    assert first["heard"] == ANSWER[heard_before:]
    assert second["heard"] == NEXT
    assert voiced_seconds(recorder.stop()) > 0


# ---- a transcript rewritten while it is read -------------------------------------------------


def turn_lines(n: int) -> tuple[list[bytes], list[str]]:
    """Transcript lines of turn ``n`` (a prompt, three text blocks) and its blocks."""
    blocks = [f"Turn {n}, block {b}: a whole sentence of it." for b in (1, 2, 3)]
    prompt = {"type": "user", "promptId": f"prompt-{n}", "message": {"content": f"Q{n}"}}
    lines = [json.dumps(prompt).encode()]
    for text in blocks:
        reply = {"type": "assistant", "message": {"content": [{"type": "text", "text": text}]}}
        lines.append(json.dumps(reply).encode())
    return lines, blocks


def rewrite_slowly(path: Path, lines: list[bytes], pause: float) -> None:
    """Rewrite ``path`` in place (same file, truncated), each line in two writes, pausing."""
    with path.open("r+b", buffering=0) as f:
        f.truncate(0)
        for line in lines:
            half = len(line) // 2
            for part in (line[:half], line[half:] + b"\n"):
                f.write(part)
                time.sleep(pause)


def test_a_transcript_rewritten_while_read_is_never_taken_for_the_whole_turn(
    isolated_home: Path,
) -> None:
    transcript = isolated_home.parent / "transcript.jsonl"
    transcript.write_bytes(b"")
    d = start_daemon(NO_AUDIO)
    lines: list[bytes] = []
    expected: dict[str, list[str]] = {}
    try:
        for n in range(1, 21):
            turn, blocks = turn_lines(n)
            lines += turn
            expected[blocks[-1]] = blocks
            writer = threading.Thread(target=rewrite_slowly, args=(transcript, lines, 0.005))
            writer.start()
            payload = json.loads(stop_payload(n, blocks[-1]))
            payload["transcript_path"] = str(transcript)
            timed_hook(json.dumps(payload).encode())
            writer.join()
            settled(d, n)
        entries = history(d)
    finally:
        stop_daemon(d)
    assert len(entries) == 20
    whole = fallback = 0
    for entry in entries:
        source = str(entry["source"])
        blocks = expected[source.split("\n\n")[-1]]
        if source == "\n\n".join(blocks):
            whole += 1
            assert entry["note"] == ""
        else:  # never a turn with blocks missing: Stop's own block, and a note saying why
            assert source == blocks[-1], source
            assert str(entry["note"]).startswith("the transcript was not whole: "), entry
            fallback += 1
    print(f"rewritten transcript: {whole} turns whole, {fallback} from Stop's block (marked)")


def test_a_transcript_still_being_written_past_the_grace_is_a_cut_read(tmp_path: Path) -> None:
    from tts_core.claude_code import transcript as reader

    path = tmp_path / "t.jsonl"
    turn, blocks = turn_lines(1)
    path.write_bytes(b"\n".join(turn[:2]) + b"\n")  # the prompt and the first block
    stop = threading.Event()

    def keep_writing() -> None:  # another session's lines, and a torn one, for 3 s
        with path.open("ab", buffering=0) as f:
            while not stop.wait(0.01):
                f.write(b'{"type": "system", "content": "tick"}\n{"type": "sys')
                f.write(b'tem"}\n')

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        t0 = time.monotonic()
        read = asyncio.run(reader.read_turn(path, "prompt-1", blocks[-1], wait_s=0.2))
        took = time.monotonic() - t0
    finally:
        stop.set()
        writer.join()
    assert isinstance(read, reader.Cut)
    assert read.why.startswith("the transcript was not whole: ")
    assert took < reader.WRITING_GRACE_S + 3.0  # given up within a bound
    # The same file, once still, is read as it is: the last block comes from Stop.
    assert asyncio.run(reader.read_turn(path, "prompt-1", blocks[-1], wait_s=0.1)) == blocks[:1]


# ---- an idle sound server ----------------------------------------------------------------------


IDLE_SENTENCES = ["Yes.", "No.", "Go.", "Stop.", "Red.", "Blue."]


@pytest.fixture
def idle_pulse() -> Iterator[Pulse]:
    """A private PulseAudio server of its own, with nothing reading its null sink (it renders
    2 s at a time) and module-suspend-on-idle, as a desktop has, suspending it after 1 s."""
    server = start_pulse()
    env = {**os.environ, **server.env}
    subprocess.run(
        ["pactl", "load-module", "module-suspend-on-idle", "timeout=1"], env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    yield server
    stop_pulse(server)


def test_an_idle_or_suspended_sink_is_waited_for_not_taken_for_a_dead_one(
    idle_pulse: Pulse,
) -> None:
    # Every sentence opens a stream on a sink that renders 2 s at a time: each one waits up
    # to 2 s for its first frames to be taken, the first after a pause (suspended) too.
    d = start_daemon(idle_pulse.env)
    replies = []
    try:
        for pause in (0.0, 2.0):  # 1 s idle suspends the sink
            time.sleep(pause)
            say = Say(" ".join(IDLE_SENTENCES), lang="en", engine="espeak", wait=True)
            replies.append(client.request(say, paths=d.paths, timeout=60))
        entries = history(d)
    finally:
        stop_daemon(d)
    assert replies == [Ok("spoken")] * 2
    assert [" ".join(e["heard"]) for e in entries] == [" ".join(IDLE_SENTENCES)] * 2


class _Device:
    """The edge of the player: a PortAudio stream whose device takes nothing for
    ``start_s``, then plays in real time until ``dies_at_s`` (if given)."""

    def __init__(self, start_s: float, dies_at_s: float | None = None, rate: int = 8000) -> None:
        self.capacity, self.rate, self.buffered = 400, rate, 0
        self.t0 = time.monotonic()
        self.start_s, self.dies_at_s = start_s, dies_at_s
        self.consumed_until = self.t0 + start_s

    @property
    def write_available(self) -> int:
        now = time.monotonic()
        if self.dies_at_s is not None:
            now = min(now, self.t0 + self.dies_at_s)
        if now > self.consumed_until:
            self.buffered -= min(self.buffered, int((now - self.consumed_until) * self.rate))
            self.consumed_until = now
        return self.capacity - self.buffered

    def write(self, data: Any) -> None:
        self.buffered += len(data)

    def abort(self) -> None:
        pass


def test_the_player_waits_for_a_slow_start_but_not_for_a_dead_device() -> None:
    samples = np.zeros((4000, 1), dtype=np.float32)  # 0.5 s at 8 kHz
    player = Player()
    t0 = time.monotonic()
    assert player._feed(_Device(start_s=STALL_S - 0.5), samples, 160) is True
    assert time.monotonic() - t0 > STALL_S - 0.5  # waited for it to start, then played
    t0 = time.monotonic()
    with pytest.raises(AudioUnavailable, match=r"^the audio device stopped taking audio"):
        player._feed(_Device(start_s=0.0, dies_at_s=0.1), samples, 160)
    assert time.monotonic() - t0 < STALL_S + 2.0  # a dead device fails within the bound
