"""Quiet during a call: while another application records from a microphone, speech holds
(``speak.quiet_while_mic_in_use``) and continues when the recording ends.

:class:`MicWatch` asks a :class:`~tts_core.audio.mic.MicProbe` on a worker thread, every
:data:`BUSY_POLL_S` while there is speech to hold and every :data:`IDLE_POLL_S` otherwise,
and adds or removes the pipeline's ``mic`` hold on the event loop. A check that cannot tell
(no sound server) holds nothing. Must not import the engines or the player.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from tts_core.audio.mic import MicProbe, MicUnknown
from tts_core.speech.pipeline import Pipeline

log = logging.getLogger(__name__)
BUSY_POLL_S = 0.25
IDLE_POLL_S = 1.0


class MicWatch:
    """Holds ``pipeline`` while a microphone is in use (when ``enabled()`` says so)."""

    def __init__(
        self, probe: MicProbe | None, pipeline: Pipeline, enabled: Callable[[], bool]
    ) -> None:
        self.probe = probe
        self.pipeline = pipeline
        self.enabled = enabled
        self.recording: list[str] = []
        self.error = ""

    async def run(self) -> None:
        if self.probe is None:
            return
        while True:
            if self.enabled():
                await self.check()
            else:
                self._set([])
            p = self.pipeline
            busy = p.speaking or p.queue_length or "mic" in p.holds.reasons
            await asyncio.sleep(BUSY_POLL_S if busy else IDLE_POLL_S)

    async def check(self) -> None:
        assert self.probe is not None
        try:
            apps = await asyncio.to_thread(self.probe.recording)
            self.error = ""
        except MicUnknown as exc:
            if str(exc) != self.error:
                log.info("microphone check: %s", exc)
            apps, self.error = [], str(exc)
        except Exception as exc:  # a listing we misread: hold nothing, say so, go on
            if f"internal error: {exc!r}" != self.error:
                log.exception("microphone check failed")
            apps, self.error = [], f"internal error: {exc!r}"
        self._set(apps)

    def _set(self, apps: list[str]) -> None:
        if apps == self.recording:
            return
        self.recording = apps
        if apps:
            log.info("a microphone is in use (%s): speech holds", ", ".join(apps))
            self.pipeline.hold("mic", f"a microphone is in use ({', '.join(apps)})")
        else:
            log.info("no microphone in use: speech goes on")
            self.pipeline.release("mic")

    def status(self) -> dict[str, object]:
        if self.probe is None:
            check = "unsupported"
        elif not self.enabled():
            check = "off"
        else:
            check = self.probe.name
        return {"check": check, "recording": self.recording, "error": self.error}
