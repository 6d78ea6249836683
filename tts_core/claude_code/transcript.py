"""Reads one turn's text blocks from a Claude Code transcript file, waiting briefly for it.

In the interactive UI the turn's last assistant line reaches the file 60-75 ms after the Stop
hook starts, so the read is retried until it ends with ``last_assistant_message`` or the wait
runs out. The parsing itself is :func:`tts_core.claude_code.turns.transcript_turn_blocks`.

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
from pathlib import Path

from tts_core.claude_code.turns import transcript_is_current, transcript_turn_blocks

RETRY_S = 0.025
MAX_BYTES = 8 * 1024 * 1024
"""Read at most this much from the end of a transcript: a turn is near its end, and a session
of hundreds of turns must not be read whole at every Stop."""
READ_TIMEOUT_S = 2.0
_executor: ThreadPoolExecutor | None = None


def _readers() -> ThreadPoolExecutor:
    """The transcript readers' own threads (made again after :func:`shutdown`)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="transcript")
    return _executor


def read_tail(path: Path, limit: int = MAX_BYTES) -> str | None:
    """The last ``limit`` bytes of a regular file as text; None for anything else."""
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
    return data.decode("utf-8", errors="replace")


class _Unreadable(Exception):
    """No file to wait for: missing, or not a regular file."""


def _read(path: Path, prompt_id: str | None) -> list[str] | None:
    text = read_tail(path)
    if text is None:
        raise _Unreadable
    if prompt_id:
        # Skip the parse of every earlier turn: start at the line that first names the prompt.
        at = text.find(prompt_id)
        if at < 0:
            return None
        text = text[text.rfind("\n", 0, at) + 1 :]
    return transcript_turn_blocks(text.splitlines(), prompt_id)


async def read_turn(
    path: Path, prompt_id: str | None, last_message: str, *, wait_s: float
) -> list[str] | None:
    """The turn's assistant text blocks, or None if the turn is not in the file."""
    deadline = time.monotonic() + wait_s
    loop = asyncio.get_running_loop()
    while True:
        try:
            blocks = await asyncio.wait_for(
                loop.run_in_executor(_readers(), _read, path, prompt_id), READ_TIMEOUT_S
            )
        except (TimeoutError, _Unreadable):
            return None  # a stuck file system, or nothing there to wait for
        if transcript_is_current(blocks, last_message) or time.monotonic() >= deadline:
            return blocks
        await asyncio.sleep(RETRY_S)


def shutdown() -> None:
    """Let go of the reader threads without waiting for a read in progress."""
    global _executor
    if _executor is not None:
        _executor.shutdown(wait=False, cancel_futures=True)
        _executor = None
