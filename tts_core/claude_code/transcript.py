"""Reads one turn's text blocks from a Claude Code transcript file, waiting briefly for it.

In the interactive UI the turn's last assistant line reaches the file 60-75 ms after the Stop
hook starts, so the read is retried until it ends with ``last_assistant_message`` or the wait
runs out. The parsing itself is :func:`tts_core.claude_code.turns.transcript_turn_blocks`.

A read is used only when it is the whole turn. One that ends in a line cut short, or that
comes from a file still changing between reads, is waited on (up to :data:`WRITING_GRACE_S`
past the deadline); if the turn is still not whole then (its last block missing from a file
that changed meanwhile, or a last line cut short), :func:`read_turn` answers :class:`Cut`
(the caller falls back to what Stop carries and says so), as it does when the turn starts
further back than :data:`MAX_BYTES` or the read itself does not end in time.

The path comes from the hook's payload, so it is not trusted: only a regular file is read
(never a FIFO, a device such as /dev/zero, a socket), at most :data:`MAX_BYTES` from its end,
on a small executor of its own (never the default one, which audio playback uses), within a
deadline; shutdown does not wait for a read.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tts_core.claude_code.turns import transcript_is_current, transcript_turn_blocks

RETRY_S = 0.025
MAX_BYTES = 8 * 1024 * 1024
"""Read at most this much from the end of a transcript: a turn is near its end, and a session
of hundreds of turns must not be read whole at every Stop."""
READ_TIMEOUT_S = 2.0
WRITING_GRACE_S = 1.0
"""How much longer than its deadline a read waits for a file that is still being written."""
QUIET_S = 0.25
"""A file seen changing less than this long ago is still being written."""
_executor: ThreadPoolExecutor | None = None


def _readers() -> ThreadPoolExecutor:
    """The transcript readers' own threads (made again after :func:`shutdown`)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="transcript")
    return _executor


@dataclass(frozen=True)
class Cut:
    """A read of the turn that is not whole; ``why`` says so, for the log and the history."""

    why: str


@dataclass(frozen=True)
class _Tail:
    text: str
    capped: bool
    """The file is larger than the limit: its start was not read."""
    stamp: tuple[int, int, int]
    """Inode, size and mtime: a file that changes between reads is still being written."""


def _read_tail(path: Path, limit: int = MAX_BYTES) -> _Tail | None:
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; then the open file is checked,
        # so a path swapped for something else after a check cannot slip through.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        start = max(0, st.st_size - limit)
        os.lseek(fd, start, os.SEEK_SET)
        chunks, size = [], 0
        while size < limit:
            chunk = os.read(fd, min(1 << 20, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)
    if start:
        data = data[data.find(b"\n") + 1 :]  # the first line was cut: drop it
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    return _Tail(data.decode("utf-8", errors="replace"), start > 0, stamp)


class _Unreadable(Exception):
    """No file to wait for: missing, or not a regular file."""


def _read(path: Path, prompt_id: str | None) -> tuple[list[str] | None, _Tail]:
    tail = _read_tail(path)
    if tail is None:
        raise _Unreadable
    text = tail.text
    if prompt_id:
        # Skip the parse of every earlier turn: start at the line that first names the prompt.
        at = text.find(prompt_id)
        if at < 0:
            return None, tail
        text = text[text.rfind("\n", 0, at) + 1 :]
    return transcript_turn_blocks(text.splitlines(), prompt_id), tail


async def read_turn(
    path: Path, prompt_id: str | None, last_message: str, *, wait_s: float
) -> list[str] | Cut | None:
    """The turn's assistant text blocks; None if the turn is not in the file (or there is no
    file); :class:`Cut` if what could be read is not known to be the whole turn."""
    deadline = time.monotonic() + wait_s
    loop = asyncio.get_running_loop()
    before: tuple[int, int, int] | None = None
    changed_at: float | None = None  # when the file was last seen changing during the wait
    while True:
        try:
            blocks, tail = await asyncio.wait_for(
                loop.run_in_executor(_readers(), _read, path, prompt_id), READ_TIMEOUT_S
            )
        except TimeoutError:
            return Cut(f"the transcript could not be read within {READ_TIMEOUT_S:g} s")
        except _Unreadable:
            return None  # nothing there to wait for
        if transcript_is_current(blocks, last_message):
            return blocks  # the turn's last block is there: written in order, so all is there
        now = time.monotonic()
        if before is not None and tail.stamp != before:
            changed_at = now
        before = tail.stamp
        torn = bool(tail.text) and not tail.text.endswith("\n")
        writing = torn or (changed_at is not None and now - changed_at < QUIET_S)
        if now >= deadline + (WRITING_GRACE_S if writing else 0.0):
            if torn or changed_at is not None:
                what = "its last line was cut short" if torn else "it was still being written"
                return Cut(f"the transcript was not whole: {what}")
            if blocks is None and tail.capped:
                return Cut(f"the turn starts over {MAX_BYTES} bytes before the transcript's end")
            return blocks
        await asyncio.sleep(RETRY_S)


def shutdown() -> None:
    """Let go of the reader threads without waiting for a read in progress."""
    global _executor
    if _executor is not None:
        _executor.shutdown(wait=False, cancel_futures=True)
        _executor = None
