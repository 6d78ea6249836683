"""The user's config is read only when whole and when it may be read (issue rows: a config
saved slowly in place was taken for the defaults; a config made unreadable went unnoticed)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any

from tts_core import paths as _paths
from tts_core.protocol import Say

from .inproc import in_process

OFFLINE = "sessions: {speaker_cue: none}\nlog_level: INFO\nvoice: {engine: espeak}\n"
"""Each of its first lines is a valid config alone: read half written, it means the defaults."""


def test_a_config_saved_slowly_in_place_keeps_the_last_good_settings_meanwhile() -> None:
    """A user who chose an offline voice: while an editor rewrites the file in place a few
    bytes at a time, every sentence is still spoken by that voice, never by the defaults."""
    path = _paths.resolve().config / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(OFFLINE)

    def save_slowly() -> None:
        with open(path, "w") as fh:  # truncates: the file reads empty, then partial
            for line in OFFLINE.splitlines(keepends=True):
                fh.write(line)
                fh.flush()
                time.sleep(0.35)

    async def go() -> dict[str, Any]:
        async with in_process() as d:
            await d.settle(lambda s: s["config"]["reads"] == 1)
            writer = threading.Thread(target=save_slowly)
            writer.start()
            for i in range(30):
                await d.ask(Say(f"Sentence {i}."))
                await asyncio.sleep(0.05)
            writer.join()
            return await d.settle(lambda s: s["counters"]["in_progress"] == 0, timeout=60)

    st = asyncio.run(go())
    assert st["spoken_by"] == {"espeak": 30}
    assert st["counters"]["spoken"] == 30


def test_a_permission_change_is_noticed() -> None:
    """A chmod changes whether the daemon may read its config: the file is read again (as a
    normal user an unreadable file is then an error in status; the tests run as root)."""
    path = _paths.resolve().config / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(OFFLINE)

    async def go() -> int:
        async with in_process() as d:
            await d.settle(lambda s: s["config"]["reads"] == 1)
            await asyncio.sleep(0.6)  # past the settling time of the write above
            os.chmod(path, 0o600)
            st = await d.settle(lambda s: s["config"]["reads"] >= 2, timeout=10)
            return int(st["config"]["reads"])

    assert asyncio.run(go()) >= 2
