"""Run a speech program with text on stdin and collect its output; killed on cancellation."""

from __future__ import annotations

import asyncio

from tts_core.errors import EngineError


async def run(argv: list[str], text: str, *, timeout: float = 30.0) -> bytes:
    """Run ``argv`` feeding ``text`` (UTF-8) on stdin; return stdout. Raises EngineError."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise EngineError(f"{argv[0]} is not installed") from None
    try:
        out, err = await asyncio.wait_for(proc.communicate(text.encode("utf-8")), timeout)
    except BaseException:  # cancelled or timed out: do not leave the process running
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()
        raise EngineError(
            f"{argv[0]} exited with {proc.returncode}: {detail[-1] if detail else 'no message'}"
        )
    return out
