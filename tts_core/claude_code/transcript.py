"""Reads one turn's text blocks from a Claude Code transcript file, waiting briefly for it.

In the interactive UI the turn's last assistant line reaches the file 60-75 ms after the Stop
hook starts, so the read is retried until it ends with ``last_assistant_message`` or the wait
runs out. The parsing itself is :func:`tts_core.turns.transcript_turn_blocks` (pure).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tts_core.claude_code.turns import transcript_is_current, transcript_turn_blocks

RETRY_S = 0.025


def _read(path: Path, prompt_id: str | None) -> list[str] | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
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
    while True:
        blocks = await asyncio.to_thread(_read, path, prompt_id)
        if transcript_is_current(blocks, last_message) or time.monotonic() >= deadline:
            return blocks
        await asyncio.sleep(RETRY_S)
