"""Nothing lost across a restart or a torn file: the real daemon as a subprocess.

A journal torn by a full disk, speech cut by SIGTERM or SIGKILL, a transcript rewritten while it
is read, hook payloads with huge fields, an idle sound server: in each case the test counts what
was heard (``history``) or booked against what was sent.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import stat
import tempfile
import time
from pathlib import Path

from tts_core import client
from tts_core import paths as _paths
from tts_core.daemon.server import Server
from tts_core.protocol import (
    FIELD_MAX,
    MAX_FRAME,
    Error,
    HistoryReply,
    HistoryRequest,
    Message,
    Ok,
    Ping,
    StatusReply,
    StatusRequest,
    decode,
    encode,
    hook_frame,
)

from .conftest import DaemonClient, start_daemon, stop_daemon
from .test_faults import settled, stop_payload, timed_hook

NO_AUDIO = {"PULSE_SERVER": "unix:/nonexistent"}


def history(d: DaemonClient, limit: int = 100) -> list[dict[str, object]]:
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
