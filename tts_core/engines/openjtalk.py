"""Open JTalk through pyopenjtalk(-plus): an offline Japanese voice that reads kanji correctly.

Optional: ``pip install 'claude-tts[ja]'`` (~330 MB with its dictionary). Japanese only.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from typing import Any

import numpy as np

from tts_core.audio.pcm import Audio
from tts_core.config.schema import VoiceOptions
from tts_core.engines._jtalk_lock import locked
from tts_core.engines.base import OneShot
from tts_core.errors import EngineError
from tts_core.languages.catalog import Language


class OpenJTalkEngine(OneShot):
    """Open JTalk (pyopenjtalk-plus), the offline Japanese voice that reads kanji. Must not
    import another engine."""

    name = "openjtalk"
    needs_network = False

    def __init__(self, options: VoiceOptions | None = None) -> None:
        opts = options or VoiceOptions()
        try:
            # pyopenjtalk-plus prints an ONNX notice on stdout at import: keep our stdout clean.
            with contextlib.redirect_stdout(io.StringIO()):
                import pyopenjtalk
        except ImportError:
            raise EngineError(
                "pyopenjtalk is not installed (pip install 'claude-tts[ja]')"
            ) from None
        self._pyopenjtalk: Any = pyopenjtalk
        self.speed = opts.speed

    def voices(self) -> list[str]:
        return ["ja (Open JTalk default voice)"]

    async def synthesize(self, text: str, lang: Language) -> Audio:
        if lang.code != "ja":
            raise EngineError(f"openjtalk speaks Japanese only, not {lang.name}")
        try:
            # The library is not re-entrant, and the Kokoro voice calls it too: one lock for both.
            pcm, rate = await asyncio.to_thread(
                locked, self._pyopenjtalk.tts, text, speed=self.speed
            )
        except Exception as exc:
            raise EngineError(f"openjtalk failed: {exc}") from None
        samples = (np.asarray(pcm, dtype=np.float64) / 32768.0).astype(np.float32)
        return Audio(np.clip(samples, -1.0, 1.0), int(rate))
