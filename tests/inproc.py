"""The daemon in the test's own event loop: the real Daemon object on a temporary socket, with
a player that plays nothing (it notes each clip). For routing, policy and voicing tests that
need no process and no sound server: they run in milliseconds. The subprocess tests
(conftest's ``start_daemon``) still prove the real process, its signals and its audio."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from tts_core import paths as _paths
from tts_core.audio.pcm import Audio
from tts_core.daemon.service import Daemon
from tts_core.protocol import HookEvent, Message, StatusRequest


class NullPlayer:
    """Plays nothing, at once; keeps the clips (``stop`` cuts the one in flight)."""

    def __init__(self) -> None:
        self.wanted_device: str | None = None
        self.device_name: str | None = "null"
        self.clips: list[Audio] = []
        self.stops = 0
        self.rest: Audio | None = None

    def probe(self) -> str:
        return "null"

    async def play(self, audio: Audio) -> bool:
        self.clips.append(audio)
        await asyncio.sleep(0)
        return True

    def stop(self) -> None:
        self.stops += 1

    def interrupt(self) -> None:
        pass  # a clip here takes no time: there is never one to interrupt


class InProcess:
    """A running in-process daemon and what a test asks of it."""

    def __init__(self, daemon: Daemon, player: NullPlayer) -> None:
        self.daemon = daemon
        self.player = player

    async def ask(self, message: Message) -> Message:
        """A request as the server would hand it over (no socket round trip)."""
        return await self.daemon.handle(message)

    async def event(self, payload: str, env: dict[str, str] | None = None) -> Message:
        return await self.ask(HookEvent(payload, env=env or {}))

    def status(self) -> dict[str, Any]:
        reply = self.daemon.status()
        return reply

    async def settle(self, pred: Any = None, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until ``pred(status)`` (default: nothing in progress, nothing speaking)."""
        pred = pred or (lambda s: s["counters"]["in_progress"] == 0 and not s["speaking"])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            st = self.status()
            if pred(st):
                return st
            assert loop.time() < deadline, f"condition not met; last status: {st}"
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def in_process() -> AsyncIterator[InProcess]:
    """The daemon of this test's isolated home (conftest's ``isolated_home``), running."""
    player = NullPlayer()
    daemon = Daemon(_paths.resolve(), player=player)  # type: ignore[arg-type]
    _paths.ensure_private_dir(daemon.paths.runtime)
    task = asyncio.get_running_loop().create_task(daemon.run())
    for _ in range(500):
        if daemon.paths.pidfile.exists() or task.done():
            break
        await asyncio.sleep(0.01)
    try:
        yield InProcess(daemon, player)
    finally:
        daemon.request_stop()
        await task


__all__ = ["InProcess", "NullPlayer", "StatusRequest", "in_process"]
